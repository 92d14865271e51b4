"""Figures of the study: coverage heatmap, forest plot of rates, ratios, claims per family (and, from
:mod:`.intensity`, per-resident intensities).

Every function takes a tidy table (as :mod:`governance_study.metrics` or :mod:`governance_study.datasets` give
it), returns a :class:`matplotlib.figure.Figure` and does no I/O. Labels are English with pinyin district names;
Chinese stays in the HTML tables, where the browser picks a font. Nothing here is random.
"""

from __future__ import annotations

import math

import pandas as pd

from governance_study.report.figure_style import (
    BOUND_SIGNS,
    PALETTE,
    attach_data,
    district_label,
    empty_figure,
    latin_label,
    new_figure,
    plot_bound_marker,
    style,
)
from governance_study.report.intensity import intensity_plot
from governance_study.report.wording import FAMILY_ORDER


def _palette(n: int) -> list[str]:
    import seaborn as sns  # its colour-blind palette only: cheap next to its plotting functions

    return sns.color_palette(PALETTE, n).as_hex()


__all__ = ["coverage_heatmap", "forest_plot", "intensity_plot", "ratio_plot", "family_bar"]


def coverage_heatmap(coverage: pd.DataFrame, *, value: str = "claim_count", title: str | None = None):
    """District x indicator family, cell = number of claims; empty cells grey, so gaps show at a glance.

    ``coverage``: one row per district x family (the derived ``coverage`` table), with ``district_code``,
    ``district_pinyin``, ``family`` and ``value``.
    """
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    title = title or "What is known: claims per district and indicator family"
    if coverage.empty:
        return empty_figure("No coverage data.", title)
    frame = coverage.copy()
    frame["label"] = [f"{district_label(r)} ({r['district_code']})" for _, r in frame.iterrows()]
    order = list(dict.fromkeys(frame.sort_values("district_code")["label"]))
    families = [f for f in FAMILY_ORDER if f in set(frame["family"])] + sorted(set(frame["family"]) - set(FAMILY_ORDER))
    grid = frame.pivot_table(index="label", columns="family", values=value, aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=order, columns=families, fill_value=0).astype(int)
    with style():
        fig = new_figure(0.32 * len(grid) + 1.4)
        ax = fig.add_subplot()
        ax.set_facecolor("#eeeeee")  # masked (zero) cells show the background: a gap
        cmap = ListedColormap(sns.color_palette("Blues", 9).as_hex()[2:])
        sns.heatmap(
            grid,
            mask=grid.eq(0),
            cmap=cmap,
            annot=True,
            fmt="d",
            linewidths=1,
            linecolor="white",
            cbar_kws={"label": value.replace("_", " "), "shrink": 0.6},
            ax=ax,
        )
        ax.set_xlabel("indicator family")
        ax.set_ylabel("")
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=0)
        ax.text(
            1.0,
            -0.09 - 0.2 / max(len(grid), 1),
            "grey: nothing reported",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="#555555",
        )
    return attach_data(fig, "coverage-heatmap", grid.rename_axis(index="district", columns=None).reset_index())


