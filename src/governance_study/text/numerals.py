"""Number expressions in Chinese news text: exact value, bound and unit.

Grain: one :class:`NumberExpression` per number as an article writes it, *with* what qualifies it: the
qualifier before it (超过, 约), 余/多 after it, its measure word and a trailing 以上/左右. "超过25万人次" is one
expression (value 250000, bound ``more_than``, unit 人次), never "25万" alone. Values are exact
:class:`~decimal.Decimal`; nothing here goes through a float.

>>> [(e.text, e.value, e.bound, e.unit) for e in find_numbers("受理矛盾纠纷657件,办结591件,办结率达89.9%")]
[('657件', Decimal('657'), 'exact', '件'), ('591件', Decimal('591'), 'exact', '件'), ('89.9%', Decimal('89.9'), 'exact', '%')]

What is read (see the tests for one case of each):

- Arabic digits, ASCII or full-width (０-９, ．, ％), with a decimal point and thousands separators. A comma
  (ASCII or full-width) is a separator only between groups of exactly three digits after a first group of one
  to three ("1,286", "1,234,567"); these articles use an ASCII comma as Chinese punctuation ("657件,办结591件"),
  and "12,3456" or "2019,2020" are read as two numbers.
- Arabic digits times 百/千/万/亿 written after them ("2.9万", "14.17亿", "3千万", "5百万"), also chained
  with decreasing magnitude ("1万2千" = 12000, "1亿2000万"). 百 is not a multiplier before 分 (百分点) and 千 is
  not one before 米/克/瓦 (千米, 千克, 千瓦 are units).
- Chinese numerals 零〇一二两三四五六七八九十百千万亿 with 点 for decimals (四十二, 两千三百, 三点五), through
  cn2an for the integer part; the decimal digits are read here, because cn2an returns a float for them.
- Bounds: 余/多/几 after the number or between the number and 万/亿 ("9.5万余件", "30余万", "十几个"), 以上
  after the unit, and 至少/不少于/不低于, 数/几 before 十百千万亿 ("数千人") are ``at_least``;
  超过/超/逾/多于 before the number are ``more_than``; 约/近/大约/将近 before or 左右 after are ``approx``.
  When two markers meet, ``approx`` beats ``more_than`` beats ``at_least`` ("约30余万" is approx).
- Percent: "%", "％" and "百分之八十" give unit "%"; the value is in percentage points.
- 负 before a number is a minus sign, except in words such as 减负/抱负/担负/肩负 ("基层减负10项" is 10, not
  -10). An ASCII hyphen is never a sign: in these texts it separates dates ("2021-03-19") and codes.

Decisions (where the text is ambiguous, the rule chosen and why):

- Digits glued to a Latin letter, "_" or "@" are identifiers, not numbers: "Z2线", "M0", "5G基站",
  "t20231213_96555", "jinbinwang2015@163.com" yield nothing (units km/kg/m/GB... excepted: "54km"). Dotted
  sequences of three or more groups ("2021.06.30", "1.2.3") are not numbers either. An Arabic number is never
  split: the lookarounds only ever drop a digit run whole.
- A list marker "1." is the number 1 (the dot is not a decimal point when no digit follows it).
- Every other digit run is returned, whatever its length (19-digit image ids, phone numbers, "2021年" with
  unit 年): telling a count from an id, date or ordinal is the job of a later step.
- Single Chinese numeral characters inside words are returned ("一是" -> 1, "第二批" -> 2 批, "三级" -> 3 级,
  "一元的" -> 1 元): ordinals and list markers are classified later. Exceptions, to keep obvious non-numbers out:
  (a) a small lexicon of words whose numeral character is not a quantity is skipped whole (:data:`NON_NUMBER_WORDS`:
  统一, 一些, 一体, 一站式, 进一步, 万科, 百姓, 十分, 零散, 千家万户, ...); (b) a bare power character
  (百/千/万/亿, alone or combined, as in "万兴街道", "千万不要") counts only with a qualifier, 余/多, a unit or
  以上/左右 ("近千人", "万余件", "百年" and "千亿级" are numbers); (c) runs that are not a valid numeral
  ("十四五", "千千万万") are skipped; (d) written fractions ("三分之一", "千分之五") are skipped whole, since
  their value is not a finite decimal in general. 百分之 is a percentage, not a fraction.
- "千亿级" is the number 千亿 with unit 级 (an order-of-magnitude class, not a count): returned as an
  expression, for the later step to classify.
- Two adjacent consecutive digits are a range ("两三个", "三四十人", "七八百"): the lower end, bound
  ``at_least``. Other digit-by-digit runs are read digit by digit ("二〇二一年" -> 2021; so "一二" -> 12).
- ``value`` keeps the scale written when no multiplier applies ("90.0" -> Decimal('90.0'), equal to 90);
  after 万/亿 it is an integer when exact ("2.9万" -> Decimal('29000')). ``decimals`` records what was written.
- :func:`parse_number` reads what it is given: the lexicon and the bare-power rule apply to searching, not to
  a string the caller says is a number (``parse_number("千")`` is 1000).

Known limits: upper bounds (以下, 不到, 不足, 以内) are not in the bound vocabulary and are left outside the
expression, so "60岁以下" reads as an exact 60 岁; "近3年" (the past three years) reads as approx; a Chinese
numeral before 千米 or 百分点 keeps 千/百 ("三千米" -> 3000 米, "三百分点" -> 300 分; "三个百分点" is right);
"100,200" is read as 100200; idioms outside the lexicon yield their numerals ("一呼百应" is skipped, "万人空巷"
gives 万人).

Speed: regexes are compiled at import; Arabic digits are parsed here with Decimal; cn2an (about 0.25 s to
import) is imported on the first Chinese numeral and its answers are cached. A bare number with at most a unit
(nine expressions in ten) skips the bound logic, and plain ASCII digits skip :func:`arabic_value`. About 27 MB/s on
one core for :func:`find_numbers` over the five seed articles concatenated 200 times (12 MB, 83,400
expressions; 17 MB/s before those fast paths).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Literal

from governance_study.text.numeral_values import EXACT, arabic_value, chinese_value, power_of, tidy

# fmt: off
__all__ = [
    "Bound", "NumberExpression", "NumberParseError", "parse_number", "find_numbers", "UNITS", "NON_NUMBER_WORDS",
]
# fmt: on

Bound = Literal["exact", "at_least", "more_than", "approx"]


@dataclass(frozen=True, slots=True)
class NumberExpression:
    """One number expression as written in a text, with its exact value.

    ``text`` is the whole expression (qualifier + number + 余/多 + unit + 以上/左右); ``number_text`` the numeric
    core as written ("9.5万" in "9.5万余件", "30余万" in "30余万", "八十" in "百分之八十"); ``value`` the
    normalised exact value (percentages in percentage points); ``decimals`` the decimals written in
    ``number_text`` ("90.0" -> 1, "90" -> 0), so that a rate keeps its reported precision; ``start``/``end`` the
    offsets of ``text`` in the string searched (end exclusive).

    >>> e = parse_number("超过25万人次")
    >>> e.value, e.bound, e.unit, e.number_text, e.is_percent
    (Decimal('250000'), 'more_than', '人次', '25万', False)
    """

    text: str
    number_text: str
    value: Decimal
    bound: Bound
    unit: str
    decimals: int
    start: int
    end: int

    @property
    def is_percent(self) -> bool:
        """True when the unit is "%" (written %, ％ or 百分之).

        >>> parse_number("百分之八十").is_percent, parse_number("80%").value
        (True, Decimal('80'))
        """
        return self.unit == "%"


# A frozen dataclass's generated __init__ sets every field through object.__setattr__ looked up by name; setting
# the slots through their descriptors builds the same object (equal, same hash and repr) in about half the time,
# which counts at some 7,000 expressions per MB. Unpacking the eight setters fails loudly if a field is added.
_SLOT_SETTERS = tuple(getattr(NumberExpression, f.name).__set__ for f in fields(NumberExpression))


def _expression(
    text: str, number_text: str, value: Decimal, bound: Bound, unit: str, decimals: int, start: int, end: int
) -> NumberExpression:
    """``NumberExpression(text, number_text, ...)``, built without the dataclass __init__ (see above)."""
    e = object.__new__(NumberExpression)
    set_text, set_number_text, set_value, set_bound, set_unit, set_decimals, set_start, set_end = _SLOT_SETTERS
    set_text(e, text)
    set_number_text(e, number_text)
    set_value(e, value)
    set_bound(e, bound)
    set_unit(e, unit)
    set_decimals(e, decimals)
    set_start(e, start)
    set_end(e, end)
    return e


class NumberParseError(ValueError):
    """A string is not exactly one number expression; the message names the string and what is wrong."""


# --------------------------------------------------------------------------------------------------------------
# Vocabulary

#: Measure words and units recognised right after a number (after 余/多). 万/亿 are never units: they belong to
#: the number ("14.17亿元" is 1417000000 元). Matched longest first (人次 before 人, 平方公里 before 公里).
# fmt: off
UNITS: tuple[str, ...] = (
    "人次", "户次", "件次", "名", "人", "件", "个", "次", "场", "家", "条", "项", "户", "所", "处", "座", "支",
    "位", "批", "类", "种", "级", "元", "美元", "欧元", "港元", "平方公里", "平方米", "公里", "公顷", "千米",
    "米", "千克", "公斤", "吨", "千瓦时", "千瓦", "岁", "周岁", "年", "个月", "个小时", "个星期", "月", "日",
    "天", "号", "小时", "分钟", "秒", "分", "周年", "周", "星期", "届", "期", "轮", "倍", "栋", "套", "张",
    "篇", "份", "本", "台", "辆", "间", "亩", "版", "例", "起", "宗", "只", "头", "棵", "株", "块", "部门",
    "部", "首", "段", "层", "季度", "季", "代", "个百分点", "百分点", "%", "％", "‰", "㎡", "km", "kg", "cm",
    "mm", "m²", "m", "kWh", "kW", "MW", "GB", "MB", "TB",
)
# fmt: on

#: Words whose numeral character is not a quantity; :func:`find_numbers` skips them whole. Kept short on
#: purpose: only frequent words of this genre, where reading a number would always be wrong.
# fmt: off
NON_NUMBER_WORDS: tuple[str, ...] = (
    "统一", "唯一", "万一", "一些", "一直", "一起", "一般", "一定", "一致", "一切", "一样", "一律", "一旦",
    "一同", "一向", "一贯", "一味", "一度", "一体", "一站式", "一揽子", "一系列", "进一步", "一时间", "一线",
    "一键", "一把手", "一肩挑", "一网通办", "一带一路", "一一", "两两", "一半", "一点一滴", "一心一意",
    "一呼百应", "千方百计", "千家万户", "万无一失", "万众一心", "隔三岔五", "千千万万", "万科", "百姓",
    "十分", "万分", "百分点", "百分比", "百分百", "零散", "零星", "零售", "零碎", "零距离",
)
# fmt: on

_D = "0-9０-９"  # Arabic digits, ASCII and full-width
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN = _CN_DIGITS + "十百千万亿"
_BIG = "(?:万亿|万|亿)"


_MORE_THAN = {"超过", "超", "逾", "多于"}
_APPROX = {"约", "近", "大约", "将近"}

# An Arabic literal: not glued to a digit, letter, "_" or "@" before it, nor part of a dotted run; separators
# only between full groups of three; possessive so that a failure never retries on a shorter digit run (which
# would split the number).
_AR = (
    rf"(?<![{_D}A-Za-z_@])(?<![{_D}][.．])"
    rf"(?:[{_D}]{{1,3}}(?:[,，][{_D}]{{3}}(?![{_D}]))++|[{_D}]++)(?:[.．][{_D}]++)?(?![.．]?[{_D}])"
)
_MULT = rf"(?:百(?!分){_BIG}?|千(?![米克瓦]){_BIG}?|{_BIG})"


def _by_first_character(alternatives: list[tuple[str, str]]) -> str:
    """An alternation of (first character, rest as a regex) pairs, grouped by first character: "人(?:次|)|户...".

    The regex engine tests the branches of an alternation one by one, and every match attempt meets the word
    list (55 branches, 11 grouped) and every number the unit list (104, 79 grouped). It matches exactly what the
    flat alternation matches: a branch with another first character fails on it anyway, and the order of the
    branches within a group (longest first) is kept.
    """
    groups: dict[str, list[str]] = {}
    for first, rest in alternatives:
        groups.setdefault(first, []).append(rest)
    return "|".join(re.escape(first) + (f"(?:{'|'.join(rests)})" if rests != [""] else "") for first, rests in groups.items())


# fmt: off
_UNIT = _by_first_character(
    [("个", "(?P<qunit>[多余])(?:月|小时|星期)")]
    + [(u[0], re.escape(u[1:])) for u in sorted(UNITS, key=len, reverse=True)]
)
# fmt: on

_EXPR = rf"""
(?P<qual>超过|多于|大约|将近|不少于|不低于|至少|超|逾|约|近
   |数(?<![人总户件次指参系]数)(?=[十百千万亿])|几(?=[十百千万亿]))?
