"""Figures of the study: coverage heatmap, forest plot of rates, per-resident intensities, ratios.

Every function takes a tidy table (as :mod:`governance_study.metrics` or :mod:`governance_study.datasets` give
it), returns a :class:`matplotlib.figure.Figure` and does no I/O. Figures are built without ``pyplot`` (no global
figure registry, nothing shown twice in a notebook) and inside ``rc_context`` (no global style change).
Labels are English with pinyin district names; Chinese stays in the HTML tables, where the browser picks a font.
An empty table gives a figure that says what is missing rather than an error, so that a notebook runs for
every district. Nothing here is random.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import pandas as pd

FAMILY_ORDER: tuple[str, ...] = ("resolution", "participation", "capacity", "outreach", "context")
PALETTE = "colorblind"
WIDTH_IN = 8.0
DPI = 100
BOUND_WORDS = {
    "exact": "exact",
    "at_least": "at least (余/多/以上)",
    "more_than": "more than (超过/逾)",
    "approx": "about (约/近)",
    "at_most": "at most",
}


@lru_cache(maxsize=1)
def _cjk_family() -> list[str]:
    """A CJK font family to fall back on, if one is installed (Debian: fonts-noto-cjk)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return [n for n in ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei") if n in names][:1]


def has_cjk_font() -> bool:
    return bool(_cjk_family())


def latin_label(text: object) -> str:
    """``text`` when it can be drawn, else a marker: with no CJK font installed, Chinese becomes "[zh]"."""
    value = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    if value.isascii() or has_cjk_font():
        return value
    return "[zh]"


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib
    import seaborn as sns

    rc = {
        "font.family": ["DejaVu Sans", *_cjk_family()],
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 8,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "svg.hashsalt": "governance-study",
    }
    with matplotlib.rc_context(rc), sns.axes_style("whitegrid"):
        yield


def _figure(height_in: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, max(1.6, height_in)), dpi=DPI, layout="constrained")


#: Attribute set on a figure that only says the data give nothing to draw: reports show the sentence instead.
EMPTY_MESSAGE = "governance_study_empty_message"


def _empty(message: str, title: str):
    fig = _figure(1.6)
    setattr(fig, EMPTY_MESSAGE, message)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=10, color="#555555")
    ax.set_title(title)
    return fig


def district_label(row: pd.Series | dict) -> str:
    """"Heping", else the English name, else the code: how plots name a district."""
    for key in ("district_pinyin", "district_name_en", "name_pinyin", "name_en"):
        value = row.get(key) if hasattr(row, "get") else None
        if value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value):
            return str(value)
    return str(row.get("district_code", "?"))


# ------------------------------------------------------------------------------------------------------------


def coverage_heatmap(coverage: pd.DataFrame, *, value: str = "claim_count", title: str | None = None):
    """District x indicator family, cell = number of claims; empty cells grey, so gaps show at a glance.

    ``coverage``: one row per district x family (the derived ``coverage`` table), with ``district_code``,
    ``district_pinyin``, ``family`` and ``value``.
    """
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    title = title or "What is known: claims per district and indicator family"
    if coverage.empty:
        return _empty("No coverage data.", title)
    frame = coverage.copy()
    frame["label"] = [f"{district_label(r)} ({r['district_code']})" for _, r in frame.iterrows()]
    order = list(dict.fromkeys(frame.sort_values("district_code")["label"]))
    families = [f for f in FAMILY_ORDER if f in set(frame["family"])] + sorted(set(frame["family"]) - set(FAMILY_ORDER))
    grid = frame.pivot_table(index="label", columns="family", values=value, aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=order, columns=families, fill_value=0).astype(int)
    with _style():
        fig = _figure(0.32 * len(grid) + 1.4)
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
        ax.text(1.0, -0.09 - 0.2 / max(len(grid), 1), "grey: nothing reported", transform=ax.transAxes, ha="right",
                va="top", fontsize=8, color="#555555")
    return fig


