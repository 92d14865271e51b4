"""Participation per resident, like for like: one panel per indicator, one row per claim, bounds as bounds.

Grain: one figure per participation table (:func:`governance_study.metrics.participation_table`).
"""

from __future__ import annotations

import pandas as pd

from governance_study.report.figure_style import (
    BOUND_SIGNS,
    DPI,
    PALETTE,
    WIDTH_IN,
    attach_data,
    district_label,
    empty_figure,
    latin_label,
    plot_bound_marker,
    style,
)
from governance_study.report.wording import FAMILY_ORDER, as_text
from governance_study.vocabulary import period_text


def _claim_period(row: pd.Series | dict) -> str:
    """When a figure holds: "as of 2021-09-28" for a stock, "2021-01-01 to 2021-09-28" for a flow."""
    return period_text(row.get("period_start"), row.get("period_end")) or "date not stated"


def _written_figure(row: pd.Series | dict) -> str:
    """The count as reported, with its bound: "≥5,600", ">250,000", "~30", "864"."""
    value = float(row["value"])
    number = f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return f"{BOUND_SIGNS.get(as_text(row.get('bound')), '')}{number}"


def _indicator_order(rows: pd.DataFrame) -> list[str]:
    """Indicators by family (FAMILY_ORDER, unknown families last) then by id."""
    rank = {family: i for i, family in enumerate(FAMILY_ORDER)}
    pairs = rows[["family", "indicator"]].astype(str).drop_duplicates("indicator")
    keyed = sorted(pairs.itertuples(index=False), key=lambda p: (rank.get(p.family, len(rank)), p.family, p.indicator))
    return [p.indicator for p in keyed]


