"""Values of number expressions: Arabic and Chinese numerals with multipliers, in exact decimal arithmetic.

Grain: one function per kind of numeral; :mod:`.numerals` finds the expressions and calls these for their values.
Arithmetic never rounds (:data:`EXACT`), because a 19-digit image id times 万 exceeds the default 28 digits and
a curated value must equal the written one exactly.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from functools import lru_cache

_D = "0-9０-９"  # Arabic digits, ASCII and full-width
_POWER = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_CN_DIGIT_VALUE = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "两": "2"}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%", ",，")
_RANGES = {"两三", "二三", "三四", "四五", "五六", "六七", "七八", "八九"}
_AR_TERM_RE = re.compile(rf"([{_D}.．,，]+)([百千万亿]*)")
_MULTIPLIERS = frozenset("百千万亿")

#: Arithmetic on values never rounds: the default context keeps 28 digits, and 19-digit ids times 万 exceed it.
EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact])


def power_of(chars: str) -> int:
    """万亿 -> 10**12: the product of the multiplier characters."""
    factor = 1
    for c in chars:
        factor *= _POWER[c]
    return factor


def tidy(value: Decimal) -> Decimal:
    """An integral value without exponent or trailing zeros; otherwise the shortest exact form."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize(EXACT)


def arabic_value(chain: str) -> tuple[Decimal, int]:
    """Value and written decimals of an Arabic number with optional multipliers ("2.9万", "1万2千")."""
    if _MULTIPLIERS.isdisjoint(chain):  # one term without multiplier ("89.9", "1,286"): no regex needed
        digits = chain.translate(_FULLWIDTH)
        return Decimal(digits), len(digits.partition(".")[2])
    terms = _AR_TERM_RE.findall(chain)
    total, decimals, previous = Decimal(0), 0, None
    for digits, mult in terms:
        digits = digits.translate(_FULLWIDTH)
        factor = power_of(mult)
        if previous is not None and factor >= previous:
            raise ValueError(f"magnitudes in {chain!r} do not decrease (write 1万2千 or 1.2万)")
        previous = factor
        total = EXACT.add(total, EXACT.multiply(Decimal(digits), factor))
        decimals = max(decimals, len(digits.partition(".")[2]))
    return tidy(total), decimals


@lru_cache(maxsize=8192)
def chinese_value(run: str) -> tuple[Decimal, int, bool]:
    """Value, written decimals and is-a-range of a Chinese numeral ("两千三百", "三点五万", "三四十").

    Raises ValueError when the run is not a numeral.
    """
    import cn2an  # about 0.25 s to import: only when a text has Chinese numerals

    integer, _, fraction = run.partition("点")
    mult = ""
    if fraction:
        stripped = fraction.rstrip("万亿")
        fraction, mult = stripped, fraction[len(stripped) :]
    is_range = False
    if len(integer) >= 2 and integer[:2] in _RANGES and all(c in "十百千万亿" for c in integer[2:]) and not fraction:
        integer, is_range = integer[0] + integer[2:], True  # 三四十 -> 三十: the lower end
    if integer[0] in "百千万亿":
        integer = "一" + integer  # cn2an rejects a bare 千 or 万余
    try:
        whole = cn2an.cn2an(integer, "smart")
    except Exception as exc:  # cn2an also raises KeyError/IndexError on some malformed runs ("〇十九")
        raise ValueError(f"cn2an: {exc!r}") from None
    if not isinstance(whole, int):
        raise ValueError(f"cn2an read {integer!r} as {whole!r}")
    value = Decimal(whole)
    if fraction:
        value = EXACT.add(value, Decimal("0." + "".join(_CN_DIGIT_VALUE[c] for c in fraction)))
    if mult:
        value = tidy(EXACT.multiply(value, power_of(mult)))
    return value, len(fraction), is_range
