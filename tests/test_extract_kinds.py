"""Kinds and qualifiers of candidate figures, one hand-written sentence per rule (governance_study.text.kinds)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance_study.curate.candidates import ScanContext, Scanner
from governance_study.text import kinds
from governance_study.text.kinds import KINDS, PROPOSED

SCANNER = Scanner(ScanContext())


def candidate(sentence: str, text: str):
    """The one candidate of ``sentence`` whose text is ``text``."""
    found = [c for c in SCANNER.scan("t", sentence).candidates if c.text == text]
    assert len(found) == 1, [c.text for c in SCANNER.scan("t", sentence).candidates]
    return found[0]


# (sentence, expression, kind): every rule of the kinds module, with the seed articles' own phrasing
KIND_CASES = [
    # count: measure words, person-times, scores, no unit
    ("全区划分1475个网格。", "1475个", "count"),
    ("受理矛盾纠纷657件,办结591件。", "591件", "count"),
    ("超过25万人次参与志愿服务。", "超过25万人次", "count"),
    ("成立三家共同缔造理事会。", "三家", "count"),
    ("办结满意率评分95分以上。", "95分以上", "count"),
    ("充分激发30万居民群众。", "30万", "count"),
    ("各部门解决大事难事万余件。", "万余件", "count"),
    # rate
    ("办结率达89.9%。", "89.9%", "rate"),
    ("及时受理率100%。", "100%", "rate"),
    ("满意率达百分之九十五。", "百分之九十五", "rate"),
    # change
    ("接待游客815.33万人次,同比增长194.6%。", "194.6%", "change"),
    ("地区生产总值同比增长4.8%。", "4.8%", "change"),
    ("满意率提高3个百分点。", "3个百分点", "change"),
    ("服务站点增加了12个。", "12个", "change"),
    ("满意率提高到95%。", "95%", "rate"),  # a level reached, not a change
    # money, area, measure
    ("拉动消费14.17亿元。", "14.17亿元", "money"),
    ("外资到位额7095万美元。", "7095万美元", "money"),
    ("所辖面积10.3平方公里。", "10.3平方公里", "area"),
    ("新增绿地300亩。", "300亩", "area"),
    ("修建步道12公里。", "12公里", "measure"),
    # date or year
    ("《光明日报》( 2021年03月19日 01版)", "2021年", "date"),
    ("《光明日报》( 2021年03月19日 01版)", "03月", "date"),
    ("《光明日报》( 2021年03月19日 01版)", "19日", "date"),
    ("发布时间:2023-12-16 来源", "2023", "date"),
    ("发布时间:2023-12-16 来源", "16", "date"),
    ("2021-03-19 03:58", "58", "date"),
    ("9月28日,新闻办举行发布会。", "9月", "date"),
    ("二〇二一年,新区成立。", "二〇二一年", "date"),
    ("向建党100周年献礼。", "100周年", "date"),
    ("今年9月28号召开。", "28号", "date"),
    # time span (and age)
    ("十余年未见的祖孙团聚。", "十余年", "span"),
    ("理事会成立8个月时间。", "8个月", "span"),
    ("近3年来。", "近3年", "span"),
    ("一年来,全市各级党组织。", "一年", "span"),
    ("请在30日内与本网联系。", "30日", "span"),
    ("三天三夜没睡。", "三天", "span"),
    ("前三季度落地项目。", "三季度", "span"),
    ("60岁以上老年人。", "60岁以上", "span"),
    ("摘得地块后1个小时。", "1个小时", "span"),
    # ordinal or list marker
    ("第二批主题教育开展以来。", "二批", "ordinal"),
    ("带头讲好“第一课”。", "一", "ordinal"),
    ("团结奋进。一是领导干部带头讲。", "一", "ordinal"),
    ("一、基本情况", "一", "ordinal"),
    ("正文\n二\n正文", "二", "ordinal"),
    ("具体举措:\n1.落实“企业吹哨”", "1", "ordinal"),
    ("(三)强化保障", "三", "ordinal"),
    ("来源:2023年11期《天津支部生活》", "11期", "ordinal"),
    ("作为‘一号工程’推进。", "一号", "ordinal"),
    ("发射天舟三号货运飞船。", "三号", "ordinal"),
    # phrase: slogans, names, the article 一, levels
    ("全面落实“三个着力”重要要求。", "三个", "phrase"),
    ("推进居家养老“133”工程。", "133", "phrase"),
    ("构建“3+7+10+N”招商队伍体系。", "7", "phrase"),
    ("刚刚完成社区两委换届。", "两", "phrase"),
    ("党的十八大以来。", "十八", "phrase"),
    ("成立四大产业联盟。", "四", "phrase"),
    ("没有一种根基。", "一种", "phrase"),
    ("走出了一条新路。", "一条", "phrase"),
    ("区处两级领导干部。", "两级", "phrase"),
    ("集聚52家百亿级企业。", "百亿级", "phrase"),
    ("形成四位一体运行模式。", "四位", "phrase"),
    # identifier: image ids, licence numbers, phones, codes, URLs, lines
    ("1625013802409024769\n", "1625013802409024769", "identifier"),
    ("互联网新闻信息服务许可证:12120170004 备案", "12120170004", "identifier"),
    ("津ICP备2021001896号-1津公网安备", "2021001896号", "identifier"),
    ("津ICP备2021001896号-1津公网安备", "1", "identifier"),
    ("举报电话:25204288", "25204288", "identifier"),
    ("拨打12345热线反映问题。", "12345", "identifier"),
    ("开通了519公交专线。", "519", "identifier"),
    ("原文链接:http://www.tjzzb.gov.cn/ywkd/jcdj/202312/t1.html", "202312", "identifier"),
    ("IE版本小于10,为了不影响您的浏览效果", "10", "identifier"),
]


@pytest.mark.parametrize("sentence, text, kind", KIND_CASES, ids=[f"{k}:{t}" for _, t, k in KIND_CASES])
def test_kind(sentence, text, kind):
    assert candidate(sentence, text).kind == kind


def test_every_kind_has_a_case():
    assert {k for _, _, k in KIND_CASES} == set(KINDS)


# (sentence, text, value, bound, unit): the qualifier and measure word are part of the candidate's text
QUALIFIER_CASES = [
    ("累计参与超过15万人次。", "超过15万人次", "150000", "more_than", "人次"),
    ("注册企业超2700家。", "超2700家", "2700", "more_than", "家"),
    ("逾百名志愿者。", "逾百名", "100", "more_than", "名"),
    ("老年人约260万人。", "约260万人", "2600000", "approx", "人"),
    ("近千人参加。", "近千人", "1000", "approx", "人"),
    ("每天接待200人左右。", "200人左右", "200", "approx", "人"),
    ("调研3200余次。", "3200余次", "3200", "at_least", "次"),
    ("小事急事9.5万余件。", "9.5万余件", "95000", "at_least", "件"),
    ("常住人口30余万。", "30余万", "300000", "at_least", ""),
    ("宣讲610多场。", "610多场", "610", "at_least", "场"),
    ("评分95分以上。", "95分以上", "95", "at_least", "分"),
    ("至少20名网格员。", "至少20名", "20", "at_least", "名"),
    ("数千人参加。", "数千人", "1000", "at_least", "人"),
    ("办结591件。", "591件", "591", "exact", "件"),
]


@pytest.mark.parametrize("sentence, text, value, bound, unit", QUALIFIER_CASES, ids=[c[1] for c in QUALIFIER_CASES])
def test_qualifier_and_measure_word_are_part_of_the_candidate(sentence, text, value, bound, unit):
    c = candidate(sentence, text)
    assert (Decimal(c.value), c.bound, c.unit) == (Decimal(value), bound, unit)
    assert sentence[c.start : c.end] == text
    assert c.kind in PROPOSED


def test_only_counts_and_rates_are_proposed():
    assert {"count", "rate"} == PROPOSED
    found = SCANNER.scan("t", "2021年受理纠纷657件,办结率达89.9%,同比增长5%,举报电话:25204288。").candidates
    assert {c.text: c.status for c in found} == {
        "2021年": "not_proposed",
        "657件": "to_decide",
        "89.9%": "to_decide",
        "5%": "not_proposed",
        "25204288": "not_proposed",
    }


def test_sentence_and_clause():
    text = "标题\n一是畅通渠道。全区共受理群众诉求1.2万件,办结11562件,办结率达96.4%。二是……"
    c = candidate(text, "11562件")
    assert c.sentence == "全区共受理群众诉求1.2万件,办结11562件,办结率达96.4%。"
    assert c.clause == "办结11562件"
    assert candidate("共有1,286个网格,较去年增加。", "1,286个").clause == "共有1,286个网格"


# ------------------------------------------------------------------------------------------------------------
# The cheap tests in front of regexes answer as the regexes do


@settings(max_examples=300, deadline=None)
@given(number_text=st.text(alphabet="0123456789０１２３４５６７８９²٣〇一二十百万.,点负余", max_size=6))
def test_digit_tests_answer_as_the_regexes(number_text):
    plain = re.fullmatch(r"[0-9０-９]+", number_text)
    assert kinds._digits(number_text) == (number_text if plain else None)
    assert kinds._is_chinese(number_text) == (re.search(r"[0-9０-９]", number_text) is None)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="“”‘’「」『』\n三个着力和3社", max_size=40), data=st.data())
def test_short_quote_test_answers_as_the_regexes_alone(text, data):
    if not text:
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    # the rule without the opening-mark pre-test, as written before it
    opening = kinds._OPEN_BEFORE.search(text, max(0, start - kinds.SHORT_QUOTE_CHARS), start)
    room = kinds.SHORT_QUOTE_CHARS - (end - opening.start() - 1) if opening else -1
    expected = room >= 0 and kinds._CLOSE_AFTER.match(text, end, end + room + 1) is not None
    assert kinds.KindContext(text).in_short_quote(start, end) == expected