def intensity_plot(participation: pd.DataFrame, *, per: int = 10_000, labels: dict[str, str] | None = None, title: str | None = None):
    """One panel per indicator, one row per claim: the count per ``per`` residents, bounds drawn as bounds.

    ``participation``: the participation table (one row per claim, with ``district_code``, a district name,
    ``indicator, family, value, bound, period_start, period_end`` and the intensity column named by
    :func:`.metrics.participation.per_column_name`). Indicators are never mixed on one axis: grid workers per
    resident and volunteer person-times per resident are different things, so each indicator gets its own panel,
    titled with its English label (``labels`` maps indicator ids to labels). Panels follow the indicator
    families, rows within a panel run from the highest intensity down, and each row names the district and the
    date of the figure ("as of ..." for a stock, "start to end" for a flow).

    Each panel has a linear x axis from 0 with its own range: within one indicator the values are alike and a
    linear scale shows how many times larger one is than another, which a log scale across indicators hid.
    Exact figures are filled circles; "at least" (余, 多, 以上) and "more than" (超过) are open triangles with an
    arrow pointing to higher values (the true intensity lies to the right); "about" is an open circle. The
    figure as written ("≥5,600") stands next to each marker. Rows without an intensity (a street's or
    community's figure, with no census population to divide by) are left out; they are listed in the tables.
    """
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import offset_copy

    from governance_study.metrics.participation import per_column_name

    column = per_column_name(per)
    title = title or f"Participation and capacity per {per:,} residents (census 2020), one panel per indicator"
    if column in participation:
        intensity = pd.to_numeric(participation[column], errors="coerce")
        rows = participation[intensity.notna() & (intensity > 0)].copy()
    else:
        rows = participation.iloc[0:0].copy()
    if participation.empty:
        return empty_figure("Nothing to draw: no participation or capacity figure matches this selection.", title)
    if rows.empty:
        return empty_figure(
            "Nothing to draw: none of these figures can be divided by a census population (figures "
            "about a street, community or park, and counts not comparable per resident, are listed in "
            "the tables instead).",
            title,
        )
    labels = labels or {}
    rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    rows["indicator"] = rows["indicator"].astype(str)
    rows["label"] = [
        district_label(r) + (f" · {latin_label(r['subunit'])}" if as_text(r.get("subunit")) else "") + f" · {_claim_period(r)}"
        for _, r in rows.iterrows()
    ]
    rows["written"] = [_written_figure(r) for _, r in rows.iterrows()]
    rows["_tie"] = rows["claim_id"].astype(str) if "claim_id" in rows else ""
    indicators = _indicator_order(rows)
    panels = [
        rows[rows["indicator"] == indicator]
        .sort_values([column, "district_code", "_tie"], ascending=[False, True, True], kind="stable")
        .reset_index(drop=True)
        for indicator in indicators
    ]
    palette = sns.color_palette(PALETTE, len(FAMILY_ORDER)).as_hex()
    colours = dict(zip(FAMILY_ORDER, palette))
    families = [f for f in FAMILY_ORDER if f in set(rows["family"].astype(str))]
    overhead = 2.2  # title, x ticks and gap of one panel, in rows
    height = 0.27 * sum(len(p) + overhead for p in panels) + 1.6
    with style():
        # Margins are set by hand: the constrained-layout solver took half of this figure's time with many panels.
        fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
        top_in, bottom_in, gap_in = 0.85, 1.15, 0.62
        widest = max(len(label) for panel in panels for label in panel["label"])
        axes_in = height - top_in - bottom_in - gap_in * (len(panels) - 1)
        fig.subplots_adjust(
            left=min(0.5, max(0.2, (0.07 * widest + 0.25) / WIDTH_IN)),
            right=0.9,
            top=1 - top_in / height,
            bottom=bottom_in / height,
            hspace=gap_in / (axes_in / len(panels)),
        )
        axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": [len(p) + overhead for p in panels]})[:, 0]
        for ax, indicator, panel in zip(axes, indicators, panels):
            label = labels.get(indicator) or indicator.replace("_", " ")
            for y, r in panel.iterrows():
                family = str(r["family"])
                colour = colours.get(family, "#444444")
                bound = as_text(r.get("bound"))
                x = float(r[column])
                plot_bound_marker(ax, x, y, bound, colour)
                gap = 7.0
                if bound in ("at_least", "more_than"):  # an arrow of fixed length, whatever the panel's range
                    ax.annotate(
                        "",
                        xy=(x, y),
                        xycoords=offset_copy(ax.transData, fig=fig, x=30, units="points"),
                        xytext=(x, y),
                        textcoords=offset_copy(ax.transData, fig=fig, x=7, units="points"),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.4},
                    )
                    gap = 33.0
                ax.annotate(
                    r["written"],
                    xy=(x, y),
                    xytext=(gap, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=8,
                    color="#333333",
                )
            ax.set_yticks(range(len(panel)), list(panel["label"]))
            ax.set_ylim(len(panel) - 0.5, -0.5)
            ax.set_xlim(0, float(panel[column].max()) * 1.45)  # room for the arrow and the written figure
            ax.grid(axis="y", visible=False)
            ax.set_title(latin_label(label), loc="center")
            ax.set_title(str(panel["family"].iloc[0]), loc="right", fontsize=8, color="#666666")
        axes[-1].set_xlabel(f"count per {per:,} residents (linear, from 0; own range per panel)")
        fig.suptitle(title)
        legend = [
            Line2D([], [], marker="o", color="#444444", linestyle="none", label="exact"),
            Line2D(
                [], [], marker=">", color="#444444", markerfacecolor="white", linestyle="none", label="lower bound (at least / more than) →"
            ),
            Line2D([], [], marker="o", color="#444444", markerfacecolor="white", linestyle="none", label="about"),
        ]
        legend += [Line2D([], [], color=colours[f], linewidth=3, label=f) for f in families]
        fig.legend(handles=legend, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=3, frameon=False)
    drawn = pd.concat(panels, ignore_index=True)
    drawn.insert(0, "panel", [labels.get(i) or i.replace("_", " ") for i in drawn["indicator"]])
    keep = ["panel", "label", "district_code", "indicator", "family", column, "bound", "written", "claim_id"]
    return attach_data(fig, "intensity-plot", drawn[[c for c in keep if c in drawn]])
