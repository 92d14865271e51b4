"""Executed notebook -> self-contained HTML report; and the study's index page.

A report shows no code, loads nothing from the network and runs no script: the nbconvert template
``templates/governance_report`` drops require.js, MathJax, mermaid and widget scripts (the stock ``lab`` and
``classic`` templates load them from a CDN), inlines one small stylesheet, keeps images as base64 ``data:``
URIs and sets a Content-Security-Policy that forbids scripts and remote loads altogether.

Escaping: the header, "Cite this report" and provenance panels are rendered here with a Jinja environment
whose autoescape is on, so a parameter, a title or a commit message can never inject markup. Text from the
sources reaches the report only through :mod:`governance_study.report`, which escapes it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from governance_study.study.citation import Citation
from governance_study.study.navigation import Navigation
from governance_study.study.provenance import Provenance

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"  # the package's templates/, beside study/
TEMPLATE_NAME = "governance_report"
REMOVE_TAG = "remove-from-report"

_exporter_lock = threading.Lock()
_shared: dict[str, Any] = {}


@dataclass(frozen=True)
class ReportContext:
    """What the panels of one report show besides the notebook's own output."""

    report_id: str  # "02_resolution_rates", "districts/120101"
    title: str
    study_title: str
    index_href: str  # relative link from the report to index.html
    provenance: Provenance
    citation: Citation
    navigation: Navigation | None = None  # previous/next and profile links (None: none)
    contents: tuple[tuple[str, str], ...] = ()  # (id, heading) of the body's sections, filled by notebook_to_html

    @property
    def to_reports(self) -> str:
        """Relative path from the report to the reports folder: "" or "../"."""
        return self.index_href.removesuffix("index.html")


def _tojson_compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


@lru_cache(maxsize=1)
def panel_environment():
    """Jinja environment for panels and the index page: autoescape on, undefined names are errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["tojson_compact"] = _tojson_compact
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def _exporter():
    """The HTMLExporter, built once (importing nbconvert and compiling the template take about a second).

    Callers hold ``_exporter_lock``: exports are short (tens of milliseconds) and the exporter keeps state.
    """
    exporter = _shared.get("exporter")
    if exporter is None:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        # cells tagged "remove-from-report" (a notebook's title, which the report header repeats) stay in Lab only
        config = Config({"TagRemovePreprocessor": {"enabled": True, "remove_cell_tags": [REMOVE_TAG]}})
        exporter = HTMLExporter(
            config=config,
            template_name=TEMPLATE_NAME,
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        _shared["exporter"] = exporter
    return exporter


def warm() -> None:
    """Import nbconvert and compile the templates now (the study does this while its kernels start)."""
    import nbformat

    with _exporter_lock:
        _exporter().from_notebook_node(nbformat.v4.new_notebook(), resources={"governance": _EMPTY_PANELS})
    panel_environment().get_template("panels.html.j2")
    panel_environment().get_template("index.html.j2")


_EMPTY_PANELS = {"title": "", "css": "", "header_html": "", "footer_html": ""}


def render_panels(ctx: ReportContext) -> tuple[str, str]:
    """(header HTML, footer HTML) of one report, escaped."""
    module = panel_environment().get_template("panels.html.j2").module
    return str(module.report_header(ctx)), str(module.report_footer(ctx))


_HEADER_SLOT = "<!-- governance-study: header -->"
_FOOTER_SLOT = "<!-- governance-study: footer -->"


def notebook_to_html(nb, ctx: ReportContext) -> str:
    """HTML of an executed notebook, without code, with header (contents, previous/next), citation and
    provenance panels, district names linked to their profiles and claim ids to their quotes."""
    from dataclasses import replace

    from governance_study.study.navigation import contents, link_cells

    resources = {
        "metadata": {"name": ctx.report_id},
        "governance": {"title": ctx.title, "css": stylesheet(), "header_html": _HEADER_SLOT, "footer_html": _FOOTER_SLOT},
    }
    with _exporter_lock:
        body, _ = _exporter().from_notebook_node(nb, resources=resources)
    # the header lists the body's sections, so it is rendered after the body
    ctx = replace(ctx, contents=tuple(contents(body)))
    header, footer = render_panels(ctx)
    if ctx.navigation is not None:
        body = link_cells(body, ctx.navigation, ctx.to_reports, f"{ctx.report_id}.html")
    return body.replace(_HEADER_SLOT, header, 1).replace(_FOOTER_SLOT, footer, 1)


def render_index(**context: Any) -> str:
    """The study's index page (``templates/index.html.j2``); every value is escaped."""
    return panel_environment().get_template("index.html.j2").render(css=stylesheet(), **context)


@lru_cache(maxsize=1)
def current_umask() -> int:
    """The process's umask, read once: from /proc (Linux) without changing it, else by setting and restoring it
    on first use. Worker threads publish at the same time; setting it from two threads could leave it at 0."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp creates 0600; a report is as readable as any file written
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
