"""What kind of figure a number expression is: count, rate, money, date, identifier, ... (heuristics).

Grain: one kind per :class:`~governance_study.text.numerals.NumberExpression`, decided from the expression (unit,
how it is written) and its immediate context in the text (a few characters before and after, and whether it
sits inside a date, a URL or a short quotation). No sentence meaning is used: these are heuristics, tuned on
the five seed articles, and a researcher decides what a figure means. Only :data:`PROPOSED` kinds (count and
rate) are proposed for curation; the others need no decision.

The rules, first match wins (each is tested on a hand-written sentence in ``tests/test_extract_kinds.py``):

``identifier``
    inside a URL or e-mail address; a run of 9 or more digits (image ids "1625013802409024769", licence and
    record numbers "12120170004", "2021001896号"); digits glued to a hyphen outside a date ("号-1"); after
    电话/热线/传真/许可证/备案/ICP备/编号/版本 and similar (举报电话:25204288, IE版本小于10); before
    路/公交/专线/号线/热线 (519公交专线, 12345热线).
``date``
    inside a written date or time ("2021-03-19", "2021/3/19", "03:58"); a year: four digits 1900-2099 (or
    二〇二一) followed by 年; a month 1-12 followed by 月 (not 个月); a day 1-31 followed by 日, or by 号
    right after 月 ("9月28号"); an anniversary (100周年, 两周年).
``span`` (time span or age)
    a duration: 年 that is not a year (十余年, 近3年, 一年来, 百年), 个月, 天, 日 followed by 内 ("30日内"),
    小时, 分钟, 周, 季度 (前三季度); and ages (岁: "60岁以上", "35岁左右"), which are durations of a life.
``change``
    a change rather than a level: 百分点 ("提高3个百分点"), or a number right after 增长/下降/提高/降低/增加/
    减少/上升/回落/增幅/降幅, optionally with 同比/环比 and 了 ("同比增长194.6%"). "提高到95%" is a level, not
    a change: 到/至 in between stops the rule.
``rate``
    a percentage (%, ％, ‰, 百分之...).
``ordinal`` (ordinal, list marker, issue or page number)
    after 第 (第二批, 第一课); a single Chinese numeral followed by 是 or 、 at the start of a clause (一是,
    二、); a number alone on its line or in brackets ("一", "(三)"); "1." at the start of a line; units 届,
    期, 版, and 号 when it is not a date (一号工程, 天舟三号).
``phrase`` (a numeral that names rather than counts)
    any numeral inside a short quotation of at most 12 characters between “”, ‘’, 「」 or 『』 (“三个着力”,
    “两优一先”, “133”工程, “3+7+10+N”; an ASCII " cannot tell opening from closing and is ignored); digits
    joined by +; a single Chinese numeral with no measure word (两委, 一企一证,
    四大产业联盟, 党的十八大); 一 with a measure word, which is the article "a" (一种根基, 一条新路, 一次性);
    levels and classes (级: 两级, 三级党组织, 千亿级); a Chinese numeral followed at once by another numeral
    character (四位一体).
``money``
    元, 美元, 欧元, 港元 (万元 and 亿元 included: the multiplier is part of the number).
``area``
    平方公里, 平方米, 公顷, 亩, ㎡, m².
``measure``
    other physical units: 公里, 米, 吨, 千瓦时, km, GB, ...
``count``
    everything else: a number with a measure word (个, 名, 件, 人次, 家, 场, ...), a score (分) or no unit at all
    ("5大项", "30万居民").

Known limits, with the seed articles' examples: a count of two written 两 + measure word ("两项世界第一",
"两类产业红网格") stays a count, as does a count that is a target ("解决百个问题") or not a governance figure
at all ("52家百亿级企业"): those are for a researcher to mark in ``data/raw/not_curated.csv``. A real count
inside a short quotation (“30个”) is read as a phrase.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Literal

from governance_study.text.numerals import NumberExpression

__all__ = ["Kind", "KINDS", "PROPOSED", "KindContext", "classify"]

Kind = Literal["count", "rate", "money", "area", "measure", "date", "span", "ordinal", "phrase", "change", "identifier"]
#: Every kind, in the order the documentation lists them.
KINDS: tuple[str, ...] = ("count", "rate", "money", "area", "measure", "date", "span", "ordinal", "phrase", "change", "identifier")
#: Kinds proposed for curation; a candidate of any other kind needs no decision.
PROPOSED: frozenset[str] = frozenset({"count", "rate"})

MONEY_UNITS = frozenset({"元", "美元", "欧元", "港元"})
AREA_UNITS = frozenset({"平方公里", "平方米", "公顷", "亩", "㎡", "m²"})
MEASURE_UNITS = frozenset(
    {"公里", "千米", "米", "千克", "公斤", "吨", "千瓦时", "千瓦", "km", "kg", "cm", "mm", "m", "kWh", "kW", "MW", "GB", "MB", "TB"}
)
SPAN_UNITS = frozenset({"个月", "天", "小时", "个小时", "分钟", "秒", "周", "星期", "个星期", "季度", "季", "岁", "周岁"})
ORDINAL_UNITS = frozenset({"届", "期", "版"})

_CN_NUMERAL_CHARS = frozenset("零〇一二两三四五六七八九十百千万亿")
_CN_SINGLE = frozenset("〇一二两三四五六七八九十")
_CN_YEAR_DIGITS = frozenset("〇零一二三四五六七八九")
_CLAUSE_START = frozenset('\n\r。;；:：,，!！?？ \t\u3000\xa0“"(（')
_OPENING_BRACKET = frozenset("(（")
_CLOSING_BRACKET = frozenset(")）")

_ID_BEFORE = re.compile(
    r"(?:电话|热线|传真|手机|邮编|QQ|qq|许可证|备案|备案号|ICP备|公网安备|编号|证号|代码|账号|工号|版本|序号|书号|刊号|文号)"
    r"[:：\s]*(?:号|为|是|小于|大于|低于|高于)?$"
)
_ID_AFTER = re.compile(r"(?:路|公交|专线|号线|热线|次列车)")
_CHANGE_BEFORE = re.compile(
    r"(?:同比|环比|比上年|较上年|比去年|较去年)?(?:增长|下降|提高|降低|增加|减少|上升|下滑|回落|增幅|降幅|增速|涨幅|降|增)了?$"
)
_PLAIN_DIGITS = re.compile(r"[0-9０-９]+")
_DIGIT_CHARS = frozenset("0123456789０１２３４５６７８９")
# Characters that can end the context the three regexes above look for: a cheap test before running them.
_ID_BEFORE_LAST = frozenset("话线真机编Qq证案号备码户版序文:：为是于 \t\u3000\xa0")
_ID_AFTER_FIRST = frozenset("路公专号热次")
_CHANGE_BEFORE_LAST = frozenset("长降高低加少升滑落幅速增了")

# Spans of the text computed once per text (see KindContext).
# A digit that does not follow a digit, then the rest of the date or time: testing one character class first
# keeps the scan fast (a leading lookbehind would be tried at every position of the text).
_DATE_TIME = re.compile(
    r"[0-9](?<![0-9][0-9])(?:\d{3}[-/．.]\d{1,2}[-/．.]\d{1,2}|\d{3}-\d{1,2}(?![0-9])|\d?[:：]\d{2}(?:[:：]\d{2})?)(?![0-9])"
)
_URL = re.compile(r"(?:https?://|www\.)[^\s\"'<>“”，。]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A short quotation around a number: an opening mark at most 12 characters before it, a closing one after it,
# no quotation mark or line break in between. Checked per candidate, on a window of the text, because most
# candidates never reach that rule. ASCII '"' is left out: it cannot tell an opening mark from a closing one.
SHORT_QUOTE_CHARS = 12
_OPEN_BEFORE = re.compile(r"[“‘「『][^“”‘’「」『』\n]*$")
_OPENING_MARKS = frozenset("“‘「『")
_CLOSE_AFTER = re.compile(r"[^“”‘’「」『』\n]*[”’」』]")


class _Spans:
    """Sorted, non-overlapping spans of one text, with an O(log n) containment test."""

    __slots__ = ("starts", "ends")

    def __init__(self, text: str, *patterns: re.Pattern[str]):
        spans = [m.span() for pattern in patterns for m in pattern.finditer(text)]
        if len(patterns) > 1:
            spans.sort()
        self.starts: list[int] = [s for s, _ in spans]
        self.ends: list[int] = [e for _, e in spans]

    def contains(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.ends[i] >= end


class KindContext:
    """What :func:`classify` needs to know about a whole text, computed once: dates, URLs, short quotations."""

    __slots__ = ("text", "dates", "urls")

    def __init__(self, text: str):
        self.text = text
        self.dates = _Spans(text, _DATE_TIME)
        # the cheap substring tests skip two regex scans on the many texts without a URL or an e-mail address
        self.urls = _Spans(text, *([_URL] if "http" in text or "www." in text else []), *([_EMAIL] if "@" in text else []))

    def in_short_quote(self, start: int, end: int) -> bool:
        """True when text[start:end] lies inside a quotation of at most 12 characters (“三个着力”)."""
        lo = max(0, start - SHORT_QUOTE_CHARS)
        # A match of _OPEN_BEFORE begins with an opening mark in text[lo:start]; three candidates in four have
        # none there, and a set test on the slice says so several times faster than the regex.
        if _OPENING_MARKS.isdisjoint(self.text[lo:start]):
            return False
        opening = _OPEN_BEFORE.search(self.text, lo, start)
        if opening is None:
            return False
        room = SHORT_QUOTE_CHARS - (end - opening.start() - 1)
        closing = _CLOSE_AFTER.match(self.text, end, end + room + 1) if room >= 0 else None
        return closing is not None


def _digits(number_text: str) -> str | None:
    """The digit run of a plain Arabic integer ("2021", "０３"), else None."""
    # str.isdigit() is the cheap test, but it also accepts digits of other scripts ("²", "٣"): a non-ASCII run
    # goes on to the regex (only full-width digits pass)
    if number_text.isdigit() and (number_text.isascii() or _PLAIN_DIGITS.fullmatch(number_text)):
        return number_text
    return None


def _is_chinese(number_text: str) -> bool:
    """A numeral written in Chinese characters only (the parser gives either those or Arabic digits)."""
    return _DIGIT_CHARS.isdisjoint(number_text)


def classify(e: NumberExpression, ctx: KindContext) -> Kind:
    """The kind of expression ``e`` found in ``ctx.text`` (rules in the module docstring).

    >>> from governance_study.text.numerals import find_numbers
    >>> text = "举报电话:25204288,2021年受理纠纷657件,办结率达89.9%,同比增长194.6%,第二批,一是"
    >>> ctx = KindContext(text)
    >>> [(e.text, classify(e, ctx)) for e in find_numbers(text)]  # doctest: +NORMALIZE_WHITESPACE
    [('25204288', 'identifier'), ('2021年', 'date'), ('657件', 'count'), ('89.9%', 'rate'),
     ('194.6%', 'change'), ('二批', 'ordinal'), ('一', 'ordinal')]
    """
    text, start, end, unit, number_text = ctx.text, e.start, e.end, e.unit, e.number_text
    before = text[start - 1 : start]  # "" at the start of the text (text[-1:0] is empty), as after at its end
    after = text[end : end + 1]
    digits = _digits(number_text)
    chinese = digits is None and _is_chinese(number_text)

    # identifier
    if ctx.urls.starts and ctx.urls.contains(start, end):
        return "identifier"
    in_date = False
    if digits is not None:
        if len(digits) >= 9:
            return "identifier"
        in_date = ctx.dates.contains(start, end)
        if not in_date and ((before and before in "-－") or (after and after in "-－")):
            return "identifier"
        if (before in _ID_BEFORE_LAST and _ID_BEFORE.search(text, max(0, start - 10), start)) or (
            after in _ID_AFTER_FIRST and _ID_AFTER.match(text, end)
        ):
            return "identifier"

    # date
    if in_date:
        return "date"
    if unit == "年" and e.bound == "exact":
        if digits is not None and len(digits) == 4 and 1900 <= int(digits) <= 2099:
            return "date"
        if chinese and len(number_text) == 4 and all(c in _CN_YEAR_DIGITS for c in number_text):
            return "date"
    if unit == "月" and e.bound == "exact" and 1 <= e.value <= 12 and e.value == int(e.value):
        return "date"
    if unit == "日" and 1 <= e.value <= 31 and not text.startswith(("内", "之内", "以内"), end):
        return "date"
    if unit == "号" and before == "月":
        return "date"
    if unit == "周年":
        return "date"

    # span
    if unit in SPAN_UNITS or unit in ("年", "日", "月"):
        return "span"

    # change and rate
    if unit in ("个百分点", "百分点"):
        return "change"
    if before in _CHANGE_BEFORE_LAST and _CHANGE_BEFORE.search(text, max(0, start - 7), start):
        return "change"
    if unit in ("%", "‰"):
        return "rate"

    # ordinal
    if before == "第":
        return "ordinal"
    if chinese and not unit and len(number_text) == 1 and after in ("是", "、") and (not before or before in _CLAUSE_START):
        return "ordinal"
    if before in _OPENING_BRACKET and after in _CLOSING_BRACKET:
        return "ordinal"
    if not before or before.isspace():
        line_start = text.rfind("\n", 0, start) + 1
        if not text[line_start:start].strip():  # the number starts its line
            line_end = text.find("\n", end)
            if not text[end : line_end if line_end >= 0 else len(text)].strip() or (digits is not None and after in ".．、"):
                return "ordinal"  # a section number alone on its line, or a list marker "1."
    if unit in ORDINAL_UNITS or unit == "号":
        return "ordinal"

    # phrase
    if before == "+" or after == "+" or ctx.in_short_quote(start, end):
        return "phrase"
    if chinese and not unit and e.bound == "exact" and "万" not in number_text and "亿" not in number_text:
        return "phrase"
    if number_text == "一" and e.bound == "exact":
        return "phrase"
    if unit == "级":
        return "phrase"
    if chinese and after in _CN_SINGLE:
        return "phrase"  # paired numerals make a set phrase: 四位一体, 一件事一次办, 两代表一委员

    if unit in MONEY_UNITS:
        return "money"
    if unit in AREA_UNITS:
        return "area"
    if unit in MEASURE_UNITS:
        return "measure"
    return "count"
