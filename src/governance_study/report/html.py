"""Display for the notebooks: escaped HTML tables, figures, lists of sentences and the sources appendix.

Every value is escaped with :func:`html.escape`: text from sources (titles, outlets, quotes, notes) is data,
never markup, so an article containing ``<script>`` shows the text. No Markdown output is produced (Markdown
passes raw HTML through). Each ``show_*`` call emits one display bundle; tables also carry their rows as JSON
under :data:`TABLE_MIMETYPE` for tests and tools.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from governance_study.paths import NO_VECTORS_ENV
from governance_study.report.wording import BOUND_WORDS, as_text, is_missing  # one wording of values, in tables and prose

#: The rows of a displayed table as JSON, for tests and tools; HTML export and JupyterLab ignore it.
TABLE_MIMETYPE = "application/vnd.governance-study.table+json"
#: The rows a displayed figure draws, as JSON (published as the figure's CSV).
FIGURE_MIMETYPE = "application/vnd.governance-study.figure+json"
#: Output-metadata key of a figure's SVG (text) and PDF (base64) for the files published beside a report.
VECTOR_METADATA = "governance_study_vectors"


def _esc(value: Any) -> str:
    return html.escape(as_text(value), quote=True)


def _format_cell(column: str, value: Any) -> tuple[str, bool]:
    """(text, is_numeric) for one cell: thousands separators, 2 decimals, p-values to 3 significant digits."""
    import numbers

    import numpy as np

    if is_missing(value):
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return ("yes" if value else "no"), False
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}", True
    if isinstance(value, numbers.Real):
        v = float(value)
        lower = column.lower()
        if lower == "p" or lower.startswith("p adjusted") or lower in ("p_value", "p_adjusted"):
            return (f"{v:.3g}" if v >= 0.001 else "< 0.001"), True
        if math.isfinite(v) and v == int(v) and abs(v) >= 1000:
            return f"{v:,.0f}", True
        return f"{v:,.2f}", True
    return str(value), False


def empty_sentence(caption: str | None, note: str | None = None) -> str:
    """The one sentence a report shows instead of an empty table: what is empty and, when the caller passes a
    note (for an empty table, the reason it is empty), why.

    >>> empty_sentence("Differences between districts.", "only one district (120101)")
    'Differences between districts: nothing to show (only one district (120101)).'
    """
    what = (caption or "This table").rstrip(". ")
    return f"{what}: nothing to show" + (f" ({note.rstrip('. ')})." if note else " for this selection.")


def table_html(frame: pd.DataFrame, *, caption: str | None = None, note: str | None = None, name: str | None = None) -> str:
    """An escaped HTML table of ``frame`` (no index)."""
    head = "".join(f'<th scope="col">{_esc(c)}</th>' for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, row):
            text, numeric = _format_cell(str(column), value)
            cells.append(f'<td class="num">{_esc(text)}</td>' if numeric else f"<td>{_esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    parts = [f'<div class="table-block" data-table="{_esc(name or "")}">']
    if caption:
        parts.append(f'<p class="table-caption">{_esc(caption)}</p>')
    if frame.empty:
        # one sentence instead of an empty table: what is missing, and why when the caller knows
        sentence = empty_sentence(caption, note)
        return f'<div class="table-block" data-table="{_esc(name or "")}"><p class="empty-result">{_esc(sentence)}</p></div>'
    else:
        parts.append(
            f'<div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
        )
    if note:
        parts.append(f'<p class="table-note">{_esc(note)}</p>')
    parts.append("</div>")
    return "".join(parts)


def _json_rows(frame: pd.DataFrame) -> dict[str, Any]:
    return json.loads(frame.to_json(orient="split", index=False, force_ascii=False, date_format="iso"))


def _display(bundle: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
    from IPython.display import display

    display(bundle, raw=True, metadata=metadata or {})


def show_table(frame: pd.DataFrame, *, caption: str | None = None, note: str | None = None, name: str | None = None) -> None:
    """Display ``frame`` as an escaped HTML table (and its rows as JSON for tools, under :data:`TABLE_MIMETYPE`)."""
    bundle = {
        "text/html": table_html(frame, caption=caption, note=note, name=name),
        "text/plain": empty_sentence(caption, note) if frame.empty else (f"{caption}\n" if caption else "") + frame.to_string(index=False),
        TABLE_MIMETYPE: {"name": name, "caption": caption, "note": note, **_json_rows(frame)},
    }
    _display(bundle)


def show_figure(fig, *, alt: str) -> None:
    """Display a matplotlib figure as an inline PNG with alternative text, then release it. A figure that only
    says there is nothing to draw is shown as that one sentence, not as an empty picture.

    The bundle also carries the data the figure draws (rows as JSON under :data:`FIGURE_MIMETYPE`, which a
    report publishes as CSV) and, in the output's metadata under :data:`VECTOR_METADATA`, the figure as SVG
    and PDF (published as files beside the report; metadata, so that output comparisons leave the bytes out).
    ``governance-study verify`` sets :data:`NO_VECTORS_ENV`: it compares outputs, never metadata, so drawing the
    vector files there would only cost time (about a third of a second per figure).
    """
    from governance_study.report.figure_style import EMPTY_MESSAGE, figure_data, figure_png, figure_size_px, figure_vectors

    message = getattr(fig, EMPTY_MESSAGE, None)
    if message:
        fig.clear()
        _display({"text/html": f'<p class="empty-result">{_esc(message)}</p>', "text/plain": message})
        return

    png = figure_png(fig)
    width, _ = figure_size_px(fig)
    drawn = figure_data(fig)
    name = drawn[0] if drawn else "figure"
    metadata: dict[str, Any] = {"image/png": {"alt": alt, "width": width}}
    if os.environ.get(NO_VECTORS_ENV) != "1":
        vectors = figure_vectors(fig)
        metadata[VECTOR_METADATA] = {
            "name": name,
            "svg": vectors["svg"].decode("utf-8"),
            "pdf": base64.b64encode(vectors["pdf"]).decode("ascii"),
        }
    fig.clear()
    bundle = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"[figure: {alt}]"}
    if drawn:
        bundle[FIGURE_MIMETYPE] = {"name": name, "alt": alt, **_json_rows(drawn[1])}
    _display(bundle, metadata)


def _list_html(lines: Iterable[str], css: str, title: str | None) -> str:
    items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    heading = f"<h4>{_esc(title)}</h4>" if title else ""
    return f'<div class="{css}">{heading}<ul>{items}</ul></div>'


def show_caveats(lines: Sequence[str], *, title: str = "Caveats") -> None:
    """Display caveats (sentences written from the data) as an escaped list."""
    lines = list(lines)
    _display({"text/html": _list_html(lines, "caveats", title), "text/plain": "\n".join([title, *lines])})


def show_findings(lines: Sequence[str], *, title: str = "Findings") -> None:
    """Display findings written from the data (the audit\'s, the coverage\'s) as an escaped list."""
    lines = list(lines)
    _display({"text/html": _list_html(lines, "findings", title), "text/plain": "\n".join([title, *lines])})


def claim_anchor(claim_id: Any) -> str:
    """The HTML id of a claim's entry in a sources appendix: findings link to ``#claim-<claim_id>``."""
    return f"claim-{as_text(claim_id)}"


def key_findings_html(
    findings: Sequence[Any], *, href=None, title: str = "Key findings", empty: str = "The data give no key finding."
) -> str:
    """Escaped HTML list of key findings (:class:`~governance_study.report.findings.Finding`), each followed by
    links to the claims behind it: ``#claim-<id>`` in this page's sources appendix, or ``href(claim_id)``."""
    if not findings:
        return f'<section class="key-findings"><h2 id="key-findings">{_esc(title)}</h2><p>{_esc(empty)}</p></section>'
    link = href or (lambda claim_id: "#" + claim_anchor(claim_id))
    items = []
    for finding in findings:
        links = ", ".join(f'<a href="{_esc(link(c))}">{_esc(c)}</a>' for c in finding.claim_ids)
        items.append(
            f'<li>{_esc(finding.text)} <span class="claim-links">Claims: {links}</span></li>' if links else f"<li>{_esc(finding.text)}</li>"
        )
    return f'<section class="key-findings"><h2 id="key-findings">{_esc(title)}</h2><ul>{"".join(items)}</ul></section>'


def show_key_findings(findings: Sequence[Any], *, title: str = "Key findings", empty: str = "The data give no key finding.") -> None:
    """Display the study's key findings, each linked to the quotes behind it in this report's sources appendix
    (which must list :func:`~governance_study.report.claims_behind` of the findings)."""
    findings = list(findings)
    plain = [f"{f.text} [{', '.join(f.claim_ids)}]" for f in findings]
    _display({"text/html": key_findings_html(findings, title=title, empty=empty), "text/plain": "\n".join([title, *(plain or [empty])])})


def show_text(*paragraphs: str) -> None:
    """Display sentences written from the data as escaped paragraphs."""
    body = "".join(f"<p>{_esc(p)}</p>" for p in paragraphs)
    _display({"text/html": f'<div class="generated-text">{body}</div>', "text/plain": "\n\n".join(paragraphs)})


def _safe_url(url: Any) -> str | None:
    text = as_text(url).strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def sources_appendix_html(
    claims: pd.DataFrame, sources: pd.DataFrame | None = None, *, title: str = "The quotes behind the numbers"
) -> str:
    """Escaped HTML: per article (title, outlet, date, link), each claim's figure and its verbatim quote."""
    if claims.empty:
        return f'<section class="sources-appendix"><h3>{_esc(title)}</h3><p>No figure shown above comes from a source.</p></section>'
    urls = {} if sources is None or sources.empty else dict(zip(sources["source_id"], sources["url"]))
    items = []
    order = claims.sort_values(["published", "source_id", "claim_id"])
    for source_id, group in order.groupby("source_id", sort=False):
        first = group.iloc[0]
        url = _safe_url(urls.get(source_id))
        link = f' &middot; <a href="{_esc(url)}" rel="noopener noreferrer">{_esc(url)}</a>' if url else ""
        claims_html = "".join(
            f'<li id="{_esc(claim_anchor(r["claim_id"]))}"><span class="claim-id">{_esc(r["claim_id"])}</span> <strong>{_esc(r["value_text"])}</strong> '
            f"({_esc(r['indicator_label_en'])}{', ' + _esc(BOUND_WORDS.get(as_text(r['bound']), r['bound'])) if as_text(r['bound']) != 'exact' else ''}): "
            f'&ldquo;<span class="quote" lang="zh">{_esc(r["quote"])}</span>&rdquo;</li>'
            for r in group.to_dict("records")
        )
        items.append(
            f'<li><strong lang="zh">{_esc(first["title"])}</strong><br>{_esc(first["outlet"])}, {_esc(first["published"])}'
            f" &middot; <code>{_esc(source_id)}</code>{link}<ul>{claims_html}</ul></li>"
        )
    return (
        f'<section class="sources-appendix"><h3>{_esc(title)}</h3>'
        f"<p>{len(claims)} figure(s) from {claims['source_id'].nunique()} article(s); each quote is verbatim from the "
        f'archived article (<code>data/raw/sources/&lt;source id&gt;.txt</code>).</p><ol class="sources">{"".join(items)}</ol></section>'
    )


def sources_appendix(claims: pd.DataFrame, sources: pd.DataFrame | None = None, *, title: str = "The quotes behind the numbers") -> None:
    """Display the sources appendix for ``claims`` (escaped; see :func:`sources_appendix_html`)."""
    text = "\n".join(f"{r['claim_id']}: {r['quote']} ({r['outlet']}, {r['published']})" for r in claims.to_dict("records"))
    _display(
        {
            "text/html": sources_appendix_html(claims, sources, title=title),
            "text/plain": f"{title}\n{text}",
            TABLE_MIMETYPE: {
                "name": "sources_appendix",
                **_json_rows(
                    claims[["claim_id", "source_id", "quote"]]
                    if not claims.empty
                    else pd.DataFrame(columns=["claim_id", "source_id", "quote"])
                ),
            },
        }
    )
