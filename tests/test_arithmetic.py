"""Arithmetic statements in prose: every form, right and wrong, the messages, false positives and real notes.

Golden values are hand arithmetic written next to each case with integers (591 * 100000 // 657 is 100*591/657
truncated to 3 decimals, times 1000), so no expected value comes from the module under test.
"""

from __future__ import annotations

import pytest

from governance_study.text.arithmetic import Statement, arithmetic_problems, find_statements


def only(text: str) -> Statement:
    statements = find_statements(text)
    assert len(statements) == 1, statements
    return statements[0]


# --- k/n = p% ----------------------------------------------------------------------------------------------------


def test_591_of_657_hand_arithmetic():
    # 100 * 591 / 657 = 89.95433...: truncated to 3, 2, 1 decimals and rounded half-up (+ 1/2 before flooring).
    assert 591 * 100000 // 657 == 89954 and 591 * 10000 // 657 == 8995 and 591 * 1000 // 657 == 899
    assert 591 * 10**8 // 657 == 89954337
    assert (591 * 2000 + 657) // (2 * 657) == 900  # half-up to 1 decimal: 90.0


@pytest.mark.parametrize(
    "written, correct",
    [
        ("89.954%", True),  # half-up and truncation agree (89.9543)
        ("89.95%", True),  # both (89.954)
        ("89.96%", False),  # neither: half-up 89.95, truncation 89.95
        ("90.0%", True),  # half-up to 1 decimal
        ("89.9%", True),  # truncation to 1 decimal
        ("90%", True),  # half-up to 0 decimals
        ("89%", True),  # truncation to 0 decimals
        ("88%", False),
        ("89.953%", False),
    ],
)
def test_ratio_percent(written: str, correct: bool):
    s = only(f"591/657 = {written}")
    assert (s.text, s.start, s.kind, s.is_correct) == (f"591/657 = {written}", 0, "ratio_percent", correct)


def test_ratio_percent_expected_shows_two_more_decimals_than_written():
    assert only("591/657 = 89.9%").expected == "89.954...%"
    assert only("591/657 = 89.954%").expected == "89.95433...%"
    assert only("1/8 = 12.5%").expected == "12.5%"  # 12.5 exactly: no "..."
    assert only("1/4 = 25%").expected == "25%"


def test_ratio_percent_cases_from_the_notes():
    # 57700/588 = 98.1292...: half-up 98.13; 56700/577 = 98.2668...: half-up 98.27 (truncation 98.26).
    assert 57700 * 100 // 588 == 9812 and 56700 * 100 // 577 == 9826
    assert only("577/588 = 98.13%").is_correct
    assert only("567/577 = 98.27%").is_correct
    assert only("567/577 = 98.26%").is_correct
    assert not only("567/577 = 98.28%").is_correct


def test_ratio_percent_spacing_and_trailing_text():
    assert only("591/657=89.95% of requests closed").is_correct
    assert only("(591 / 657 = 89.95 %)").is_correct
    assert only("577/587 = 98.3%的").text == "577/587 = 98.3%"
    assert only("183/215 ≈ 85%-ish").is_correct  # "≈" reads like "=": 18300/215 = 85.116...
    assert 18300 * 1000 // 215 == 85116


def test_ratio_message_names_statement_and_both_conventions():
    # 57700/587 = 98.2964...: half-up 98.3, truncation 98.2.
    assert 57700 * 1000 // 587 == 98296
    assert arithmetic_problems("577/587 = 98.4%") == [
        "'577/587 = 98.4%' is wrong: 577/587 = 98.296...%, which gives 98.3% to 1 decimal(s) (half-up) and 98.2% (truncation)"
    ]
    assert arithmetic_problems("577/587 = 98.2%") == []  # truncation
    assert arithmetic_problems("591/657 = 89.96%") == [
        "'591/657 = 89.96%' is wrong: 591/657 = 89.9543...%, which gives 89.95% to 2 decimal(s) (half-up and truncation)"
    ]


def test_division_by_zero_is_wrong():
    s = only("5/0 = 1%")
    assert (s.is_correct, s.expected) == (False, "undefined")
    assert arithmetic_problems("5/0 = 1%") == ["'5/0 = 1%' is wrong: 5/0 divides by zero"]


# --- k/n = x -------------------------------------------------------------------------------------------------------