def forest_plot(resolution: pd.DataFrame, *, title: str | None = None):
    """Rates with their intervals, one row per statistic, grouped by district and channel.

    ``resolution``: the resolution table (with ``rate_pct, ci_low_pct, ci_high_pct, rate_basis, ci_method``,
    ``channel``, ``district_code`` and, if available, ``district_pinyin``). Recomputed rates are filled circles,
    rates whose closed count is implied by the reported rate are diamonds, reported rates without counts (no
    sampling interval) are open circles. Statistics without any rate are left out (listed in the tables).
    """
    import seaborn as sns

    title = title or "Resolution rates with intervals, by district and channel"
    rows = resolution[resolution["rate_pct"].notna()].copy() if "rate_pct" in resolution else resolution.iloc[0:0]
    if rows.empty:
        return _empty("No resolution rate is reported or can be computed for this selection.", title)
    rows["district"] = [district_label(r) for _, r in rows.iterrows()]
    rows["label"] = [
        f"{r['district']} · {r['channel']}" + (f" · {latin_label(r['subunit'])}" if pd.notna(r.get("subunit")) and str(r.get("subunit")) else "")
        + f"  ({str(r['period_start'])[:7] if pd.notna(r['period_start']) else '?'}..{str(r['period_end'])[:7]})"
        for _, r in rows.iterrows()
    ]
    rows = rows.sort_values(["district_code", "channel", "statistic_id"], kind="stable").reset_index(drop=True)
    districts = list(dict.fromkeys(rows["district"]))
    colours = dict(zip(districts, sns.color_palette(PALETTE, len(districts)).as_hex()))
    markers = {"recomputed": ("o", True), "implied": ("D", True), "reported": ("o", False)}
    with _style():
        fig = _figure(0.42 * len(rows) + 1.5)
        ax = fig.add_subplot()
        for y, r in rows.iterrows():
            colour = colours[r["district"]]
            if pd.notna(r.get("ci_low_pct")) and pd.notna(r.get("ci_high_pct")):
                ax.hlines(y, r["ci_low_pct"], r["ci_high_pct"], color=colour, linewidth=2)
            marker, filled = markers.get(str(r.get("rate_basis")), ("s", True))
            ax.plot(r["rate_pct"], y, marker=marker, markersize=7, color=colour,
                    markerfacecolor=colour if filled else "white", markeredgewidth=1.5, linestyle="none")
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
            Line2D([], [], marker="o", color="#444444", markerfacecolor="white", linestyle="none",
                   label="reported rate, no counts (no interval)"),
        ]
        legend += [Line2D([], [], color=colours[d], linewidth=3, label=d) for d in districts]
        fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    return fig


_BOUND_SIGNS = {"at_least": "≥", "more_than": ">", "approx": "~", "at_most": "≤"}


def _bound_style(bound: str) -> tuple[str, bool]:
    """Marker and fill for a bound: exact = filled circle, lower bounds = open triangle pointing up the scale."""
    return {
        "exact": ("o", True),
        "at_least": (">", False),
        "more_than": (">", False),
        "approx": ("o", False),
        "at_most": ("<", False),
    }.get(bound, ("s", True))


