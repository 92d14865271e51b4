"""Number expressions: hand-written cases for every form and qualifier, the seed articles, and properties.

Golden values are hand calculations (2.9万 = 2.9 x 10^4) or cn2an's own writer ``an2cn`` (an independent
implementation of the Chinese numeral system) for the round trips.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance_study.text import numerals
from governance_study.text.numerals import NON_NUMBER_WORDS, UNITS, NumberExpression, NumberParseError, find_numbers, parse_number

SOURCES = Path(__file__).resolve().parents[1] / "data" / "raw" / "sources"

D = Decimal


def read(text: str) -> tuple:
    e = parse_number(text)
    return e.value, e.bound, e.unit, e.number_text, e.decimals


# --------------------------------------------------------------------------------------------------------------
# One case per form and qualifier: (text, value, bound, unit, number_text, decimals)

CASES = [
    # Arabic digits, multipliers, separators, full-width
    ("2.9万名", D(29000), "exact", "名", "2.9万", 1),
    ("815.33万人次", D(8153300), "exact", "人次", "815.33万", 2),
    ("14.17亿元", D(1417000000), "exact", "元", "14.17亿", 2),
    ("7095万美元", D(70950000), "exact", "美元", "7095万", 0),
    ("4377万条", D(43770000), "exact", "条", "4377万", 0),
    ("75亿元", D(7500000000), "exact", "元", "75亿", 0),
    ("1.5万亿元", D(1500000000000), "exact", "元", "1.5万亿", 1),
    ("3千万", D(30000000), "exact", "", "3千万", 0),
    ("5百万人", D(5000000), "exact", "人", "5百万", 0),
    ("1万2千", D(12000), "exact", "", "1万2千", 0),
    ("1亿2000万", D(120000000), "exact", "", "1亿2000万", 0),
    ("0.5万", D(5000), "exact", "", "0.5万", 1),
    ("0.12345万", D("1234.5"), "exact", "", "0.12345万", 5),
    ("1,286", D(1286), "exact", "", "1,286", 0),
    ("1,234,567", D(1234567), "exact", "", "1,234,567", 0),
    ("1，234.5元", D("1234.5"), "exact", "元", "1，234.5", 1),
    ("７０９５万美元", D(70950000), "exact", "美元", "７０９５万", 0),
    ("１２．５％", D("12.5"), "exact", "%", "１２．５", 1),
    ("1625013802409024769", D(1625013802409024769), "exact", "", "1625013802409024769", 0),
    ("2021年", D(2021), "exact", "年", "2021", 0),
    ("03月", D(3), "exact", "月", "03", 0),
    ("54km", D(54), "exact", "km", "54", 0),
    ("3千米", D(3), "exact", "千米", "3", 0),
    ("3个百分点", D(3), "exact", "个百分点", "3", 0),
    ("1个小时", D(1), "exact", "个小时", "1", 0),
    # Chinese numerals
    ("二万三千", D(23000), "exact", "", "二万三千", 0),
    ("四十二", D(42), "exact", "", "四十二", 0),
    ("两千三百", D(2300), "exact", "", "两千三百", 0),
    ("三家", D(3), "exact", "家", "三", 0),
    ("二〇二一年", D(2021), "exact", "年", "二〇二一", 0),
    ("三点五万", D(35000), "exact", "", "三点五万", 1),
    ("九十九点五", D("99.5"), "exact", "", "九十九点五", 1),
    ("零", D(0), "exact", "", "零", 0),
    ("千亿级", D(10**11), "exact", "级", "千亿", 0),
    ("百亿级", D(10**10), "exact", "级", "百亿", 0),
    ("百年", D(100), "exact", "年", "百", 0),
    # percent: rates keep their written decimals
    ("89.9%", D("89.9"), "exact", "%", "89.9", 1),
    ("90.0%", D("90.0"), "exact", "%", "90.0", 1),
    ("90%", D(90), "exact", "%", "90", 0),
    ("百分之八十", D(80), "exact", "%", "八十", 0),
    ("百分之九十九点五", D("99.5"), "exact", "%", "九十九点五", 1),
    # at_least: 余/多/几 after the number, between number and 万, after a bare 万; 以上 after the unit
    ("9.5万余件", D(95000), "at_least", "件", "9.5万", 1),
    ("610多场", D(610), "at_least", "场", "610", 0),
    ("4万多人", D(40000), "at_least", "人", "4万", 0),
    ("130余个", D(130), "at_least", "个", "130", 0),
    ("20多项", D(20), "at_least", "项", "20", 0),
    ("30余万", D(300000), "at_least", "", "30余万", 0),
    ("30多万人", D(300000), "at_least", "人", "30多万", 0),
    ("万余件", D(10000), "at_least", "件", "万", 0),
    ("十余年", D(10), "at_least", "年", "十", 0),
    ("三十余万", D(300000), "at_least", "", "三十余万", 0),
    ("十几个", D(10), "at_least", "个", "十", 0),
    ("3个多月", D(3), "at_least", "个月", "3", 0),
    ("95分以上", D(95), "at_least", "分", "95", 0),
    ("99%以上", D(99), "at_least", "%", "99", 0),
    ("60岁以上", D(60), "at_least", "岁", "60", 0),
    ("至少3次", D(3), "at_least", "次", "3", 0),
    ("不少于5人", D(5), "at_least", "人", "5", 0),
    ("不低于90%", D(90), "at_least", "%", "90", 0),
    ("数千人", D(1000), "at_least", "人", "千", 0),
    ("几十万", D(100000), "at_least", "", "十万", 0),
    ("两三个", D(2), "at_least", "个", "两三", 0),
    ("三四十人", D(30), "at_least", "人", "三四十", 0),
    # more_than: 超过/超/逾/多于 before
    ("超过25万人次", D(250000), "more_than", "人次", "25万", 0),
    ("超过15%", D(15), "more_than", "%", "15", 0),
    ("超90%", D(90), "more_than", "%", "90", 0),
    ("超100亿元", D(10**10), "more_than", "元", "100亿", 0),
    ("逾千人", D(1000), "more_than", "人", "千", 0),
    ("多于5家", D(5), "more_than", "家", "5", 0),
    ("超过百分之八十", D(80), "more_than", "%", "八十", 0),
    # approx: 约/近/大约/将近 before, 左右 after
    ("约260万人", D(2600000), "approx", "人", "260万", 0),
    ("近千人", D(1000), "approx", "人", "千", 0),
    ("大约3000元", D(3000), "approx", "元", "3000", 0),
    ("将近2万名", D(20000), "approx", "名", "2万", 0),
    ("3000元左右", D(3000), "approx", "元", "3000", 0),
    ("35岁左右", D(35), "approx", "岁", "35", 0),
    # approx beats more_than beats at_least
    ("约30余万", D(300000), "approx", "", "30余万", 0),
    ("超过2万余人", D(20000), "more_than", "人", "2万", 0),
    # negative
    ("负3", D(-3), "exact", "", "负3", 0),
    ("负三", D(-3), "exact", "", "负三", 0),
    ("负3.5%", D("-3.5"), "exact", "%", "负3.5", 1),
]


@pytest.mark.parametrize(("text", "value", "bound", "unit", "number_text", "decimals"), CASES, ids=[c[0] for c in CASES])
def test_parse_number_reads_each_form(text, value, bound, unit, number_text, decimals):
    assert read(text) == (value, bound, unit, number_text, decimals)
    e = parse_number(text)
    assert (e.text, e.start, e.end) == (text, 0, len(text))
    assert isinstance(e.value, Decimal)


def test_value_keeps_written_scale_and_decimals():
    # "90.0" and "90" are the same value but different reports: the GRIM audit needs the decimals written
    a, b = parse_number("90.0%"), parse_number("90%")
    assert a.value == b.value and (a.decimals, b.decimals) == (1, 0)
    assert str(a.value) == "90.0" and str(parse_number("2.9万").value) == "29000"


def test_is_percent():
    assert parse_number("89.9%").is_percent and parse_number("百分之八十").is_percent
    assert not parse_number("95分").is_percent


def test_number_expression_is_frozen():
    e = parse_number("3个")
    with pytest.raises(AttributeError):
        e.value = D(4)  # type: ignore[misc]
    assert isinstance(e, NumberExpression)


def test_values_beyond_28_digits_stay_exact():
    # Decimal's default context would round a 30-digit product silently
    digits = "123456789012345678901234567.89"
    assert parse_number(f"{digits}万").value == D("1234567890123456789012345678900")


# --------------------------------------------------------------------------------------------------------------
# Errors name the text and what is wrong


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty string"),
        ("  ", "leading or trailing whitespace"),
        (" 3个", "leading or trailing whitespace"),
        ("3个\n", "leading or trailing whitespace"),
        ("党员干部", "no number expression in '党员干部'"),
        ("统一", "no number expression in '统一'"),
        ("5G", "Latin letters"),
        ("2021.06.30", "dotted runs"),
        ("657件,办结591件", "holds 2 number expressions ('657件', '591件')"),
        ("3个5件", "holds 2 number expressions"),
        ("95分以上率", "unexpected text '率' after the number expression '95分以上'"),
        ("共3个", "unexpected text '共' before the number expression '3个'"),
        ("1.", "unexpected text '.' after"),
        ("十四五", "'十四五' is not a valid Chinese numeral"),
        ("三分之一", "no number expression"),
        ("1万2万", "do not decrease"),
    ],
)
def test_parse_number_errors_say_what_is_wrong(text, message):
    with pytest.raises(NumberParseError) as info:
        parse_number(text)
    assert message in str(info.value)
    if text.strip():
        assert repr(text) in str(info.value)


def test_parse_number_rejects_non_strings():
    with pytest.raises(TypeError, match="expects a str"):
        parse_number(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------------
# find_numbers on sentences of the seed articles


def found(text: str) -> list[tuple]:
    out = []
    for e in find_numbers(text):
        assert text[e.start : e.end] == e.text
        out.append((e.text, e.value, e.bound, e.unit))
    return out


SENTENCES = [
    (
        "组织处级以上领导干部下访接访620次,受理难题事项657件,及时受理率100%、按期办结率100%。",
        [
            ("620次", D(620), "exact", "次"),
            ("657件", D(657), "exact", "件"),
            ("100%", D(100), "exact", "%"),
            ("100%", D(100), "exact", "%"),
        ],
    ),
    (
        "坚持一站式接收、一揽子调处、全链条解决,受理矛盾纠纷657件,办结591件,办结率达89.9%。",
        [("657件", D(657), "exact", "件"), ("591件", D(591), "exact", "件"), ("89.9%", D("89.9"), "exact", "%")],
    ),
    ("带动处级以上领导班子成员深入分管领域宣讲295场,以上率下领悟思想伟力。", [("295场", D(295), "exact", "场")]),
    (
        "面向社会宣讲610多场,受众4万多人,推动党的创新理论“飞入寻常百姓家”。",
        [("610多场", D(610), "at_least", "场"), ("4万多人", D(40000), "at_least", "人")],
    ),
    (
        "“双节”期间接待游客815.33万人次,同比增长194.6%,拉动消费14.17亿元,同比增长103.2%。",
        [
            ("815.33万人次", D(8153300), "exact", "人次"),
            ("194.6%", D("194.6"), "exact", "%"),
            ("14.17亿元", D(1417000000), "exact", "元"),
            ("103.2%", D("103.2"), "exact", "%"),
        ],
    ),
    (
        "前三季度落地优质项目1195个,内资到位额75亿元,外资到位额7095万美元",
        [
            ("三季度", D(3), "exact", "季度"),
            ("1195个", D(1195), "exact", "个"),
            ("75亿元", D(7500000000), "exact", "元"),
            ("7095万美元", D(70950000), "exact", "美元"),
        ],
    ),
    ("今年以来,累计解决跑冒滴漏等小事急事9.5万余件。", [("9.5万余件", D(95000), "at_least", "件")]),
    ("今年以来,各部门解决危房排险等大事难事万余件,", [("万余件", D(10000), "at_least", "件")]),
    (
        "居民群众志愿建,广泛开展绿地认领、扶老助困、文明行动等系列活动,超过25万人次参与志愿服务。",
        [("超过25万人次", D(250000), "more_than", "人次")],
    ),
    (
        "辖区面积54平方公里,辖20个社区、145个居民小区,户籍人口10余万,常住人口30余万。",
        [
            ("54平方公里", D(54), "exact", "平方公里"),
            ("20个", D(20), "exact", "个"),
            ("145个", D(145), "exact", "个"),
            ("10余万", D(100000), "at_least", ""),
            ("30余万", D(300000), "at_least", ""),
        ],
    ),
    (
        "60岁以上老年人约260万人,占比超过15%,且月收入在3000元左右的中低收入老人比例较高。",
        [
            ("60岁以上", D(60), "at_least", "岁"),
            ("约260万人", D(2600000), "approx", "人"),
            ("超过15%", D(15), "more_than", "%"),
            ("3000元左右", D(3000), "approx", "元"),
        ],
    ),
    (
        "目前吸引落地企业超2700家,注册资本超1000亿元,",
        [("超2700家", D(2700), "more_than", "家"), ("超1000亿元", D(10**11), "more_than", "元")],
    ),
    ("了解到园区一半以上为科技型企业,超90%为中小型创业企业,", [("超90%", D(90), "more_than", "%")]),
    (
        "今年以来,全区21个街镇吹哨办结166项,办结满意率评分95分以上。",
        [("21个", D(21), "exact", "个"), ("166项", D(166), "exact", "项"), ("95分以上", D(95), "at_least", "分")],
    ),
    (
        "深入开展向下推责转责、随意摊派工作等基层减负10项专项整治,",  # 减负 is "reduce burdens", not minus
        [("10项", D(10), "exact", "项")],
    ),
    ("他了解到李奶奶与亲人十余年未见,", [("十余年", D(10), "at_least", "年")]),
    (
        "集聚52家百亿级企业,形成新一代信息技术、新能源新材料等4个千亿级产业集群。",
        [
            ("52家", D(52), "exact", "家"),
            ("百亿级", D(10**10), "exact", "级"),
            ("一代", D(1), "exact", "代"),
            ("4个", D(4), "exact", "个"),
            ("千亿级", D(10**11), "exact", "级"),
        ],
    ),
    (
        "比如,今年2月,万科天津东疆港冷链中心项目拿地当场拿证,",  # 万科 is a company
        [("2月", D(2), "exact", "月")],
    ),
    (
        "南开区万兴街道天大北五村社区",  # a bare 万 inside a name is not a number; 五村 is (ordinal-like, later)
        [("五", D(5), "exact", "")],
    ),
    ("比如,Z2、Z4线轨道交通建设,共同谋划了园区M0新型产业用地,高标准建成5G基站7.3万个", [("7.3万个", D(73000), "exact", "个")]),
    ("服务邮箱:jinbinwang2015@163.com 举报电话:25204288", [("25204288", D(25204288), "exact", "")]),
    (
        "细化“3255”现代都市型产业体系,构建“3+7+10+N”招商队伍体系",
        [("3255", D(3255), "exact", ""), ("3", D(3), "exact", ""), ("7", D(7), "exact", ""), ("10", D(10), "exact", "")],
    ),
    (
        "1.落实“企业吹哨、理事会报到”",  # a list marker: 1, and the dot is not a decimal point
        [("1", D(1), "exact", "")],
    ),
    (
        "来源:光明网-《光明日报》2021-03-19 03:58",
        [
            ("2021", D(2021), "exact", ""),
            ("03", D(3), "exact", ""),
            ("19", D(19), "exact", ""),
            ("03", D(3), "exact", ""),
            ("58", D(58), "exact", ""),
        ],
    ),
    (
        "第二批主题教育开展以来,一是领导干部带头讲。",  # ordinals and list markers are returned, classified later
        [("二批", D(2), "exact", "批"), ("一", D(1), "exact", "")],
    ),
    ("统筹谋划、一体推进,统一派单,进一步提升,零散分布的6000余名快递外卖员", [("6000余名", D(6000), "at_least", "名")]),
]


@pytest.mark.parametrize(("sentence", "expected"), SENTENCES, ids=[s[:12] for s, _ in SENTENCES])
def test_find_numbers_in_seed_sentences(sentence, expected):
    assert found(sentence) == expected


def test_written_fractions_and_thousands_separators():
    assert found("占三分之一,1,286人,2019,2020年,12,3456") == [
        ("1,286人", D(1286), "exact", "人"),
        ("2019", D(2019), "exact", ""),
        ("2020年", D(2020), "exact", "年"),
        ("12", D(12), "exact", ""),
        ("3456", D(3456), "exact", ""),
    ]


def test_lexicon_words_are_skipped_but_numbers_containing_them_are_not():
    assert found("十分重要,占十分之一,得了九十分,万一出现,三万一千人") == [
        ("九十分", D(90), "exact", "分"),
        ("三万一千人", D(31000), "exact", "人"),
    ]


def test_bare_power_characters_need_a_qualifier_or_unit():
    assert found("千万不要,万众一心,“百”个家庭,百个问题,近千人") == [("百个", D(100), "exact", "个"), ("近千人", D(1000), "approx", "人")]
    assert parse_number("千").value == 1000  # parse_number reads what it is told is a number


def test_dotted_runs_are_not_numbers_and_never_split():
    assert found("版本1.2.3于2021.06.30发布,PM2.5为35") == [("35", D(35), "exact", "")]


@pytest.mark.skipif(not SOURCES.is_dir(), reason="seed articles not present")
def test_every_digit_of_the_seed_articles_is_read_whole_or_is_an_identifier():
    """Every Arabic digit is inside exactly one expression, except digits glued to Latin letters (ids)."""
    left: list[str] = []
    for path in sorted(SOURCES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        covered = [False] * len(text)
        last_end = 0
        for e in find_numbers(text):
            assert text[e.start : e.end] == e.text and e.start >= last_end
            assert parse_number(e.text).value == e.value
            last_end = e.end
            covered[e.start : e.end] = [True] * (e.end - e.start)
        for run in re.finditer(r"[0-9]+", text):
            if not all(covered[run.start() : run.end()]):
                assert not any(covered[run.start() : run.end()]), f"{path.name}: digit run {run[0]!r} split"
                left.append(text[max(run.start() - 1, 0) : run.end() + 1])
    assert sorted(left) == sorted(["Z2、", "Z4线", "M0新", "成5G", "g2015@", "@163.", "t20231213_", "_96555."])


# --------------------------------------------------------------------------------------------------------------
# Properties

SETTINGS = settings(max_examples=150, deadline=None)


def fraction_text(n: int, places: int) -> str:
    digits = str(n).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}" if places else digits


def grouped(integer: str, sep: str) -> str:
    head = len(integer) % 3 or 3
    return sep.join([integer[:head]] + [integer[i : i + 3] for i in range(head, len(integer), 3)])


@SETTINGS
@given(n=st.integers(0, 10**15), places=st.integers(0, 4), sep=st.sampled_from(["", ",", "，"]), width=st.sampled_from(["ascii", "full"]))
def test_arabic_numbers_round_trip(n, places, sep, width):
    plain = fraction_text(n, places)
    integer, dot, frac = plain.partition(".")
    text = grouped(integer, sep) + dot + frac
    if width == "full":
        text = text.translate(str.maketrans("0123456789.,", "０１２３４５６７８９．，"))
    e = parse_number(text)
    assert (e.value, e.decimals, e.bound, e.unit) == (D(plain), places, "exact", "")
    assert [x.text for x in find_numbers(f"共有{text}的")] == [text]


@SETTINGS
@given(n=st.integers(0, 10**9), places=st.integers(0, 4), mult=st.sampled_from(["万", "亿", "千", "万亿"]))
def test_arabic_times_wan_yi_round_trip(n, places, mult):
    text = fraction_text(n, places) + mult
    factor = {"万": 10**4, "亿": 10**8, "千": 10**3, "万亿": 10**12}[mult]
    e = parse_number(text)
    assert e.value == D(fraction_text(n, places)) * factor and e.decimals == places
    assert e.value == e.value.to_integral_value() or "E" not in str(e.value)


@SETTINGS
@given(n=st.integers(0, 10**12 - 1))
def test_chinese_integers_round_trip(n):
    text = cn2an.an2cn(n)
    assert parse_number(text).value == n
    assert [(x.text, x.value) for x in find_numbers(f"的{text}的")] == [(text, D(n))]


@SETTINGS
@given(n=st.integers(0, 10**8), places=st.integers(1, 6), negative=st.booleans())
def test_chinese_decimals_and_sign_round_trip(n, places, negative):
    plain = ("-" if negative else "") + fraction_text(n, places)
    text = cn2an.an2cn(plain)  # 三点一四, 负五点零 (an2cn writes every decimal, trailing zeros included)
    e = parse_number(text)
    assert (e.value, e.decimals) == (D(plain), places)


PREFIXES = {
    "": None,
    "超过": "more_than",
    "超": "more_than",
    "逾": "more_than",
    "多于": "more_than",
    "约": "approx",
    "近": "approx",
    "大约": "approx",
    "将近": "approx",
    "至少": "at_least",
    "不少于": "at_least",
    "不低于": "at_least",
}
SAFE_UNITS = [u for u in UNITS if u[0] not in "千百"]  # 三千米 keeps 千 in the number (documented limit)


@st.composite
def expressions(draw) -> tuple[str, Decimal, str, str]:
    """A qualifier + number + 余/多 + unit + 以上/左右, with the value, bound and unit it must read as."""
    prefix = draw(st.sampled_from(sorted(PREFIXES)))
    more = draw(st.sampled_from(["", "余", "多"]))
    if draw(st.booleans()):
        n = draw(st.integers(1, 10**7))
        number, value = str(n), D(n)
    else:
        n = draw(st.integers(1, 10**7))
        if more:
            n *= 10  # 余/多 follow a Chinese numeral only after 十/百/千/万/亿 (三十余, not 三余)
        number, value = cn2an.an2cn(n), D(n)
    unit = draw(st.sampled_from(["", *SAFE_UNITS]))
    tail = draw(st.sampled_from(["", "以上", "左右"]))
    marks = {PREFIXES[prefix], "at_least" if more or tail == "以上" else None, "approx" if tail == "左右" else None}
    bound = next((b for b in ("approx", "more_than", "at_least") if b in marks), "exact")
    return prefix + number + more + unit + tail, value, bound, "%" if unit == "％" else unit


@SETTINGS
@given(expr=expressions())
def test_qualifier_number_unit_round_trip(expr):
    text, value, bound, unit = expr
    e = parse_number(text)
    assert (e.value, e.bound, e.unit) == (value, bound, unit), text


@SETTINGS
@given(
    parts=st.lists(expressions(), min_size=1, max_size=6),
    seps=st.lists(st.text(alphabet="的在与及和是为把被从对", min_size=1, max_size=4), min_size=7, max_size=7),
)
def test_find_numbers_recovers_generated_expressions_with_offsets(parts, seps):
    text, expected = seps[0], []
    for (expr, value, bound, unit), sep in zip(parts, seps[1:]):
        start = len(text)
        text += expr
        expected.append((expr, value, bound, unit, start, start + len(expr)))
        text += sep
    got = [(e.text, e.value, e.bound, e.unit, e.start, e.end) for e in find_numbers(text)]
    assert got == expected


NOISY = "0123456789０５.,，．%％万亿千百十零〇一二两三四五六七八九余多几超过约近逾负减数以上左右个人次件名元分之点年的是统ZGkm_@ -"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=NOISY, max_size=40))
def test_offsets_point_at_the_text_for_arbitrary_text(text):
    last_end = 0
    for e in find_numbers(text):
        assert text[e.start : e.end] == e.text
        assert last_end <= e.start < e.end
        assert e.number_text in e.text
        last_end = e.end
        again = parse_number(e.text)
        assert (again.value, again.bound, again.unit, again.decimals) == (e.value, e.bound, e.unit, e.decimals)


# --------------------------------------------------------------------------------------------------------------
# The speed-ups give what the plain constructions give


def test_expressions_built_without_the_dataclass_init_equal_dataclass_ones():
    args = ("约3千人次", "3千", D(3000), "approx", "人次", 0, 7, 12)
    fast, plain = numerals._expression(*args), NumberExpression(*args)
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    with pytest.raises(AttributeError):
        fast.value = D(4)  # type: ignore[misc]


# The flat alternations the grouped ones (numerals._by_first_character) replace, built as they used to be.
FLAT_UNIT = "|".join(["个(?P<qunit>[多余])(?:月|小时|星期)"] + [re.escape(u) for u in sorted(UNITS, key=len, reverse=True)])
FLAT_SKIP = "|".join(re.escape(w) for w in sorted(NON_NUMBER_WORDS, key=len, reverse=True))
PIECES = sorted(
    set(UNITS) | set(NON_NUMBER_WORDS) | set("0123456789５.,，%％万亿千百十零〇一二两三四五六七八九余多几超过约近以上左右的是km")
)


def flat_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    scan, expr = numerals._SCAN_RE.pattern, numerals._EXPR_RE.pattern
    assert numerals._UNIT in scan and numerals._SKIP in scan and numerals._UNIT in expr
    flat_scan = scan.replace(numerals._UNIT, FLAT_UNIT).replace(numerals._SKIP, FLAT_SKIP)
    return re.compile(flat_scan, re.VERBOSE), re.compile(expr.replace(numerals._UNIT, FLAT_UNIT), re.VERBOSE)


def test_grouped_alternations_match_as_the_flat_ones_on_the_seeds():
    flat_scan, _ = flat_patterns()
    for path in sorted(SOURCES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        grouped = [(m.span(), m.groups()) for m in numerals._SCAN_RE.finditer(text)]
        assert grouped == [(m.span(), m.groups()) for m in flat_scan.finditer(text)], path.name


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(PIECES), max_size=12))
def test_grouped_alternations_match_as_the_flat_ones(parts):
    text = "".join(parts)
    flat_scan, flat_expr = flat_patterns()
    assert [(m.span(), m.groups()) for m in numerals._SCAN_RE.finditer(text)] == [(m.span(), m.groups()) for m in flat_scan.finditer(text)]
    grouped, flat = numerals._EXPR_RE.fullmatch(text), flat_expr.fullmatch(text)
    assert (grouped and grouped.groups()) == (flat and flat.groups())


@settings(max_examples=200, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=20), unit=st.sampled_from(["", "件", "人次", "km", "年"]))
def test_plain_digits_fast_path(digits, unit):
    # golden: Decimal of the digit string itself, leading zeros and all
    e = parse_number(digits + unit)
    assert (e.value, e.decimals, e.bound, e.unit, e.number_text) == (D(digits), 0, "exact", unit, digits)
    assert [x.text for x in find_numbers(f"共{digits}{unit}G")] == ([] if unit in ("", "km") else [digits + unit])
