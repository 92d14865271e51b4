"""The files published beside the reports (CSV of every table and figure, SVG and PDF figures, executed
notebooks, the copy of the derived tables) and the navigation between and within reports.

Everything is checked on the study run once per session (``study_run``): links are resolved as a browser
resolves them offline (relative to the page), and every file's content is compared with what the page shows
or with ``data/derived/``, read independently (csv module, ElementTree, raw PDF bytes).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from governance_study.report.html import TABLE_MIMETYPE, VECTOR_METADATA
from governance_study.study import expand, load_study
from governance_study.study.navigation import Navigation, link_cells


def _pages(reports: Path) -> list[Path]:
    return sorted(p for p in reports.rglob("*.html") if p.relative_to(reports).parts[0] not in {"_failed", ".cache", "variants"})


def _hrefs(page: Path) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8"))]


def test_every_relative_link_of_every_page_resolves_offline(study_run):
    """Every href that is not a fragment points at a file that exists (the folder is complete on its own), and
    every fragment names an id of the page it points into."""
    reports = study_run.paths.reports
    problems = []
    for page in _pages(reports):
        for href in _hrefs(page):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # source URLs of the articles, the licence: outside links, shown as such
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file():
                problems.append(f"{page.relative_to(reports)}: {href} -> missing file")
                continue
            if parts.fragment and target.suffix == ".html" and f'id="{parts.fragment}"' not in target.read_text(encoding="utf-8"):
                problems.append(f"{page.relative_to(reports)}: {href} -> no such id")
    assert not problems, "\n".join(problems[:20])


def _tables_in(nb) -> list[dict]:
    return [out["data"][TABLE_MIMETYPE] for cell in nb.cells for out in cell.get("outputs", []) if TABLE_MIMETYPE in out.get("data", {})]


def test_every_table_with_rows_has_its_csv_with_the_columns_and_rows_shown(study_run):
    reports = study_run.paths.reports
    checked = 0
    for report in expand(load_study(study_run.paths), study_run.paths):
        notebook = reports / f"{report.report_id}.ipynb"
        nb = nbformat.read(notebook, as_version=4)
        page = (reports / report.output).read_text(encoding="utf-8")
        for table in _tables_in(nb):
            if not table["data"]:
                continue
            links = re.findall(r'href="([^"]*/data/[^"]*\.csv|data/[^"]*\.csv)"', page)
            name = re.sub(r"[^a-z0-9]+", "-", str(table["name"]).lower()).strip("-")
            path = reports / "data" / report.report_id / f"{name}.csv"
            assert any(link.endswith(f"/{report.report_id}/{name}.csv") for link in links), (report.report_id, name)
            rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
            assert rows[0] == table["columns"], (report.report_id, name)
            assert len(rows) - 1 == len(table["data"])
            # the values are the displayed table's, cell by cell (as text; None is an empty cell)
            for written, shown in zip(rows[1:], table["data"]):
                assert written == ["" if v is None else str(v) for v in shown]
            checked += 1
    assert checked >= 15


def test_the_forest_plot_csv_has_one_row_per_rate_drawn(study_run):
    """Independent count: the derived resolution table's rows with a rate are the marks of the study's forest plot."""
    import pandas as pd

    derived = pd.read_csv(study_run.paths.derived / "resolution.csv")
    drawn = pd.read_csv(study_run.paths.reports / "data/02_resolution_rates/forest-plot.csv")
    assert len(drawn) == int(derived["rate_pct"].notna().sum())
    assert sorted(drawn["rate_pct"].round(6)) == sorted(derived["rate_pct"].dropna().round(6))


def test_vector_figures_are_paper_ready(study_run):
    """SVG: text drawn as paths (no font needed), 7 in wide; PDF: fonts embedded as TrueType, no Type 3, no
    creation date (the same figure gives the same bytes)."""
    svgs = sorted((study_run.paths.reports / "data").rglob("*.svg"))
    assert len(svgs) >= 10
    for svg in svgs:
        root = ET.fromstring(svg.read_bytes())
        assert root.tag.endswith("svg")
        assert root.get("width") == "504pt", svg  # 7.0 in x 72 pt
        assert not list(root.iter("{http://www.w3.org/2000/svg}text")), f"{svg}: text not converted to paths"
        pdf = svg.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF-")
        assert b"/FontFile2" in pdf and b"/Type3" not in pdf, svg
        assert b"/CreationDate" not in pdf
        assert svg.with_suffix(".csv").is_file(), f"{svg}: the data it draws is missing"


def test_published_notebooks_keep_outputs_but_not_the_vector_bytes(study_run):
    reports = study_run.paths.reports
    for report in expand(load_study(study_run.paths), study_run.paths):
        nb = nbformat.read(reports / f"{report.report_id}.ipynb", as_version=4)
        nbformat.validate(nb)
        outputs = [out for cell in nb.cells for out in cell.get("outputs", [])]
        assert outputs, report.report_id
        for out in outputs:
            vectors = out.get("metadata", {}).get(VECTOR_METADATA)
            assert vectors is None or set(vectors) == {"name"}
        assert nb.metadata["papermill"]["parameters"] == report.parameters


def test_the_reports_folder_holds_the_derived_tables_and_the_index_links_them(study_run):
    reports, derived = study_run.paths.reports, study_run.paths.derived
    index = (reports / "index.html").read_text(encoding="utf-8")
    names = sorted(p.name for p in derived.iterdir() if p.suffix in (".csv", ".json"))
    assert "datapackage.json" in names and "claims.csv" in names
    for name in names:
        copy = reports / "derived" / name
        assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256((derived / name).read_bytes()).digest()
        assert f'href="derived/{name}"' in index
    package = json.loads((reports / "derived/datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert (reports / "derived" / resource["path"]).is_file()  # relative paths: valid where it was copied


def test_table_of_contents_and_previous_next_follow_the_study(study_run):
    reports = study_run.paths.reports
    order = expand(load_study(study_run.paths), study_run.paths)
    for i, report in enumerate(order):
        page = (reports / report.output).read_text(encoding="utf-8")
        toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
        body = page.split('<main class="report-body">', 1)[1]
        headings = re.findall(r'<h2 id="([^"]+)">', body)
        assert re.findall(r'href="#([^"]+)"', toc) == [*headings, "cite", "provenance"], report.report_id
        to_reports = "../" * report.output.count("/")
        prev = re.search(r'<a rel="prev" href="([^"]+)">', page)
        following = re.search(r'<a rel="next" href="([^"]+)">', page)
        assert (prev.group(1) if prev else None) == (to_reports + order[i - 1].output if i else None)
        assert (following.group(1) if following else None) == (to_reports + order[i + 1].output if i + 1 < len(order) else None)


def test_district_names_link_to_their_profiles(study_run):
    reports = study_run.paths.reports
    page = (reports / "02_resolution_rates.html").read_text(encoding="utf-8")
    assert '<td><a href="districts/120101.html">和平区 Heping</a></td>' in page
    profile = (reports / "districts/120116.html").read_text(encoding="utf-8")
    assert "<td>滨海新区 Binhai New Area</td>" in profile or "滨海新区 Binhai New Area" not in profile  # not to itself
    assert '<a href="120116.html">' not in profile


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("<td>和平区 Heping</td>", '<td><a href="../districts/120101.html">和平区 Heping</a></td>'),
        ("<td>heping23-x</td>", '<td><a href="#claim-heping23-x">heping23-x</a></td>'),
        ("<td>heping23-y</td>", "<td>heping23-y</td>"),  # not in this page's appendix: no link
        ("<td>和平区 Heping and more</td>", "<td>和平区 Heping and more</td>"),  # the whole cell only
    ],
)
def test_cells_are_linked_only_when_they_name_exactly(cell, expected):
    nav = Navigation(profiles={"和平区 Heping": "districts/120101.html"})
    body = f'<ul><li id="claim-heping23-x">quote</li></ul><table>{cell}</table>'
    assert expected in link_cells(body, nav, "../", "02_resolution_rates.html")


def test_every_citation_carries_the_version_and_the_content_hash_of_its_report(study_run):
    """The BibTeX note names the version and the sha256 of what the report shows, recomputed here from its
    published notebook: each cell's source and outputs, output metadata and execution counts left out."""
    from governance_study import __version__

    reports = study_run.paths.reports
    for report in expand(load_study(study_run.paths), study_run.paths):
        nb = json.loads((reports / f"{report.report_id}.ipynb").read_text(encoding="utf-8"))
        shown = []
        for cell in nb["cells"]:
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            outputs = []
            for out in cell.get("outputs", []):
                kept = {k: v for k, v in out.items() if k not in ("metadata", "execution_count")}
                for key in ("text",):
                    if isinstance(kept.get(key), list):
                        kept[key] = "".join(kept[key])
                if "data" in kept:
                    kept["data"] = {m: "".join(v) if isinstance(v, list) else v for m, v in kept["data"].items()}
                outputs.append(kept)
            shown.append({"source": source, "outputs": outputs})
        digest = hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
        page = html.unescape((reports / report.output).read_text(encoding="utf-8"))
        bibtex = re.search(r"@misc\{.*?\n\}", page, re.S).group(0)
        assert f"version = {{{__version__}}}" in bibtex
        assert f"content sha256 {digest}" in bibtex, report.report_id
