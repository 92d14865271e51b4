"""The study's notebooks and reports, on a copy of the repository.

- every notebook runs top to bottom with its own defaults, in a fresh kernel, as JupyterLab would run it;
- notebooks run with non-default parameters, and the values they show are checked against an independent
  computation;
- the whole study (``study_run``, once per session) produces every report, each with provenance, citation and
  sources appendix, escapes hostile source text, and an unchanged rerun from the command line is fast.

Notebooks are executed with papermill on kernels started here as JupyterLab starts them (cwd ``notebooks/``),
two at a time.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import HOSTILE_CLAIM_ID, HOSTILE_MARKUP, REPO
from governance_study.report import TABLE_MIMETYPE

NOTEBOOKS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))

#: Non-default runs: (label, notebook, parameters)
CUSTOM = {
    "02-heping-mediation-agresti": (
        "02_resolution_rates",
        {"districts": ["和平区"], "channels": ["mediation"], "ci_method": "agresti_coull", "alpha": 0.1, "correction": "bonferroni"},
    ),
    "03-per-thousand-heping": ("03_participation", {"districts": ["Heping"], "per": 1000}),
    "05-alias": ("05_district_profile", {"district": "滨城"}),
    "04-truncate-only": ("04_reporting_audit", {"rules": ["truncate"]}),
}


class _Kernel:
    """A kernel started as JupyterLab starts one: cwd notebooks/, no GOVERNANCE_STUDY_ROOT (the notebook finds its
    project by walking up from its folder)."""

    RESET = "get_ipython().run_line_magic('reset', '-f')"

    def __init__(self, paths):
        import tempfile

        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.paths = paths
        self.sockets = tempfile.mkdtemp(prefix="gs-test-kernel-")
        self.km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(self.sockets, "k"))
        env = {k: v for k, v in os.environ.items() if k != "GOVERNANCE_STUDY_ROOT"}
        run_sync(self.km.start_kernel)(cwd=str(paths.notebooks), env=env)

    def run(self, notebook: str, parameters: dict | None):
        import papermill

        return papermill.execute_notebook(
            str(self.paths.notebooks / f"{notebook}.ipynb"),
            None,
            parameters=parameters or {},
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            km=self.km,
        )

    def reset(self) -> None:
        from jupyter_core.utils import run_sync

        kc = self.km.client()
        kc.start_channels()
        try:
            run_sync(kc.execute_interactive)(self.RESET, store_history=False, timeout=60, output_hook=lambda m: None)
        finally:
            kc.stop_channels()

    def close(self) -> None:
        import shutil

        from jupyter_core.utils import run_sync

        run_sync(self.km.shutdown_kernel)(now=True)
        shutil.rmtree(self.sockets, ignore_errors=True)


@pytest.fixture(scope="session")
def executed(study_run):
    """Every notebook with its defaults (no parameters injected), each in a fresh kernel as JupyterLab runs it;
    then the CUSTOM runs in the kernels already warm (reset between notebooks, as the study does). Two at a time."""
    import queue
    import threading

    jobs: queue.Queue = queue.Queue()
    for name in NOTEBOOKS:
        jobs.put((f"default:{name}", name, None, True))
    for label, (name, parameters) in CUSTOM.items():
        jobs.put((f"custom:{label}", name, parameters, False))
    results: dict[str, object] = {}

    def worker():
        kernel = None
        try:
            while True:
                try:
                    key, name, parameters, fresh = jobs.get_nowait()
                except queue.Empty:
                    return
                if kernel is not None and fresh:
                    kernel.close()
                    kernel = None
                elif kernel is not None:
                    kernel.reset()
                kernel = kernel or _Kernel(study_run.paths)
                try:
                    results[key] = kernel.run(name, parameters)
                except Exception as exc:  # reported by the test that looks at it
                    results[key] = exc
                    kernel.close()
                    kernel = None
        finally:
            if kernel is not None:
                kernel.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _ok(executed, key):
    value = executed[key]
    if isinstance(value, Exception):
        pytest.fail(f"{key} failed: {type(value).__name__}: {value}")
    return value


def tables(nb) -> dict[str, dict]:
    """Tables a notebook displayed, by name: {"columns": [...], "data": [[...], ...]}."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if TABLE_MIMETYPE in data:
                table = data[TABLE_MIMETYPE]
                out[table.get("name") or f"table{len(out)}"] = table
    return out


def rows(table: dict) -> list[dict]:
    return [dict(zip(table["columns"], row)) for row in table["data"]]


def stderr_outputs(nb) -> list[str]:
    return [
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]