(?P<pct>百分之)?
(?P<num>
  (?P<neg>(?<![减抱担自胜欺辜肩背身重不正])负)?
  (?:(?P<ar>{_AR}(?:{_MULT}(?:{_AR}{_MULT})*+)?)
    |(?P<cn>[{_CN}]++(?:点[{_CN_DIGITS}]++{_BIG}?)?))
  (?!分之)
  (?P<qin>(?<=[{_D}十百千万亿])[余多几]{_BIG})?
)
(?(qin)|(?P<qpost>(?<=[{_D}十百千万亿])[余多几])?)
(?(pct)|(?P<unit>{_UNIT})?)
(?P<tail>以上|左右)?
"""
_FRACTION = rf"(?!百分之)[{_D}.．{_CN}点]++分之[{_D}.．{_CN}点]++"
_SKIP = _by_first_character([(w[0], re.escape(w[1:])) for w in sorted(NON_NUMBER_WORDS, key=len, reverse=True)])

# Every match starts with one of these characters; testing it first makes the scan several times faster,
# because most positions of a Chinese text then fail on one character-class check.
_STARTS = "".join(sorted(set(_CN + "０１２３４５６７８９超多大将不至逾约近数几负" + "".join(w[0] for w in NON_NUMBER_WORDS))))
_EXPR_RE = re.compile(_EXPR, re.VERBOSE)
# Fractions first: "十分之一" is a fraction, not the word 十分 ("very") followed by 之一.
_SCAN_RE = re.compile(rf"(?=[0-9{_STARTS}])(?:(?P<skip>{_FRACTION}|{_SKIP})|{_EXPR})", re.VERBOSE)
# What may not follow an Arabic number (see _interpret): one character of [A-Za-z_@], tested by set membership
# rather than a regex match per number.
_ASCII_TAIL_CHARS = frozenset(string.ascii_letters + "_@")
#: The units that begin with a Latin letter ("54km"): the letters that may follow an Arabic number.
_LATIN_UNITS = frozenset(u for u in UNITS if u[:1].isascii() and u[:1].isalpha())
# The groups of an expression, in the order _interpret unpacks them from m.groups(): one call instead of a
# lookup by name per group. _SCAN_RE has "skip" before them. Checked here, so that a group added to the patterns
# cannot shift them silently.
_GROUPS = ("qual", "pct", "num", "neg", "ar", "cn", "qin", "qpost", "unit", "qunit", "tail")


def _check_group_order() -> None:
    for pattern, names in (("_EXPR_RE", _GROUPS), ("_SCAN_RE", ("skip", *_GROUPS))):
        compiled = globals()[pattern]
        numbers = [compiled.groupindex.get(n) for n in names]
        if compiled.groups != len(names) or numbers != list(range(1, len(names) + 1)):
            raise RuntimeError(f"numerals: {pattern} must have the groups {names}, in this order (see _interpret)")


_check_group_order()


def _interpret(m: re.Match[str], groups: tuple[str | None, ...], text: str, *, searching: bool) -> NumberExpression:
    """Turn a match of the expression pattern (``groups``: its _GROUPS) into a NumberExpression; ValueError says
    why it is not one."""
    qual, pct, num, neg, ar, cn, qin, qpost, unit, qunit, tail = groups
    unit = unit or ""
    is_range = False
    if ar is not None:
        if ar.isascii() and ar.isdigit():  # "657", four expressions in ten: what arabic_value would say, without a call
            value, decimals = Decimal(ar), 0
        else:
            value, decimals = arabic_value(ar)
        # digits followed by a Latin letter are an identifier ("5G"), unless the letters are the unit ("54km")
        after = m.end("unit") if unit in _LATIN_UNITS else m.end("num")
        if text[after : after + 1] in _ASCII_TAIL_CHARS:
            raise ValueError(f"{m[0]!r} is glued to Latin letters: an identifier such as 'Z2' or '5G', not a number")
    else:
        try:
            value, decimals, is_range = chinese_value(cn)
        except ValueError as exc:
            raise ValueError(f"{cn!r} is not a valid Chinese numeral ({exc})") from None
        if searching and cn.strip("百千万亿") == "" and not (qual or qin or qpost or unit or tail):
            raise ValueError(f"{cn!r} alone, without qualifier, 余/多 or unit, is read as part of a word")
    start, end = m.span()
    if not (qual or pct or neg or qin or qpost or qunit or tail):
        # Most expressions (9 in 10 in the seed articles): a bare number with at most a unit ("657件", "三家"). The
        # steps below would leave value and unit as they are and find the bound exact (at_least for a range).
        bare_bound: Bound = "at_least" if is_range else "exact"
        return _expression(m[0], num, value, bare_bound, "%" if unit == "％" else unit, decimals, start, end)
    bounds: set[str] = set()
    if is_range:
        bounds.add("at_least")
    if qin:
        value = tidy(EXACT.multiply(value, power_of(qin[1:])))
    if neg and value:
        value = value.copy_negate()
    if qual in _MORE_THAN:
        bounds.add("more_than")
    elif qual in _APPROX:
        bounds.add("approx")
    elif qual:
        bounds.add("at_least")  # 至少, 不少于, 不低于, 数千, 几十
    if qin or qpost or qunit or tail == "以上":
        bounds.add("at_least")
    if tail == "左右":
        bounds.add("approx")
    # approx beats more_than beats at_least
    if not bounds:
        bound: Bound = "exact"
    elif "approx" in bounds:
        bound = "approx"
    elif "more_than" in bounds:
        bound = "more_than"
    else:
        bound = "at_least"
    if pct or unit == "％":
        unit = "%"
    elif qunit:
        unit = unit.replace(qunit, "", 1)  # 个多月 -> 个月
    return _expression(m[0], num, value, bound, unit, decimals, start, end)


# --------------------------------------------------------------------------------------------------------------
# Public functions


def find_numbers(text: str) -> Iterator[NumberExpression]:
    """Every number expression in ``text``, left to right, non-overlapping and maximal.

    One item per expression as written, with offsets such that ``text[e.start:e.end] == e.text``. Words of
    :data:`NON_NUMBER_WORDS`, written fractions, invalid numeral runs and identifiers ("Z2", "5G") yield nothing.

    >>> s = "累计解决跑冒滴漏等小事急事9.5万余件,统一派单,超过25万人次参与"
    >>> [(e.text, e.value, e.bound, e.unit) for e in find_numbers(s)]
    [('9.5万余件', Decimal('95000'), 'at_least', '件'), ('超过25万人次', Decimal('250000'), 'more_than', '人次')]
    >>> all(s[e.start:e.end] == e.text for e in find_numbers(s))
    True
    >>> [e.text for e in find_numbers("Z2线、5G基站7.3万个,第二批,一是")]
    ['7.3万个', '二批', '一']
    """
    for m in _SCAN_RE.finditer(text):
        groups = m.groups()
        if groups[0] is not None:  # "skip": a word of NON_NUMBER_WORDS or a written fraction
            continue
        try:
            yield _interpret(m, groups[1:], text, searching=True)
        except ValueError:
            continue


def parse_number(text: str) -> NumberExpression:
    """Read a string that is exactly one number expression (no surrounding whitespace) into its value.

    ``start`` is 0 and ``end`` is ``len(text)``. Raises :class:`NumberParseError` naming the string and the
    problem: empty, no number, more than one expression, or text before/after the expression.

    >>> e = parse_number("9.5万余件")
    >>> e.value, e.bound, e.unit, e.number_text, e.decimals
    (Decimal('95000'), 'at_least', '件', '9.5万', 1)
    >>> parse_number("约260万人").bound, parse_number("负3").value, parse_number("二万三千").value
    ('approx', Decimal('-3'), Decimal('23000'))
    >>> parse_number("95分以上 ")
    Traceback (most recent call last):
    ...
    governance_study.text.numerals.NumberParseError: '95分以上 ' has leading or trailing whitespace: strip it before parsing
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_number expects a str, got {type(text).__name__}: {text!r}")
    if not text:
        raise NumberParseError("empty string: expected one number expression such as '2.9万名' or '89.9%'")
    if text != text.strip():
        raise NumberParseError(f"{text!r} has leading or trailing whitespace: strip it before parsing")
    m = _EXPR_RE.fullmatch(text)
    if m is not None:
        try:
            return _interpret(m, m.groups(), text, searching=False)
        except ValueError as exc:
            raise NumberParseError(f"{text!r} is not a number expression: {exc}") from None
    found = list(find_numbers(text))
    if not found:
        hint = ""
        if re.search(rf"[{_D}]", text):
            hint = " (digits next to Latin letters, as in 'Z2' or '5G', and dotted runs such as '2021.06.30' are not numbers)"
        raise NumberParseError(f"no number expression in {text!r}{hint}")
    if len(found) > 1:
        listed = ", ".join(repr(e.text) for e in found)
        raise NumberParseError(f"{text!r} holds {len(found)} number expressions ({listed}): pass one at a time, or use find_numbers")
    e = found[0]
    if e.start > 0:
        raise NumberParseError(f"{text!r}: unexpected text {text[: e.start]!r} before the number expression {e.text!r}")
    raise NumberParseError(f"{text!r}: unexpected text {text[e.end :]!r} after the number expression {e.text!r}")
