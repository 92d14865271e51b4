"""Participation intensities and within-district ratios; golden values by Fraction arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from governance_study.metrics import participation_table, ratio_table
from governance_study.metrics.examples import claim, claims_frame
from governance_study.metrics.grouping import ClaimsError
from governance_study.metrics.participation import per_column_name
from governance_study.metrics.ratios import ratio_bound

DISTRICTS = pd.DataFrame(
    {
        "district_code": ["120000", "120101", "120110", "120116"],
        "level": ["city", "district", "district", "district"],
        "name_zh": ["天津市", "和平区", "东丽区", "滨海新区"],
        "name_en": ["Tianjin (city-wide)", "Heping", "Dongli", "Binhai New Area"],
        "name_pinyin": ["Tianjin", "Heping", "Dongli", "Binhai"],
        "aliases": [pd.NA] * 4,
        "population_2020": ["13866009", "355000", "857027", "2067318"],  # as read with dtype=str
    }
)

BINHAI = dict(district_code="120116")


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return claims_frame(
        [
            claim("b-grids", "grids", "6926个", source_id="tjxwb", period_start=None, period_end="2021-09-28", **BINHAI),
            claim(
                "b-cadres-in-grids", "cadres_in_grids", "2.5万名", source_id="tjrb", period_start=None, period_end="2021-06-30", **BINHAI
            ),
            claim("b-sent-down", "cadres_sent_down", "2.5万名", source_id="tjxwb", period_start=None, period_end="2021-09-28", **BINHAI),
            claim(
                "b-volunteers",
                "volunteer_participations",
                "超过25万人次",
                bound="more_than",
                unit="人次",
                value=250000,
                period_start=None,
                period_end="2021-09-28",
                **BINHAI,
            ),
            claim("b-park-members", "grid_workers", "52名", subunit="嘉德园", **BINHAI),
            claim(
                "d-grid-workers",
                "grid_workers",
                "5600余人",
                bound="at_least",
                district_code="120110",
                source_id="tjzww",
                period_start=None,
                period_end="2024-01-23",
            ),
            claim("h-grid-workers", "grid_workers", "864名", period_start=None, period_end="2023-12-16"),
            claim("h-requests", "requests_received", "821件", group_id="g"),  # resolution: not participation
        ]
    )


def test_per_10k_is_count_over_census_population(claims):
    table = participation_table(claims, DISTRICTS).set_index("claim_id")
    assert "h-requests" not in table.index
    assert table.loc["b-grids", "population"] == 2067318
    assert table.loc["b-grids", "per_10k"] == pytest.approx(float(Fraction(6926 * 10_000, 2067318)), rel=1e-12)
    assert table.loc["h-grid-workers", "per_10k"] == pytest.approx(float(Fraction(864 * 10_000, 355000)), rel=1e-12)


def test_bounds_stay_bounds(claims):
    table = participation_table(claims, DISTRICTS).set_index("claim_id")
    volunteers = table.loc["b-volunteers"]
    assert volunteers["bound"] == "more_than" and bool(volunteers["is_lower_bound"])
    assert "strict lower bound" in volunteers["caveat"] and "Person-times" in volunteers["caveat"]
    workers = table.loc["d-grid-workers"]
    assert workers["bound"] == "at_least" and "at least 5,600" in workers["caveat"]
    assert not bool(table.loc["b-grids", "is_lower_bound"])


def test_subunit_figures_get_no_intensity(claims):
    row = participation_table(claims, DISTRICTS).set_index("claim_id").loc["b-park-members"]
    assert pd.isna(row["population"]) and pd.isna(row["per_10k"]) and "嘉德园" in row["caveat"]


def test_per_names_the_column(claims):
    table = participation_table(claims, DISTRICTS, per=1_000).set_index("claim_id")
    assert "per_1k" in table.columns and "per_10k" not in table.columns
    assert set(table["per"]) == {1000}
    assert table.loc["b-grids", "per_1k"] == pytest.approx(float(Fraction(6926 * 1_000, 2067318)))
    assert [per_column_name(p) for p in (10_000, 100_000, 1_000_000, 250)] == ["per_10k", "per_100k", "per_1m", "per_250"]


def test_ratios_within_a_district(claims):
    table = ratio_table(claims, DISTRICTS)
    by = {
        (r.ratio, r.numerator_claim_id if pd.notna(r.numerator_claim_id) else "census", r.denominator_claim_id): r
        for r in table.itertuples()
    }
    heping = by[("residents_per_grid_worker", "census", "h-grid-workers")]
    assert heping.ratio_value == pytest.approx(float(Fraction(355000, 864)))
    assert heping.ratio_bound == "exact" and not heping.is_same_source and heping.numerator_source_id == "census-2020"
    dongli = by[("residents_per_grid_worker", "census", "d-grid-workers")]
    assert dongli.ratio_bound == "at_most"  # 5600余 grid workers: at most 857,027 / 5,600 residents each
    per_grid = by[("cadres_in_grids_per_grid", "b-cadres-in-grids", "b-grids")]
    assert per_grid.ratio_value == pytest.approx(float(Fraction(25000, 6926)))
    assert not per_grid.is_same_period and not per_grid.is_same_source and "different sources" in per_grid.caveat
    same = by[("cadres_sent_down_per_grid", "b-sent-down", "b-grids")]
    assert same.is_same_period and same.is_same_source
    # The park's 52 members pair with nothing: no park-level grids, and the census has no parks.
    assert "b-park-members" not in set(table["denominator_claim_id"])


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [
        ("exact", "exact", "exact"),
        ("at_least", "exact", "at_least"),
        ("more_than", "exact", "more_than"),
        ("exact", "at_least", "at_most"),
        ("exact", "more_than", "less_than"),
        ("approx", "exact", "approx"),
        ("exact", "approx", "approx"),
        ("at_least", "at_least", "indeterminate"),
        ("approx", "at_least", "indeterminate"),
    ],
)
def test_ratio_bound(numerator, denominator, expected):
    assert ratio_bound(numerator, denominator) == expected


def test_participation_errors(claims):
    with pytest.raises(ValueError, match="per must be a whole number of residents of at least 1"):
        participation_table(claims, DISTRICTS, per=0)
    with pytest.raises(ClaimsError, match="claim h-grid-workers: district_code 120101 is not in the districts table"):
        participation_table(claims, DISTRICTS[DISTRICTS["district_code"] != "120101"])
    broken = DISTRICTS.assign(population_2020=["13866009", "", "857027", "2067318"])
    with pytest.raises(ClaimsError, match="district 120101 has population_2020"):
        participation_table(claims, broken)
    with pytest.raises(ClaimsError, match="districts is missing column.*population_2020"):
        ratio_table(claims, DISTRICTS.drop(columns=["population_2020"]))


def test_each_figure_is_paired_with_the_nearest_figure_not_every_pair():
    """Ratios pair each numerator figure with the denominator figure nearest in date (ties: same source), so
    200 grid figures and 300 cadres figures of one district give 300 rows per ratio, not 60,000."""
    from governance_study.metrics.examples import claim, claims_frame
    from governance_study.metrics.ratios import ratio_table

    districts = pd.DataFrame(
        {"district_code": ["120116"], "name_zh": ["滨海新区"], "name_en": ["Binhai New Area"], "population_2020": [2067318]}
    )
    grids = [
        claim("g-early", "grids", "100个", district_code="120116", period_start=None, period_end="2021-03-01", source_id="a"),
        claim("g-late", "grids", "200个", district_code="120116", period_start=None, period_end="2021-09-01", source_id="b"),
        claim("g-late-same-source", "grids", "300个", district_code="120116", period_start=None, period_end="2021-09-01", source_id="c"),
    ]
    cadres = [
        claim("c-spring", "cadres_sent_down", "1000名", district_code="120116", period_start=None, period_end="2021-04-01", source_id="c"),
        claim("c-autumn", "cadres_sent_down", "2000名", district_code="120116", period_start=None, period_end="2021-08-20", source_id="c"),
    ]
    table = ratio_table(claims_frame(grids + cadres), districts)
    per_grid = table[table["ratio"] == "cadres_sent_down_per_grid"].set_index("numerator_claim_id")
    # 2021-04-01 is 31 days after 03-01 and 153 before 09-01; 08-20 is 12 days before 09-01: two grid figures
    # then, and the one of the same source (c) wins the tie
    assert per_grid["denominator_claim_id"].to_dict() == {"c-spring": "g-early", "c-autumn": "g-late-same-source"}
    assert per_grid.loc["c-autumn", "ratio_value"] == pytest.approx(2000 / 300)
    many = claims_frame(
        [claim(f"g{i}", "grids", f"{100 + i}个", district_code="120116", period_start=None, period_end="2021-01-01") for i in range(200)]
        + [
            claim(f"c{i}", "cadres_sent_down", f"{1000 + i}名", district_code="120116", period_start=None, period_end="2021-06-01")
            for i in range(300)
        ]
    )
    rows = ratio_table(many, districts)
    assert (rows["ratio"] == "cadres_sent_down_per_grid").sum() == 300
    assert (rows["ratio"] == "residents_per_grid").sum() == 200 and (rows["ratio"] == "residents_per_cadre_sent_down").sum() == 300