# --------------------------------------------------------------------------------------------------------------
# the notebooks as stored


#: Names a notebook may call through: the library's doors. Anything else called in a cell (a pandas method,
#: a builtin) would be analysis logic living in a notebook instead of the library, where it is tested.
LIBRARY_NAMES = {"datasets", "metrics", "report", "plots"}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_shows_the_analysis_and_repeats_no_library_logic(name):
    """Stored without outputs; reads only derived data; every statement is an import from the library, an
    assignment of a library call's result, or a library call (display); no definitions, loops, conditions or
    comprehensions (logic lives in the library, where it is tested), and analysis notebooks call the domain
    functions of governance_study.metrics themselves."""
    nb = nbformat.read(str(REPO / "notebooks" / f"{name}.ipynb"), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "parameters" in nb.cells[0].metadata.get("tags", []), "the first cell is tagged parameters"
    calls_metrics = False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, "stored without outputs"
        assert "data/raw" not in cell.source and "open(" not in cell.source, f"reads raw files:\n{cell.source}"
        tree = ast.parse(cell.source)
        for statement in tree.body:
            if i == 0:  # the parameters cell: plain literals only
                assert isinstance(statement, ast.Assign), cell.source
                ast.literal_eval(statement.value)
                continue
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                module = statement.module if isinstance(statement, ast.ImportFrom) else statement.names[0].name
                assert module and module.startswith("governance_study"), f"imports outside the library: {module}"
                continue
            assert isinstance(statement, (ast.Assign, ast.Expr)), f"logic in a notebook:\n{ast.unparse(statement)}"
            assert isinstance(statement.value, ast.Call), f"not a library call:\n{ast.unparse(statement)}"
            for node in ast.walk(statement):
                assert not isinstance(
                    node,
                    (ast.Lambda, ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.IfExp, ast.BinOp, ast.BoolOp, ast.Compare),
                ), f"computation in a notebook:\n{ast.unparse(statement)}"
                if isinstance(node, ast.Call):
                    assert _root_name(node.func) in LIBRARY_NAMES, f"a call outside the library:\n{ast.unparse(node)}"
                    calls_metrics |= ast.unparse(node.func).startswith("metrics.") or any(
                        isinstance(a, ast.Attribute) and ast.unparse(a).startswith("metrics.") for a in node.args
                    )
    if name in ("02_resolution_rates", "03_participation", "04_reporting_audit"):
        assert calls_metrics, f"{name} must call the domain functions of governance_study.metrics itself"


def test_every_notebook_is_in_the_study():
    text = (REPO / "study.yaml").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert f"notebook: {name}" in text


# --------------------------------------------------------------------------------------------------------------
# executed with defaults and with other parameters


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_with_its_defaults(executed, name):
    nb = _ok(executed, f"default:{name}")
    assert not stderr_outputs(nb), f"{name} wrote to stderr (a warning?): {stderr_outputs(nb)}"
    assert any(t == "sources_appendix" for t in tables(nb)), f"{name} has no sources appendix"


def test_resolution_with_other_parameters_matches_statsmodels(executed):
    from statsmodels.stats.proportion import proportion_confint

    nb = _ok(executed, "custom:02-heping-mediation-agresti")
    shown = rows(tables(nb)["rates"])
    assert {r["Channel"] for r in shown} == {"mediation_centre"}
    assert {r["District"] for r in shown} == {"和平区 Heping"}
    (row,) = [r for r in shown if r["Statistic"] == "heping23-mediation"]
    low, high = proportion_confint(591, 657, alpha=0.1, method="agresti_coull")
    assert row["Interval %"] == f"{100 * low:.1f} to {100 * high:.1f}"
    assert row["Rate %"] == pytest.approx(100 * 591 / 657, abs=0.005)
    # one district: no pairwise comparison, said in words
    pairwise = tables(nb)["pairwise"]
    assert pairwise["data"] == [] and "needs two" in pairwise["note"]


def test_participation_per_thousand(executed):
    nb = _ok(executed, "custom:03-per-thousand-heping")
    shown = rows(tables(nb)["participation"])
    assert shown and {r["District"].split(" (")[0] for r in shown} == {"和平区 Heping"}
    grid_workers = next(r for r in shown if r["Claim"] == "heping23-grid-workers")
    assert grid_workers["Per 1,000 residents"] == f"{864 / 355_000 * 1000:,.2f}"


def test_profile_accepts_an_alias(executed):
    nb = _ok(executed, "custom:05-alias")
    facts = rows(tables(nb)["facts"])
    assert facts and all("Binhai" in r["Claim"] or r["Claim"].startswith(("binhai", "tianjin")) for r in facts)
    text = json.dumps([o for c in nb.cells for o in c.get("outputs", [])], ensure_ascii=False)
    assert "Binhai New Area (滨海新区, code 120116)" in text


def test_audit_with_one_rule(executed):
    nb = _ok(executed, "custom:04-truncate-only")
    audit = rows(tables(nb)["audit"])
    mediation = next(r for r in audit if r["Claim"] == "heping23-mediation-closure-rate" and r["Check"] == "grim")
    assert mediation["Rules passed"] == "truncate"


def test_audit_appendix_quotes_every_claim_and_count_shown(executed, study_run):
    """Every claim id the audit report shows (its Claim column, or named in a finding) and every count it shows
    (numerator, denominator) has its quote in the report's sources appendix."""
    import pandas as pd

    nb = _ok(executed, "default:04_reporting_audit")
    shown = rows(tables(nb)["audit"])
    quoted = {r["claim_id"] for r in rows(tables(nb)["sources_appendix"])}
    claims = pd.read_csv(study_run.paths.derived / "claims.csv", dtype=str, keep_default_na=False)
    known = set(claims["claim_id"])
    named = {r["Claim"] for r in shown} | {token for r in shown for token in re.findall(r"[\w.-]+", r["Finding"]) if token in known}
    assert named and named <= quoted, f"claims shown but not quoted: {sorted(named - quoted)}"
    group_of = dict(zip(claims["claim_id"], claims["group_id"]))
    by_group_role = {
        (c["group_id"], c["role"], float(c["value"])): c["claim_id"] for c in claims.to_dict("records") if c["group_id"] and c["value"]
    }
    checked = 0
    for r in shown:
        for column, role in (("Numerator", "closed"), ("Denominator", "received")):
            if r[column]:
                claim_id = by_group_role.get((group_of[r["Claim"]], role, float(r[column].replace(",", ""))))
                assert claim_id in quoted, f"{r['Claim']}: the {column.lower()} {r[column]} is not quoted"
                checked += 1
    assert checked, "no count shown"
    assert {"heping23-mediation-closed", "heping23-mediation-received"} <= quoted


# --------------------------------------------------------------------------------------------------------------
# the whole study


def test_study_produced_every_report(study_run):
    result = study_run.result
    assert not result.failed, [o.message for o in result.failed]
    reports = study_run.paths.reports
    for name in ("01_sources_and_coverage", "02_resolution_rates", "03_participation", "04_reporting_audit"):
        assert (reports / f"{name}.html").is_file()
    claims = (study_run.paths.derived / "claims.csv").read_text(encoding="utf-8")
    import csv
    import io

    codes = {row["district_code"] for row in csv.DictReader(io.StringIO(claims))}
    assert codes and {p.stem for p in (reports / "districts").glob("*.html")} == codes
    assert (reports / "index.html").is_file()


def _reports(study_run):
    return sorted(p for p in study_run.paths.reports.rglob("*.html") if "_failed" not in p.parts and ".cache" not in p.parts)


def test_every_report_has_provenance_citation_and_sources(study_run):
    for path in _reports(study_run):
        html = path.read_text(encoding="utf-8")
        assert 'id="provenance"' in html and "Derived data" in html and "sha256" in html, path
        assert re.search(r"python 3\.\d+", html) and "pandas " in html, path
        assert "@misc{" in html, path
        if path.name != "index.html":
            assert "Cite this report" in html and "The quotes behind the numbers" in html, path
            assert "Parameters" in html and "Inputs key" in html, path
        assert not re.search(r"<script", html, re.I), path
        assert 'data-mime-type="application/vnd.jupyter.stderr">' not in html, f"{path}: a cell wrote to stderr"
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//(?!www\.tjzzb\.gov\.cn)""", html.split("</head>")[0]), path
        assert "cdn" not in html.split("</head>")[0].lower(), path


def test_every_report_opens_with_key_findings_whose_links_resolve(study_run):
    """The index and each report lead with the key findings; every claim link lands on a quote: in the report's
    own sources appendix, or (from the index) in the district profile that lists the claim."""
    for path in _reports(study_run):
        html = path.read_text(encoding="utf-8")
        body = html.split("<main", 1)[-1]
        assert "Key findings" in body, path
        for href in re.findall(r'<a href="([^"]*#claim-[^"]+)"', html):
            page, anchor = href.split("#")
            target = (path.parent / page) if page else path
            assert target.is_file(), (path, href)
            assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), (path, href)
    index = (study_run.paths.reports / "index.html").read_text(encoding="utf-8")
    assert index.index("Key findings") < index.index("What the study is")
    assert 'href="districts/120101.html#claim-heping23-mediation-closed"' in index
    audit = (study_run.paths.reports / "04_reporting_audit.html").read_text(encoding="utf-8")
    assert 'href="#claim-heping23-enterprise-solved"' in audit and "hypothesis the text does not support" in audit
    dongli = (study_run.paths.reports / "districts/120110.html").read_text(encoding="utf-8")
    assert "No key finding of the study rests on this district" in dongli