def _plain(value: object) -> str:
    """``value`` as text; missing (None, NaN, pd.NA) as ""."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _claim_period(row: pd.Series | dict) -> str:
    """When a figure holds: "as of 2021-09-28" for a stock, "2021-01-01 to 2021-09-28" for a flow."""
    start, end = _plain(row.get("period_start")), _plain(row.get("period_end"))
    if start and end:
        return f"{start} to {end}"
    if end:
        return f"as of {end}"
    return f"from {start}" if start else "date not stated"


def _written_figure(row: pd.Series | dict) -> str:
    """The count as reported, with its bound: "≥5,600", ">250,000", "~30", "864"."""
    value = float(row["value"])
    number = f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return f"{_BOUND_SIGNS.get(_plain(row.get('bound')), '')}{number}"


def _indicator_order(rows: pd.DataFrame) -> list[str]:
    """Indicators by family (FAMILY_ORDER, unknown families last) then by id."""
    rank = {family: i for i, family in enumerate(FAMILY_ORDER)}
    pairs = rows[["family", "indicator"]].astype(str).drop_duplicates("indicator")
    keyed = sorted(pairs.itertuples(index=False), key=lambda p: (rank.get(p.family, len(rank)), p.family, p.indicator))
    return [p.indicator for p in keyed]


def intensity_plot(participation: pd.DataFrame, *, per: int = 10_000, labels: dict[str, str] | None = None,
                   title: str | None = None):
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
        return _empty("Nothing to draw: no participation or capacity figure matches this selection.", title)
    if rows.empty:
        return _empty("Nothing to draw: none of these figures can be divided by a census population (figures "
                      "about a street, community or park, and counts not comparable per resident, are listed in "
                      "the tables instead).", title)
    labels = labels or {}
    rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    rows["indicator"] = rows["indicator"].astype(str)
    rows["label"] = [
        district_label(r)
        + (f" · {latin_label(r['subunit'])}" if _plain(r.get("subunit")) else "")
        + f" · {_claim_period(r)}"
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
    with _style():
        fig = _figure(0.27 * sum(len(p) + overhead for p in panels) + 1.3)
        axes = fig.subplots(len(panels), 1, squeeze=False,
                            gridspec_kw={"height_ratios": [len(p) + overhead for p in panels]})[:, 0]
        for ax, indicator, panel in zip(axes, indicators, panels):
            label = labels.get(indicator) or indicator.replace("_", " ")
            for y, r in panel.iterrows():
                family = str(r["family"])
                colour = colours.get(family, "#444444")
                bound = _plain(r.get("bound"))
                marker, filled = _bound_style(bound)
                x = float(r[column])
                ax.plot(x, y, marker=marker, markersize=8, color=colour, markerfacecolor=colour if filled else "white",
                        markeredgewidth=1.6, linestyle="none")
                gap = 7.0
                if bound in ("at_least", "more_than"):  # an arrow of fixed length, whatever the panel's range
                    ax.annotate("", xy=(x, y), xycoords=offset_copy(ax.transData, fig=fig, x=30, units="points"),
                                xytext=(x, y), textcoords=offset_copy(ax.transData, fig=fig, x=7, units="points"),
                                arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.4})
                    gap = 33.0
                ax.annotate(r["written"], xy=(x, y), xytext=(gap, 0), textcoords="offset points", ha="left",
                            va="center", fontsize=8, color="#333333")
            ax.set_yticks(range(len(panel)), list(panel["label"]))
            ax.set_ylim(len(panel) - 0.5, -0.5)
            ax.set_xlim(0, float(panel[column].max()) * 1.45)  # room for the arrow and the written figure
            ax.grid(axis="y", visible=False)
            ax.set_title(latin_label(label), loc="center")
            ax.set_title(str(panel["family"].iloc[0]), loc="right", fontsize=8, color="#666666")
        axes[-1].set_xlabel(f"count per {per:,} residents (linear, from 0; own range per panel)")
        fig.suptitle(title)
        legend = [Line2D([], [], marker="o", color="#444444", linestyle="none", label="exact"),
                  Line2D([], [], marker=">", color="#444444", markerfacecolor="white", linestyle="none",
                         label="lower bound (at least / more than) →"),
                  Line2D([], [], marker="o", color="#444444", markerfacecolor="white", linestyle="none", label="about")]
        legend += [Line2D([], [], color=colours[f], linewidth=3, label=f) for f in families]
        fig.legend(handles=legend, loc="outside lower center", ncols=3, frameon=False)
    return fig


def ratio_plot(ratios: pd.DataFrame, *, title: str | None = None):
    """Ratios within a district (e.g. party members per grid), one row per ratio and pair of claims; bounds as
    bounds (an upper bound is an open triangle pointing left with an arrow). Log scale."""
    from matplotlib.lines import Line2D

    title = title or "Ratios within a district"
    rows = ratios[ratios["ratio_value"].notna() & (ratios["ratio_value"] > 0)].copy() if "ratio_value" in ratios else ratios.iloc[0:0]
    if rows.empty:
        return _empty("No ratio can be formed for this selection.", title)
    rows["district"] = [district_label(r) for _, r in rows.iterrows()]
    rows["label"] = [
        f"{r['district']} · {str(r['ratio']).replace('_', ' ')}"
        + (f" · {latin_label(r['subunit'])}" if pd.notna(r.get("subunit")) and str(r.get("subunit")) else "")
        + f" ({_BOUND_SIGNS.get(str(r['numerator_bound']), '')}{float(r['numerator_value']):,.0f}"
        + f" / {_BOUND_SIGNS.get(str(r['denominator_bound']), '')}{float(r['denominator_value']):,.0f})"
        for _, r in rows.iterrows()
    ]
    rows = rows.sort_values(["ratio", "district_code", "ratio_value"], kind="stable").reset_index(drop=True)
    with _style():
        fig = _figure(0.36 * len(rows) + 1.6)
        ax = fig.add_subplot()
        ax.set_xscale("log")
        for y, r in rows.iterrows():
            marker, filled = _bound_style(str(r["ratio_bound"]))
            x = float(r["ratio_value"])
            colour = "#1f5f99" if bool(r.get("is_same_source")) else "#9a4b00"
            ax.plot(x, y, marker=marker, markersize=8, color=colour, markerfacecolor=colour if filled else "white",
                    markeredgewidth=1.6, linestyle="none")
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
        legend = [Line2D([], [], marker="o", color="#1f5f99", linestyle="none", label="both figures from one source"),
                  Line2D([], [], marker="o", color="#9a4b00", linestyle="none", label="different sources or the census"),
                  Line2D([], [], marker=">", color="#444444", markerfacecolor="white", linestyle="none", label="at least →"),
                  Line2D([], [], marker="<", color="#444444", markerfacecolor="white", linestyle="none", label="← at most")]
        fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    return fig


def family_bar(claims: pd.DataFrame, *, title: str | None = None):
    """Number of claims per indicator family (for one district's profile)."""
    import seaborn as sns

    title = title or "Claims per indicator family"
    if claims.empty:
        return _empty("No claims.", title)
    counts = claims.groupby("family").size()
    families = [f for f in FAMILY_ORDER if f in counts.index]
    frame = pd.DataFrame({"family": families, "claims": [int(counts[f]) for f in families]})
    with _style():
        fig = _figure(0.35 * len(frame) + 1.2)
        ax = fig.add_subplot()
        sns.barplot(frame, x="claims", y="family", hue="family", palette=PALETTE, legend=False, ax=ax)
        for y, value in enumerate(frame["claims"]):
            ax.text(value, y, f" {value}", va="center", fontsize=9)
        ax.set_xlabel("claims")
        ax.set_ylabel("")
        ax.set_title(title)
    return fig


def figure_png(fig, *, dpi: int = DPI) -> bytes:
    """PNG bytes of ``fig`` without the software/time metadata matplotlib writes (same figure, same bytes)."""
    import io

    buffer = io.BytesIO()
    with _style():  # drawing happens here: the CJK fallback font must be in effect now too
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def figure_size_px(fig) -> tuple[int, int]:
    width, height = fig.get_size_inches()
    return int(round(width * DPI)), int(round(height * DPI))


__all__: Sequence[str] = (
    "coverage_heatmap", "forest_plot", "intensity_plot", "ratio_plot", "family_bar", "figure_png", "latin_label",
)
