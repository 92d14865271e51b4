"""Exact GRIM-style arithmetic: which whole-number fractions k/n give a reported percentage.

A percentage reported with d decimals, say "89.9", is *consistent* with a denominator n under a rounding rule
if some integer numerator 0 <= k <= n makes 100 * k / n round to exactly that text (Brown & Heathers 2017,
"The GRIM test: a simple technique detects numerous anomalies in the reporting of results in psychology",
Social Psychological and Personality Science 8(4): 363-369, doi:10.1177/1948550616673876).

Everything here is integer arithmetic (``fractions.Fraction`` where a ratio is unavoidable): a float would put
591/657 = 89.95433...% on the wrong side of 89.95 often enough to matter when the last digit is the finding.
The reported value is kept as *text*, because "90" and "90.0" claim different precision.

With ``P`` the reported digits as an integer (89.9 -> 899), ``d`` the number of decimals and ``M = 200 * 10**d``
(twice the percent scale, so that half a unit of the last digit is an integer), k/n gives the text iff::

    A * n <= M * k < B * n,   half_up:  A = 2P - 1, B = 2P + 1   (value in [P - 1/2, P + 1/2) units)
                              truncate: A = 2P,     B = 2P + 2   (value in [P, P + 1) units)

so for a fixed n the consistent numerators form the interval ``ceil(A n / M) .. ceil(B n / M) - 1`` (clipped to
0..n), and for a fixed k the consistent denominators form an interval too. Both are computed, never scanned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Rule = Literal["half_up", "truncate"]

#: The rounding rules the audit knows, in the order results are reported.
RULES: tuple[Rule, ...] = ("half_up", "truncate")
#: How each rule reads in a sentence (audit findings, key findings, summaries).
RULE_WORDS: dict[str, str] = {"half_up": "half-up rounding", "truncate": "truncation"}

_PERCENT_TEXT = re.compile(r"^(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class ReportedPercent:
    """A reported percentage as written: ``scaled`` is the digits as an integer, ``decimals`` how many follow
    the point ("89.9" -> scaled 899, decimals 1; "100" -> 100, 0)."""

    text: str
    scaled: int
    decimals: int


def parse_percent(reported_text: str) -> ReportedPercent:
    """Read a reported percentage as text, keeping its written precision.

    Accepts plain decimal digits with an optional trailing "%" (ASCII or full-width) and surrounding spaces;
    anything else (qualifiers such as 超 or 以上, exponents, signs) raises ``ValueError``.

    >>> parse_percent("89.9%")
    ReportedPercent(text='89.9', scaled=899, decimals=1)
    >>> parse_percent("90.0").decimals
    1
    """
    text = str(reported_text).strip().removesuffix("%").removesuffix("％").strip()
    match = _PERCENT_TEXT.match(text)
    if match is None:
        raise ValueError(
            f"reported percentage {reported_text!r} is not plain decimal digits such as '89.9' or '89.9%': "
            "pass the number as written, without qualifiers"
        )
    whole, fraction = match.group(1), match.group(2) or ""
    return ReportedPercent(text=text, scaled=int(whole + fraction), decimals=len(fraction))


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown rounding rule {rule!r}: use one of {', '.join(RULES)}")


def _window(reported: ReportedPercent, rule: str) -> tuple[int, int, int]:
    """``(A, B, M)`` such that k/n gives the reported text iff ``A*n <= M*k < B*n`` (module docstring)."""
    _check_rule(rule)
    m = 200 * 10**reported.decimals
    if rule == "half_up":
        return 2 * reported.scaled - 1, 2 * reported.scaled + 1, m
    return 2 * reported.scaled, 2 * reported.scaled + 2, m


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def numerator_bounds(reported_text: str, denominator: int, rule: Rule) -> tuple[int, int]:
    """Smallest and largest integer k in 0..n for which k/n gives the reported text; ``lo > hi`` when none does.

    Formula: ``lo = max(0, ceil(A n / M))``, ``hi = min(n, ceil(B n / M) - 1)`` (module docstring).
    Reference: Brown & Heathers (2017).

    >>> numerator_bounds("94.6", 821, "half_up")
    (777, 777)
    >>> numerator_bounds("89.9", 657, "half_up")   # empty: no k/657 rounds half-up to 89.9
    (591, 590)
    """
    n = _check_denominator(denominator)
    a, b, m = _window(parse_percent(reported_text), rule)
    return max(0, _ceil_div(a * n, m)), min(n, _ceil_div(b * n, m) - 1)


def _check_denominator(denominator: int) -> int:
    n = int(denominator)
    if n != denominator or n < 1:
        raise ValueError(f"denominator must be a whole number of at least 1, got {denominator!r}")
    return n


def rate_consistent(reported_text: str, numerator: int, denominator: int, rule: Rule) -> bool:
    """Whether ``numerator / denominator`` gives the reported percentage text under ``rule``.

    Formula: with P, d, A, B, M as in the module docstring, true iff ``A*n <= M*k < B*n``; exact integers.
    Reference: Brown & Heathers (2017), the GRIM test, applied to percentages.

    >>> rate_consistent("89.9%", 591, 657, "half_up")    # 591/657 = 89.954...% -> 90.0
    False
    >>> rate_consistent("89.9%", 591, 657, "truncate")
    True
    """
    n = _check_denominator(denominator)
    k = int(numerator)
    if k != numerator or not 0 <= k <= n:
        raise ValueError(f"numerator must be a whole number between 0 and the denominator {n}, got {numerator!r}")
    a, b, m = _window(parse_percent(reported_text), rule)
    return a * n <= m * k < b * n


def consistent_numerators(reported_text: str, denominator: int, rule: Rule) -> list[int]:
    """Every integer k in 0..n for which k/n gives the reported text under ``rule`` (empty if none).

    Formula: ``range(ceil(A n / M), ceil(B n / M))`` clipped to 0..n. Reference: Brown & Heathers (2017).

    >>> consistent_numerators("94.6", 821, "truncate")
    [777]
    >>> consistent_numerators("99.75", 577, "half_up")
    []
    """
    lo, hi = numerator_bounds(reported_text, denominator, rule)
    return list(range(lo, hi + 1))


def denominator_bounds(reported_text: str, numerator: int, rule: Rule) -> tuple[int, int | None] | None:
    """The interval of denominators n >= max(k, 1) for which k/n gives the reported text, for a known numerator k.

    Returns ``(lo, hi)`` with ``hi`` None when unbounded (only a reported 0 with k = 0), or None when no n works.
    Formula: from ``A n <= M k < B n``: ``n > M k / B`` and ``n <= M k / A`` (when A > 0).
    Reference: Brown & Heathers (2017), turned around for a known numerator.

    >>> denominator_bounds("98.27", 567, "half_up")       # 567/577 = 98.2669...%
    (577, 577)
    >>> denominator_bounds("98.27", 577, "half_up") is None   # 577/587 = 98.30%, 577/588 = 98.13%
    True
    """
    k = int(numerator)
    if k != numerator or k < 0:
        raise ValueError(f"numerator must be a whole number of at least 0, got {numerator!r}")
    a, b, m = _window(parse_percent(reported_text), rule)
    lo = max(k, 1, m * k // b + 1)
    if a <= 0:
        hi = None
    else:
        hi = m * k // a
        if hi < lo:
            return None
    return lo, hi


def consistent_denominators(reported_text: str, numerator: int, rule: Rule, max_n: int = 100_000) -> list[int]:
    """Every denominator n (up to ``max_n``) for which ``numerator / n`` gives the reported text under ``rule``.

    Formula and reference: see :func:`denominator_bounds`.

    >>> consistent_denominators("89.9", 591, "truncate")
    [657]
    """
    bounds = denominator_bounds(reported_text, numerator, rule)
    if bounds is None:
        return []
    lo, hi = bounds
    top = max_n if hi is None else min(hi, max_n)
    return list(range(lo, top + 1))


def min_denominator(reported_text: str, rule: Rule, max_n: int = 100_000) -> int | None:
    """The smallest denominator n for which some integer k in 0..n gives the reported text; None above ``max_n``.

    Formula: the smallest n is the denominator of the simplest fraction in ``[A/M, B/M)`` clipped to [0, 1],
    found by the continued-fraction (Stern-Brocot) descent instead of trying n = 1, 2, ... (a reported
    "99.99" would otherwise take thousands of steps). Reference: Brown & Heathers (2017); the simplest-fraction
    descent is the classical one (e.g. Graham, Knuth & Patashnik, *Concrete Mathematics*, section 4.5).

    >>> min_denominator("99.75", "half_up")     # 392/393 = 99.7455...%
    393
    >>> min_denominator("99.75", "truncate")    # 399/400 = 99.75% exactly
    400
    >>> min_denominator("100", "half_up")
    1
    """
    a, b, m = _window(parse_percent(reported_text), rule)
    if a > m:
        return None  # above 100%: no k <= n reaches it
    if a <= 0 or b > m:
        n = 1  # 0/1 or 1/1 lies in the window [a/m, b/m)
    else:
        n = _simplest_in(a, m, b, m, lower_closed=True, upper_closed=False)[1]
    return n if n <= max_n else None


def _simplest_in(low_num: int, low_den: int, high_num: int, high_den: int, *, lower_closed: bool, upper_closed: bool) -> tuple[int, int]:
    """The fraction (numerator, denominator) with the smallest denominator strictly or closedly between
    ``low_num/low_den`` and ``high_num/high_den`` (``high_den == 0`` means no upper end); positive denominators.

    If an integer lies in the interval, the smallest one is the answer. Otherwise the interval sits inside
    (w, w + 1) for w = floor(lower); writing x = w + 1/y maps it onto an interval for y with the endpoints
    swapped, whose simplest member y = p/q gives the simplest x = (w p + q) / p. Plain integers: Fraction
    objects made this three times slower, and the audit runs it twice per rate.
    """
    first = -(-low_num // low_den) if lower_closed else low_num // low_den + 1
    if high_den == 0 or first * high_den < high_num or (first * high_den == high_num and upper_closed):
        return first, 1
    whole = low_num // low_den
    low_rest = low_num - whole * low_den  # lower - whole = low_rest / low_den, in [0, 1)
    high_rest = high_num - whole * high_den  # upper - whole = high_rest / high_den, in (0, 1]
    num, den = _simplest_in(high_den, high_rest, low_den if low_rest else 1, low_rest, lower_closed=upper_closed, upper_closed=lower_closed)
    return whole * num + den, num


def rules_passed(reported_text: str, numerator: int, denominator: int, rules: tuple[str, ...] = RULES) -> list[str]:
    """The rules (in ``rules`` order) under which ``numerator / denominator`` gives the reported text.

    >>> rules_passed("89.9", 591, 657)
    ['truncate']
    """
    return [rule for rule in rules if rate_consistent(reported_text, numerator, denominator, rule)]  # type: ignore[arg-type]


def describe_rules(passed: list[str]) -> str:
    """Rules as the audit writes them: ``"half_up, truncate"``, or ``"none"`` when no rule passes.

    >>> describe_rules([])
    'none'
    """
    return ", ".join(passed) if passed else "none"


def format_percent(numerator: int, denominator: int, decimals: int = 3) -> str:
    """``100 * k / n`` written with ``decimals`` decimals, truncated (for findings: "89.954%" shows the digits
    that decide the rounding, without rounding them itself).

    >>> format_percent(591, 657)
    '89.954%'
    """
    scaled = 100 * 10**decimals * numerator // denominator
    whole, rest = divmod(scaled, 10**decimals)
    return f"{whole}.{rest:0{decimals}d}%" if decimals else f"{whole}%"


def round_percent(numerator: int, denominator: int, decimals: int, rule: Rule) -> str:
    """``100 * k / n`` rounded to ``decimals`` decimals under ``rule``, as text (exact arithmetic).

    >>> round_percent(591, 657, 1, "half_up"), round_percent(591, 657, 1, "truncate")
    ('90.0', '89.9')
    """
    _check_rule(rule)
    value = Fraction(100 * 10**decimals * numerator, denominator)
    scaled = (value + Fraction(1, 2)).__floor__() if rule == "half_up" else value.__floor__()
    whole, rest = divmod(scaled, 10**decimals)
    return f"{whole}.{rest:0{decimals}d}" if decimals else str(whole)