def test_editing_one_claim_reruns_only_the_reports_that_show_it(study_run, tmp_path):
    """A copy of the finished study; one Dongli claim's note edited: the build reruns, then only the reports
    whose sources appendix shows that claim (the corpus, participation, the Dongli profile) are rerun."""
    import shutil

    from _project import edit_claim
    from governance_study.paths import ProjectPaths
    from governance_study.study import run

    root = tmp_path / "copy"
    shutil.copytree(study_run.paths.root, root)
    edit_claim(root, "dongli23-part-time-grid-workers", note="Part-time grid workers who are volunteer residents.")
    result = run(ProjectPaths(root), jobs=2, progress=lambda _: None)
    ran = sorted(o.report.report_id for o in result.outcomes if o.status == "ran")
    assert not result.failed and result.built
    assert ran == ["01_sources_and_coverage", "03_participation", "districts/120110"], ran
    records = {p.stem: json.loads(p.read_text()) for p in (root / "reports/.cache/reports").glob("*.json")}
    assert "dongli23-part-time-grid-workers" in records["03_participation"]["claims_shown"]
    assert "dongli23-part-time-grid-workers" not in records["02_resolution_rates"]["claims_shown"]


def test_hostile_source_text_is_escaped(study_run):
    escaped = HOSTILE_MARKUP.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for path in (study_run.paths.reports / "01_sources_and_coverage.html", study_run.paths.reports / "districts/120101.html"):
        html = path.read_text(encoding="utf-8")
        assert HOSTILE_CLAIM_ID in html, path
        assert HOSTILE_MARKUP not in html, path
        assert escaped.replace('"', "&quot;") in html or escaped.replace('"', "&#34;") in html or escaped in html, path
        assert "<img src=x" not in html and "<b onmouseover" not in html, path


