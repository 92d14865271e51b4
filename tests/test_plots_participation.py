"""intensity_plot: one panel per indicator, one row per claim, linear x from 0, bounds drawn as bounds."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from _project import REPO  # noqa: E402
from governance_study.report import plots  # noqa: E402
from governance_study.report.figure_style import figure_png  # noqa: E402

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")

POP = {"120101": 355_000, "120103": 822_174, "120110": 857_027, "120116": 2_067_318}
NAMES = {
    "120101": ("和平区", "Heping"),
    "120103": ("河西区", "Hexi"),
    "120110": ("东丽区", "Dongli"),
    "120116": ("滨海新区", "Binhai New Area"),
}


def row(claim_id, code, indicator, family, value, value_text, bound="exact", *, start=None, end="2023-12-16", subunit=None, per=10_000):
    population = None if subunit else POP[code]
    return {
        "claim_id": claim_id,
        "source_id": "src",
        "district_code": code,
        "district_name_zh": NAMES[code][0],
        "district_name_en": NAMES[code][1],
        "subunit": subunit,
        "indicator": indicator,
        "family": family,
        "value": float(value),
        "value_text": value_text,
        "bound": bound,
        "is_lower_bound": bound in ("at_least", "more_than"),
        "unit": "名",
        "population": population,
        "per": per,
        plots_column(per): None if population is None else float(value) / population * per,
        "period_start": start,
        "period_end": end,
        "caveat": None,
    }


def plots_column(per):
    from governance_study.metrics.participation import per_column_name

    return per_column_name(per)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            row("heping-grid-workers", "120101", "grid_workers", "capacity", 864, "864名", end="2023-12-16"),
            row("dongli-grid-workers", "120110", "grid_workers", "capacity", 5600, "5600余人", "at_least", end="2024-01-23"),
            row("hexi-grids", "120103", "grids", "capacity", 1475, "1475个", end="2021-03-19"),
            row("binhai-organs", "120116", "organisations_engaged", "participation", 85, "85家", start="2021-01-01", end="2021-09-28"),
            row("binhai-members", "120116", "organisations_engaged", "participation", 7, "7名", subunit="嘉德园", end="2021-09-28"),
            row("binhai-councils-sub", "120116", "councils", "capacity", 3, "三家", subunit="保税区", end="2021-06-30"),
        ]
    )


LABELS = {"grid_workers": "Grid workers", "organisations_engaged": "Organisations engaged"}


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def markers(ax):
    return [line for line in ax.lines if line.get_marker() not in (None, "None", "")]


def test_one_panel_per_drawable_indicator_in_family_order(frame):
    fig = plots.intensity_plot(frame, labels=LABELS)
    # councils has only a subunit's figure: no panel; participation comes before capacity (FAMILY_ORDER)
    assert [ax.get_title() for ax in fig.axes] == ["Organisations engaged", "Grid workers", "grids"]


def test_tick_labels_name_district_and_period(frame):
    fig = plots.intensity_plot(frame, labels=LABELS)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    grid_ticks = [t.get_text() for t in by_title["Grid workers"].get_yticklabels()]
    # highest intensity first: Dongli (>= 65 per 10k) above Heping (24 per 10k)
    assert grid_ticks == ["Dongli · as of 2024-01-23", "Heping · as of 2023-12-16"]
    org_ticks = [t.get_text() for t in by_title["Organisations engaged"].get_yticklabels()]
    assert org_ticks == ["Binhai New Area · 2021-01-01 to 2021-09-28"]  # the 嘉德园 row is not drawn
    assert [t.get_text() for t in by_title["grids"].get_yticklabels()] == ["Hexi · as of 2021-03-19"]


def test_marker_x_is_the_intensity_and_axes_are_linear_from_zero(frame):
    fig = plots.intensity_plot(frame, labels=LABELS)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    expected = {
        "Grid workers": [5600 / 857_027 * 10_000, 864 / 355_000 * 10_000],
        "grids": [1475 / 822_174 * 10_000],
        "Organisations engaged": [85 / 2_067_318 * 10_000],
    }
    for name, values in expected.items():
        ax = by_title[name]
        lines = sorted(markers(ax), key=lambda line: float(line.get_ydata()[0]))  # top row first
        assert [float(line.get_ydata()[0]) for line in lines] == list(range(len(values)))
        assert [float(line.get_xdata()[0]) for line in lines] == pytest.approx(values)
        assert ax.get_xscale() == "linear"
        low, high = ax.get_xlim()
        assert low == 0 and high > max(values)
    assert pytest.approx(24.338028, rel=1e-6) == 864 / 355_000 * 10_000


def test_lower_bound_is_an_open_triangle_and_exact_is_filled(frame):
    fig = plots.intensity_plot(frame, labels=LABELS)
    ax = next(a for a in fig.axes if a.get_title() == "Grid workers")
    dongli, heping = sorted(markers(ax), key=lambda line: float(line.get_ydata()[0]))
    assert dongli.get_marker() == ">" and dongli.get_markerfacecolor() == "white"
    assert heping.get_marker() == "o" and heping.get_markerfacecolor() != "white"
    written = [t.get_text() for t in ax.texts]
    assert "≥5,600" in written and "864" in written


def test_about_is_an_open_circle():
    one = pd.DataFrame([row("x", "120101", "grids", "capacity", 30, "约30个", "approx", end="2023-01-01")])
    (ax,) = plots.intensity_plot(one).axes
    (line,) = markers(ax)
    assert line.get_marker() == "o" and line.get_markerfacecolor() == "white"
    assert "~30" in [t.get_text() for t in ax.texts]


def test_other_per_uses_its_column():
    one = pd.DataFrame([row("x", "120101", "grid_workers", "capacity", 864, "864名", per=1000)])
    (ax,) = plots.intensity_plot(one, per=1000).axes
    assert float(markers(ax)[0].get_xdata()[0]) == pytest.approx(864 / 355_000 * 1000)
    assert "per 1,000 residents" in ax.get_xlabel()


def test_height_grows_with_rows_and_panels(frame):
    small = plots.intensity_plot(frame[frame["indicator"] == "grids"])
    large = plots.intensity_plot(frame)
    assert large.get_size_inches()[1] > small.get_size_inches()[1]


def test_nothing_drawable_says_why(frame):
    subunits = frame[frame["subunit"].notna()]
    fig = plots.intensity_plot(subunits)
    words = " ".join(texts(fig))
    assert "census population" in words and "street, community or park" in words
    assert "intensity_plot" not in words and "per_10k" not in words
    assert not any(markers(ax) for ax in fig.axes)
    zero = frame.assign(per_10k=0.0)
    assert "census population" in " ".join(texts(plots.intensity_plot(zero)))
    empty = plots.intensity_plot(frame.iloc[0:0])
    assert "no participation or capacity figure" in " ".join(texts(empty))


def test_no_label_has_a_chinese_character(frame):
    fig = plots.intensity_plot(frame, labels=LABELS)
    figure_png(fig)  # draw once: every text exists
    assert texts(fig)
    assert [t for t in texts(fig) if CJK.search(t)] == []


def test_real_participation_table():
    table = pd.read_csv(REPO / "data" / "derived" / "participation.csv", dtype={"district_code": str})
    drawable = table[table["per_10k"].notna() & (table["per_10k"] > 0)]
    fig = plots.intensity_plot(table)
    indicators = sorted(set(drawable["indicator"]))
    assert len(fig.axes) == len(indicators)
    titles = [ax.get_title() for ax in fig.axes]
    assert sorted(titles) == sorted(i.replace("_", " ") for i in indicators)
    rank = {f: i for i, f in enumerate(plots.FAMILY_ORDER)}
    family = dict(zip(drawable["indicator"], drawable["family"]))
    keys = [(rank[family[t.replace(" ", "_")]], t.replace(" ", "_")) for t in titles]
    assert keys == sorted(keys)
    for ax in fig.axes:
        expected = drawable[drawable["indicator"] == ax.get_title().replace(" ", "_")]["per_10k"]
        xs = [float(line.get_xdata()[0]) for line in sorted(markers(ax), key=lambda marker: float(marker.get_ydata()[0]))]
        assert xs == pytest.approx(sorted(expected, reverse=True))
        assert ax.get_xlim()[0] == 0
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        assert len(ticks) == len(expected)
        assert all(re.search(r"(as of \d{4}-\d\d-\d\d|\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d)$", t) for t in ticks)
    heping = next(ax for ax in fig.axes if ax.get_title() == "grid workers")
    assert any(t.get_text().startswith("Heping · as of") for t in heping.get_yticklabels())
    assert any(float(line.get_xdata()[0]) == pytest.approx(864 / 355_000 * 10_000) for line in markers(heping))
    figure_png(fig)
    assert [t for t in texts(fig) if CJK.search(t)] == []
