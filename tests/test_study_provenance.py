"""Provenance, citation and the HTML export: what a report says about itself, and that it says it safely."""

from __future__ import annotations

import re
import subprocess

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from governance_study.paths import ProjectPaths
from governance_study.study import citation, provenance
from governance_study.study import render as export


def _git(root, *args):
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args], check=True, capture_output=True)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "p"
    (root / "data/derived").mkdir(parents=True)
    (root / "data/derived/claims.csv").write_text("claim_id\na\n")
    (root / "study.yaml").write_text("title: t\n")
    (root / "CITATION.cff").write_text(
        'cff-version: 1.2.0\ntitle: "A study of 100% & more_things {x}"\nversion: 2.1.0\n'
        "date-released: 2025-03-04\nauthors:\n  - family-names: Zhang\n    given-names: San Feng\n"
        '  - name: "The Team"\nurl: https://example.org/study\n'
    )
    return ProjectPaths(root)


def test_git_state_outside_git(project):
    state = provenance.git_state(project)
    assert state.commit is None and state.dirty is None
    assert state.describe == "not under version control"


def test_git_state_commit_and_dirty_flag(project):
    _git(project.root, "init", "-q")
    assert provenance.git_state(project).describe.startswith("no commit yet")
    _git(project.root, "add", ".")
    _git(project.root, "commit", "-qm", "first")
    clean = provenance.git_state(project)
    assert re.fullmatch(r"[0-9a-f]{40}", clean.commit) and clean.dirty is False
    (project.root / "reports").mkdir()
    (project.root / "reports/index.html").write_text("generated")  # reports do not make the tree dirty
    assert provenance.git_state(project).dirty is False
    (project.root / "study.yaml").write_text("title: changed\n")
    dirty = provenance.git_state(project)
    assert dirty.dirty is True and dirty.commit == clean.commit
    assert dirty.describe == f"{clean.commit[:7]} (uncommitted changes)"


def test_git_missing_is_not_fatal(project, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert provenance.git_state(project).describe == "not under version control"


def test_provenance_collects_hashes_versions_parameters(project):
    prov = provenance.collect(project, parameters={"alpha": 0.05})
    assert prov.study_version == "2.1.0"
    assert prov.parameters == {"alpha": 0.05}
    import hashlib

    assert prov.derived_sha256 == {"claims.csv": hashlib.sha256(b"claim_id\na\n").hexdigest()}
    assert {"python", "pandas", "papermill", "nbconvert", "statsmodels"} <= set(prov.versions)
    again = provenance.Provenance.from_dict(prov.to_dict())
    assert again.to_dict() == prov.to_dict()


def test_citation_names_version_and_commit(project):
    cff = citation.load_citation(project)
    c = citation.build_citation(cff, commit="abcdef0123456789", dirty=True)
    assert c.text.startswith(
        "Zhang, S. F., & The Team (2025). A study of 100% & more_things {x} (Version 2.1.0, commit abcdef0, with uncommitted changes) [Data set]. https://example.org/study"
    )
    assert r"title = {{A study of 100\% \& more\_things \{x\}}}" in c.bibtex
    assert "author = {Zhang, San Feng and {The Team}}" in c.bibtex
    assert "note = {Version 2.1.0; commit abcdef0123456789 (uncommitted changes)}" in c.bibtex
    unescaped = c.bibtex.replace(r"\{", "").replace(r"\}", "")
    assert unescaped.count("{") == unescaped.count("}")
    report = citation.build_citation(
        cff, commit=None, dirty=None, report_title="Resolution", report_id="02_resolution_rates", generated_at="2025-01-01T00:00:00Z"
    )
    assert "Resolution [Report 02_resolution_rates, generated 2025-01-01T00:00:00Z]. In A study" in report.text
    assert "no commit recorded" in report.text
    assert report.key.endswith("_02_resolution_rates")


def test_cite_command(project, monkeypatch, capsys):
    from governance_study import cli

    monkeypatch.chdir(project.root)
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    assert cli.main(["cite"]) == 0
    out = capsys.readouterr().out
    assert "Version 2.1.0" in out and "@misc{zhang_2025_v2_1_0," in out
    assert cli.main(["cite", "--format", "bibtex"]) == 0
    assert capsys.readouterr().out.startswith("@misc{")


def test_repository_citation_is_complete():
    paths = ProjectPaths.discover(__file__)
    text = citation.citation_text(paths, style="all")
    cff = citation.load_citation(paths)
    assert f"Version {cff['version']}" in text
    assert cff["title"] in text


def _context(project, **overrides):
    prov = provenance.collect(project, parameters={"district": "<script>alert(1)</script>"})
    prov.cache_key = "k" * 64
    cite = citation.build_citation(citation.load_citation(project), commit="0" * 40, dirty=False, report_title="T <b>", report_id="x")
    values = dict(
        report_id="districts/120101",
        title="Title <img src=x onerror=alert(1)>",
        study_title="S & <i>",
        index_href="../index.html",
        provenance=prov,
        citation=cite,
    )
    values.update(overrides)
    return export.ReportContext(**values)


def test_export_escapes_panels_and_drops_code_and_scripts(project):
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Heading"),
            new_code_cell("secret_code = 1", outputs=[]),
            new_code_cell(
                "show()",
                outputs=[
                    new_output("display_data", data={"text/html": "<table><tr><td>&lt;script&gt;</td></tr></table>", "text/plain": "t"}),
                    new_output("display_data", data={"image/png": png, "text/plain": "fig"}, metadata={"image/png": {"alt": 'a "plot"'}}),
                    new_output("display_data", data={"application/javascript": "alert(2)", "text/plain": "js"}),
                    new_output("display_data", data={"text/markdown": "<script>alert(3)</script>"}),
                    new_output(
                        "display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(4)</script></svg>"}
                    ),
                ],
            ),
        ]
    )
    html = export.notebook_to_html(nb, _context(project))
    assert not re.search(r"<script", html, re.I)
    assert "onerror=alert" not in html.replace("&lt;", "<").split("<title>")[0]  # only escaped copies
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "secret_code" not in html
    assert "alt='a \"plot\"'" in html or 'alt="a &#34;plot&#34;"' in html or 'alt="a &quot;plot&quot;"' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "JavaScript output omitted" in html
    assert "Cite this report" in html and "@misc{" in html
    assert "0" * 40 in html and "k" * 64 in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_index_is_escaped(project):
    prov = provenance.collect(project)
    cite = citation.build_citation(citation.load_citation(project), commit=None, dirty=None)
    html = export.render_index(
        study={"title": "<script>t</script>", "description": ["<b>d</b>"]},
        groups=[
            {
                "title": "G",
                "reports": [
                    {
                        "title": "<i>r</i>",
                        "href": "r.html",
                        "exists": True,
                        "parameters": {"p": "<x>"},
                        "generated": None,
                        "commit": None,
                        "dirty": None,
                        "status": "ran",
                        "status_text": "ok",
                    }
                ],
            }
        ],
        failures=[{"report_id": "f", "message": "<script>m</script>"}],
        citation=cite,
        provenance=prov,
    )
    assert "<script" not in html and "<b>d" not in html and "<i>r" not in html
    assert "&lt;script&gt;m&lt;/script&gt;" in html


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a" / "r.html"
    export.write_text_atomic(target, "one")
    export.write_text_atomic(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]