def test_unchanged_rerun_from_the_command_line_is_fast(study_run):
    env = {k: v for k, v in os.environ.items() if k != "GOVERNANCE_STUDY_ROOT"}
    command = [sys.executable, "-m", "governance_study.cli", "run"]
    for _attempt in range(2):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=study_run.paths.root, capture_output=True, text=True, env=env, timeout=300)
        elapsed = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        # the library source changed under us (someone editing src/ while the tests run): that rerun was right
        # to run; the next one must be unchanged
        if "0 to run" in done.stderr or "changed: library source" not in done.stderr:
            break
    assert "0 to run" in done.stderr and "derived data up to date" in done.stderr, done.stderr
    print(f"unchanged rerun: {elapsed:.2f} s")
    assert elapsed < 3.0, f"an unchanged rerun took {elapsed:.2f} s (aim: about 1 s)"


def test_a_claim_moved_to_another_district_reruns_that_district(study_run, tmp_path):
    """Moving a claim between districts changes where claims belong: the profile that now shows it reruns too,
    although it did not show the claim before (the key covers every claim's district, not only those shown)."""
    import shutil

    from _project import edit_claim
    from governance_study.paths import ProjectPaths
    from governance_study.study import run

    root = tmp_path / "copy"
    shutil.copytree(study_run.paths.root, root)
    edit_claim(root, "binhai23-delivery-riders-linked", district_code="120118")
    result = run(ProjectPaths(root), jobs=2, progress=lambda _: None)
    ran = {o.report.report_id for o in result.outcomes if o.status == "ran"}
    assert {"districts/120118", "districts/120116"} <= ran, ran
    assert "binhai23-delivery-riders-linked" in (root / "reports/districts/120118.html").read_text(encoding="utf-8")


def test_tables_a_notebook_loads_are_read_from_its_cells(tmp_path):
    from governance_study.study.cache import ALL_TABLES, declared_tables

    assert declared_tables(REPO / "notebooks/04_reporting_audit.ipynb") == ["audit", "claims", "participation", "resolution", "sources"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('name = "claims"\nt = datasets.load(name)')])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    assert declared_tables(path) == [ALL_TABLES]  # not a literal: every table is in the key