def forest_plot(resolution: pd.DataFrame, *, title: str | None = None):
    """Rates with their intervals, one row per statistic, grouped by district and channel.

    ``resolution``: the resolution table (with ``rate_pct, ci_low_pct, ci_high_pct, rate_derivation, ci_method``,
    ``channel``, ``district_code`` and, if available, ``district_pinyin``). Recomputed rates are filled circles,
    rates whose closed count is implied by the reported rate are diamonds, reported rates without counts (no
    sampling interval) are open circles. Statistics without any rate are left out (listed in the tables).
    """
    import seaborn as sns

    title = title or "Resolution rates with intervals, by district and channel"
    rows = resolution[resolution["rate_pct"].notna()].copy() if "rate_pct" in resolution else resolution.iloc[0:0]
    if rows.empty:
        return empty_figure("No resolution rate is reported or can be computed for this selection.", title)
    rows["district"] = [district_label(r) for _, r in rows.iterrows()]
    rows["label"] = [
        f"{r['district']} · {r['channel']}"
        + (f" · {latin_label(r['subunit'])}" if pd.notna(r.get("subunit")) and str(r.get("subunit")) else "")
        + f"  ({str(r['period_start'])[:7] if pd.notna(r['period_start']) else '?'}..{str(r['period_end'])[:7]})"
        for _, r in rows.iterrows()
    ]
    rows = rows.sort_values(["district_code", "channel", "statistic_id"], kind="stable").reset_index(drop=True)
    districts = list(dict.fromkeys(rows["district"]))
    colours = dict(zip(districts, sns.color_palette(PALETTE, len(districts)).as_hex()))
    markers = {"recomputed": ("o", True), "implied": ("D", True), "reported": ("o", False)}
    with style():
        fig = new_figure(0.42 * len(rows) + 1.5)
        ax = fig.add_subplot()
        for y, r in rows.iterrows():
            colour = colours[r["district"]]
            if pd.notna(r.get("ci_low_pct")) and pd.notna(r.get("ci_high_pct")):
                ax.hlines(y, r["ci_low_pct"], r["ci_high_pct"], color=colour, linewidth=2)
            marker, filled = markers.get(str(r.get("rate_derivation")), ("s", True))
            ax.plot(
                r["rate_pct"],
                y,
                marker=marker,
                markersize=7,
                color=colour,
                markerfacecolor=colour if filled else "white",
                markeredgewidth=1.5,
                linestyle="none",
            )
        ax.set_yticks(range(len(rows)), rows["label"])
        ax.invert_yaxis()
        low = rows[["rate_pct", "ci_low_pct"]].min(axis=None, skipna=True)
        ax.set_xlim(max(0.0, math.floor(float(low) - 2)), 100.5)
        method = ", ".join(sorted(set(rows["ci_method"].dropna().astype(str)))) or "none"
        level = rows["ci_level_pct"].dropna()
        level_text = f"{float(level.iloc[0]):g}% " if len(level) else ""
        ax.set_xlabel(f"rate (%); bars: {level_text}confidence interval ({method})")
        ax.set_title(title)
        from matplotlib.lines import Line2D

        legend = [
            Line2D([], [], marker="o", color="#444444", linestyle="none", label="recomputed from counts"),
            Line2D([], [], marker="D", color="#444444", linestyle="none", label="closed count implied by reported rate"),
            Line2D(
                [],
                [],
                marker="o",
                color="#444444",
                markerfacecolor="white",
                linestyle="none",
                label="reported rate, no counts (no interval)",
            ),
        ]
        legend += [Line2D([], [], color=colours[d], linewidth=3, label=d) for d in districts]
        fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    drawn = [
        "label",
        "statistic_id",
        "district_code",
        "channel",
        "rate_pct",
        "ci_low_pct",
        "ci_high_pct",
        "ci_level_pct",
        "ci_method",
        "rate_derivation",
    ]
    return attach_data(fig, "forest-plot", rows[[c for c in drawn if c in rows]])


