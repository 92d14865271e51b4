"""The figures' common ground: style, size, labels without CJK glyphs, bound markers, PNG and vector output.

Grain: helpers, no figure of the study (those are :mod:`.plots` and :mod:`.intensity`). Figures are built
without ``pyplot`` (no global figure registry, nothing shown twice in a notebook) and inside ``rc_context`` (no
global style change). An empty selection gives a figure that says what is missing (:func:`empty_figure`), which
a report shows as one sentence.

Every figure carries the data it draws (:func:`attach_data`), which a report publishes as CSV beside it, and is
also written as SVG and PDF for papers (:func:`figure_vectors`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import pandas as pd

PALETTE = "colorblind"
WIDTH_IN = 8.0
DPI = 100
#: Width of the vector figures: 7.0 in (178 mm), the full text width of a two-column journal page; the figure
#: is redrawn at this width, so its text keeps its point size relative to the page.
JOURNAL_WIDTH_IN = 7.0
#: Legend wording of bounds in figures (with the Chinese cue words the reader will meet in the quotes).
BOUND_LEGEND = {
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
def style() -> Iterator[None]:
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


def new_figure(height_in: float, *, layout: str | None = "constrained"):
    """A figure of the report's width and ``height_in`` inches (at least 1.6), with constrained layout unless the
    caller sets its own margins (``layout=None``, faster for figures drawn once per district)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, max(1.6, height_in)), dpi=DPI, layout=layout)


#: Attribute set on a figure that only says the data give nothing to draw: reports show the sentence instead.
EMPTY_MESSAGE = "governance_study_empty_message"


def empty_figure(message: str, title: str):
    fig = new_figure(1.6)
    setattr(fig, EMPTY_MESSAGE, message)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=10, color="#555555")
    ax.set_title(title)
    return fig


def district_label(row: pd.Series | dict) -> str:
    """ "Heping", else the English name, else the code: how plots name a district."""
    for key in ("district_pinyin", "district_name_en", "name_pinyin", "name_en"):
        value = row.get(key) if hasattr(row, "get") else None
        if value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value):
            return str(value)
    return str(row.get("district_code", "?"))


BOUND_SIGNS = {"at_least": "≥", "more_than": ">", "approx": "~", "at_most": "≤"}


def bound_style(bound: str) -> tuple[str, bool]:
    """Marker and fill for a bound: exact = filled circle, lower bounds = open triangle pointing up the scale."""
    return {"exact": ("o", True), "at_least": (">", False), "more_than": (">", False), "approx": ("o", False), "at_most": ("<", False)}.get(
        bound, ("s", True)
    )


def plot_bound_marker(ax, x: float, y: float, bound: str, colour: str) -> None:
    """One figure's marker in the style of its bound (:func:`bound_style`): the same marker in every plot."""
    marker, filled = bound_style(bound)
    ax.plot(
        x,
        y,
        marker=marker,
        markersize=8,
        color=colour,
        markerfacecolor=colour if filled else "white",
        markeredgewidth=1.6,
        linestyle="none",
    )


def figure_png(fig, *, dpi: int = DPI) -> bytes:
    """PNG bytes of ``fig`` without the software/time metadata matplotlib writes (same figure, same bytes)."""
    import io

    buffer = io.BytesIO()
    with style():  # drawing happens here: the CJK fallback font must be in effect now too
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def figure_size_px(fig) -> tuple[int, int]:
    width, height = fig.get_size_inches()
    return int(round(width * DPI)), int(round(height * DPI))


#: Attribute holding ``(name, frame)``: the data a figure draws, as a table (published as CSV beside it).
FIGURE_DATA = "governance_study_figure_data"


def attach_data(fig, name: str, frame: pd.DataFrame):
    """Record on ``fig`` the table it draws (one row per mark, the columns the reader sees) under ``name``."""
    setattr(fig, FIGURE_DATA, (name, frame.reset_index(drop=True)))
    return fig


def figure_data(fig) -> tuple[str, pd.DataFrame] | None:
    """``(name, frame)`` recorded by :func:`attach_data`, or None."""
    return getattr(fig, FIGURE_DATA, None)


def figure_vectors(fig) -> dict[str, bytes]:
    """SVG and PDF of ``fig`` at :data:`JOURNAL_WIDTH_IN`, text as paths (SVG) or embedded TrueType (PDF),
    without dates or software stamps (same figure, same bytes). Resizes ``fig``: call after its PNG."""
    import io

    width, height = fig.get_size_inches()
    fig.set_size_inches(JOURNAL_WIDTH_IN, height * JOURNAL_WIDTH_IN / width)
    out: dict[str, bytes] = {}
    # svg.fonttype "path": no font needed to view it; pdf.fonttype 42: fonts embedded whole (journals refuse Type 3)
    import matplotlib

    with style(), matplotlib.rc_context({"svg.fonttype": "path", "pdf.fonttype": 42}):
        for fmt, metadata in (("svg", {"Date": None, "Creator": None}), ("pdf", {"CreationDate": None, "Creator": None, "Producer": None})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, metadata=metadata)
            out[fmt] = buffer.getvalue()
    return out