def test_ratio_decimal():
    # 591/657 = 0.899543...; 74425/80000 = 0.9303125.
    assert 591 * 10000 // 657 == 8995 and 74425 * 10**7 // 80000 == 9303125
    s = only("591/657 = 0.8995")
    assert (s.kind, s.is_correct, s.expected) == ("ratio_decimal", True, "0.899543...")
    assert only("591/657 = 0.90").is_correct and only("591/657 = 0.89").is_correct
    assert not only("591/657 = 0.91").is_correct
    assert only("74,425/80,000 = 0.9303").is_correct
    assert only("3/4 = 0.75").expected == "0.75"
    assert arithmetic_problems("1/3 = 0.4") == [
        "'1/3 = 0.4' is wrong: 1/3 = 0.333..., which gives 0.3 to 1 decimal(s) (half-up and truncation)"
    ]


# --- sums ----------------------------------------------------------------------------------------------------------


def test_sum():
    assert 66255 + 6319 + 188 + 116 == 72878
    s = only("66255+6319+188+116 = 72878")
    assert (s.kind, s.is_correct, s.expected) == ("sum", True, "72878")
    assert only("66,255 + 6,319 = 72,574").is_correct
    assert only("1.5 + 2.25 = 3.75").is_correct and only("1.5 + 2.25 = 3.750").is_correct
    wrong = only("66255 + 6319 + 188 + 116 = 74425")
    assert (wrong.is_correct, wrong.expected) == (False, "72878")
    assert arithmetic_problems("66255 + 6319 + 188 + 116 = 74425") == [
        "'66255 + 6319 + 188 + 116 = 74425' is wrong: 66255 + 6319 + 188 + 116 = 72878"
    ]


# --- p% of n is k --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["is about", "is approximately", "≈"])
def test_share_of_about_allows_rounding(verb: str):
    # 77700/821 = 94.640...: both conventions give 94.6; 776 gives 94.518, 778 gives 94.762.
    assert 77700 * 1000 // 821 == 94640 and 77600 * 10 // 821 == 945 and 77800 * 10 // 821 == 947
    s = only(f"94.6% of 821 {verb} 777")
    assert (s.kind, s.is_correct, s.expected) == ("share_of", True, "777")
    assert not only(f"94.6% of 821 {verb} 776").is_correct


@pytest.mark.parametrize("verb", ["is", "gives", "=", "equals"])
def test_share_of_without_about_claims_the_exact_product(verb: str):
    # 0.946 * 821 = 776.666 exactly: "is 777" overstates it
    assert 946 * 821 == 776666
    s = only(f"94.6% of 821 {verb} 777")
    assert (s.kind, s.is_correct, s.expected) == ("share_of", False, "776.666")
    assert only(f"12.5% of 8 {verb} 1").is_correct  # 0.125 * 8 = 1 exactly


def test_share_of_rules():
    assert only("94.6% of 821 is about 777.0").is_correct  # the value is whole
    assert not only("12.5% of 8 is about 1.5").is_correct  # not a whole number
    assert only("90% of 1,000 is about 905").is_correct  # truncation: 90.5% -> 90%
    assert only("90% of 1,000 is about 895").is_correct  # half-up: 89.5% -> 90%
    assert not only("90% of 1,000 is about 894").is_correct
    # 89.5 <= 100k/1000 < 91 gives k = 895..909.
    assert only("90% of 1,000 is about 900").expected == "895 to 909"
    assert only("50% of 3 is about 1").expected == "none"  # 1/3 = 33%, 2/3 = 66%


def test_share_of_messages():
    # 700/821 = 85.261...%; 0.946 * 821 = 776.666 exactly.
    assert 70000 * 1000 // 821 == 85261 and 946 * 821 == 776666
    assert arithmetic_problems("94.6% of 821 is about 700") == [
        "'94.6% of 821 is about 700' is wrong: 700/821 = 85.261...%; 94.6% of 821 = 776.666, and k/821 gives 94.6% "
        "(half-up or truncation) only for k = 777"
    ]
    assert arithmetic_problems("50% of 3 is about 1") == [
        "'50% of 3 is about 1' is wrong: 1/3 = 33.33...%; 50% of 3 = 1.5, and no whole number k gives k/3 = 50% (half-up or truncation)"
    ]
    assert arithmetic_problems("94.6% of 821 is 777") == [
        "'94.6% of 821 is 777' is wrong: 777/821 = 94.640...%; 94.6% of 821 = 776.666, and write 'is about 777' or "
        "'k/821 = ...%' if the product is not exact"
    ]