def ratio_plot(ratios: pd.DataFrame, *, title: str | None = None):
    """Ratios within a district (e.g. party members per grid), one row per ratio and pair of claims; bounds as
    bounds (an upper bound is an open triangle pointing left with an arrow). Log scale."""
    from matplotlib.lines import Line2D

    title = title or "Ratios within a district"
    rows = ratios[ratios["ratio_value"].notna() & (ratios["ratio_value"] > 0)].copy() if "ratio_value" in ratios else ratios.iloc[0:0]
    if rows.empty:
        return empty_figure("No ratio can be formed for this selection.", title)
    rows["district"] = [district_label(r) for _, r in rows.iterrows()]
    rows["label"] = [
        f"{r['district']} · {str(r['ratio']).replace('_', ' ')}"
        + (f" · {latin_label(r['subunit'])}" if pd.notna(r.get("subunit")) and str(r.get("subunit")) else "")
        + f" ({BOUND_SIGNS.get(str(r['numerator_bound']), '')}{float(r['numerator_value']):,.0f}"
        + f" / {BOUND_SIGNS.get(str(r['denominator_bound']), '')}{float(r['denominator_value']):,.0f})"
        for _, r in rows.iterrows()
    ]
    rows = rows.sort_values(["ratio", "district_code", "ratio_value"], kind="stable").reset_index(drop=True)
    with style():
        fig = new_figure(0.36 * len(rows) + 1.6)
        ax = fig.add_subplot()
        ax.set_xscale("log")
        for y, r in rows.iterrows():
            x = float(r["ratio_value"])
            colour = "#1f5f99" if bool(r.get("is_same_source")) else "#9a4b00"
            plot_bound_marker(ax, x, y, str(r["ratio_bound"]), colour)
            if str(r["ratio_bound"]) in ("at_least", "more_than"):
                ax.annotate("", xy=(x * 3.2, y), xytext=(x * 1.2, y), arrowprops={"arrowstyle": "->", "color": colour})
            elif str(r["ratio_bound"]) == "at_most":
                ax.annotate("", xy=(x / 3.2, y), xytext=(x / 1.2, y), arrowprops={"arrowstyle": "->", "color": colour})
        ax.set_yticks(range(len(rows)), rows["label"])
        ax.invert_yaxis()
        lo, hi = float(rows["ratio_value"].min()), float(rows["ratio_value"].max())
        ax.set_xlim(lo / 4, hi * 4)
        ax.set_xlabel("ratio (log scale)")
        ax.set_title(title)
        legend = [
            Line2D([], [], marker="o", color="#1f5f99", linestyle="none", label="both figures from one source"),
            Line2D([], [], marker="o", color="#9a4b00", linestyle="none", label="different sources or the census"),
            Line2D([], [], marker=">", color="#444444", markerfacecolor="white", linestyle="none", label="at least →"),
            Line2D([], [], marker="<", color="#444444", markerfacecolor="white", linestyle="none", label="← at most"),
        ]
        fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    drawn = ["label", "district_code", "ratio", "ratio_value", "ratio_bound", "numerator_value", "numerator_bound"]
    drawn += ["denominator_value", "denominator_bound", "is_same_source"]
    return attach_data(fig, "ratio-plot", rows[[c for c in drawn if c in rows]])


def family_bar(claims: pd.DataFrame, *, title: str | None = None):
    """Number of claims per indicator family (for one district's profile): one bar per family that has claims.

    Drawn with matplotlib alone: a profile draws it for every district, and seaborn's barplot took most of its time.
    """
    title = title or "Claims per indicator family"
    if claims.empty:
        return empty_figure("No claims.", title)
    counts = claims.groupby("family").size()
    families = [f for f in FAMILY_ORDER if f in counts.index]
    frame = pd.DataFrame({"family": families, "claims": [int(counts[f]) for f in families]})
    height = 0.35 * len(frame) + 1.2
    with style():
        fig = new_figure(height, layout=None)  # one axis: fixed margins draw faster than the layout solver
        fig.subplots_adjust(left=0.2, right=0.95, top=1 - 0.45 / height, bottom=0.5 / height)
        ax = fig.add_subplot()
        colours = dict(zip(FAMILY_ORDER, _palette(len(FAMILY_ORDER))))
        ax.barh(range(len(frame)), frame["claims"], color=[colours[f] for f in frame["family"]])
        ax.set_yticks(range(len(frame)), frame["family"])
        ax.invert_yaxis()
        for y, value in enumerate(frame["claims"]):
            ax.text(value, y, f" {value}", va="center", fontsize=9)
        ax.set_xlabel("claims")
        ax.set_ylabel("")
        ax.set_title(title)
    return attach_data(fig, "claims-per-family", frame)