# --- unverifiable divisions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span",
    [
        ("577/0.9827 implies about 587", "577/0.9827 implies about 587"),
        ("183/215 gives the rate", "183/215 gives"),
        ("183/215 is the rate", "183/215 is"),
        ("183/215 makes sense", "183/215 makes"),
        ("183/215 equals the rate", "183/215 equals"),
        ("183/215 ≈ the rate", "183/215 ≈"),
        ("183/215 about", "183/215 about"),
        ("1/2 = 2/4", "1/2 ="),
        ("183/215 = a high rate", "183/215 ="),
    ],
)
def test_unverifiable(text: str, span: str):
    s = only(text)
    assert (s.text, s.kind, s.is_correct) == (span, "unverifiable", False)


def test_unverifiable_message_gives_the_quotient():
    # 577 / 0.9827 = 5770000 / 9827 = 587.157...
    assert 5770000 * 1000 // 9827 == 587157
    assert arithmetic_problems("(577/0.9827 implies about 587)") == [
        "'577/0.9827 implies about 587' cannot be checked: 577/0.9827 = 587.157...; write the result as "
        "'577/0.9827 = x' (or 'k/n = p%', 'p% of n is k' with whole counts) so it can be verified"
    ]
    assert only("577/0.9827 = 587").is_correct  # the same claim written checkably: 587.157 -> 587


# --- no statement --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "so 183/215 is not a closure rate",
        "183/215 is no closure rate",
        "a bare ratio 183/215, mentioned",
        "window 2021-01-01..2021-09-28",
        "from 2021-01-01 = start",
        "heping23-mediation-closed",
        "id heping23/2021 is closed",
        "5大项11条",
        "two thirds of the rows; one half is closed",
        "no whole number n gives 577/n = 98.27%",
        "dated 12/31/2021 is the end",
        "v1.2/3 is a version",
        "the 74425 total",
    ],
)
def test_no_statement(text: str):
    assert find_statements(text) == []
    assert arithmetic_problems(text) == []


# --- real notes ----------------------------------------------------------------------------------------------------


def test_note_unverifiable_raised_count():
    text = "577 is the number SOLVED; the number raised is not given (577/0.9827 implies about 587)."
    problems = arithmetic_problems(text)
    assert len(problems) == 1 and "'577/0.9827 implies about 587' cannot be checked" in problems[0]
    assert only(text).start == text.index("577/0.9827")


def test_note_no_whole_number():
    # 57700/587 = 98.2964...; 57700/588 = 98.1292...: both written to 3 decimals, truncation = half-up.
    assert 57700 * 1000 // 587 == 98296 and 57700 * 1000 // 588 == 98129
    text = "no whole number n gives 577/n = 98.27% under half-up rounding or truncation (577/587 = 98.296%, 577/588 = 98.129%)"
    statements = find_statements(text)
    assert [(s.text, s.kind, s.is_correct) for s in statements] == [
        ("577/587 = 98.296%", "ratio_percent", True),
        ("577/588 = 98.129%", "ratio_percent", True),
    ]
    assert [s.start for s in statements] == [text.index("577/587"), text.index("577/588")]
    assert arithmetic_problems(text) == []


def test_note_share_of():
    s = only("Number closed not given (94.6% of 821 is about 777).")
    assert (s.text, s.kind, s.is_correct) == ("94.6% of 821 is about 777", "share_of", True)


def test_note_level_sum():
    s = only("the level figures do not add up to the 74425 total (66255+6319+188+116 = 72878).")
    assert (s.text, s.kind, s.is_correct, s.expected) == ("66255+6319+188+116 = 72878", "sum", True, "72878")


def test_note_rounds_half_up():
    s = only("591/657 = 89.954%, which rounds half-up to 90.0%")
    assert (s.text, s.kind, s.is_correct) == ("591/657 = 89.954%", "ratio_percent", True)


def test_statements_in_order_and_wrong_ones_reported():
    text = "66255+6319 = 72574; 591/657 = 89.96%; 94.6% of 821 is about 777; 577/0.9827 implies 587"
    assert [(s.kind, s.is_correct) for s in find_statements(text)] == [
        ("sum", True),
        ("ratio_percent", False),
        ("share_of", True),
        ("unverifiable", False),
    ]
    assert [p.split("' ")[0] for p in arithmetic_problems(text)] == ["'591/657 = 89.96%", "'577/0.9827 implies 587"]
