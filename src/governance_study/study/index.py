"""``reports/index.html``: the study's landing page.

Grain: one entry per report of the study, grouped by section, with its state in the last run (regenerated,
unchanged, failed, not selected), when and at which commit it was produced; then the citation and provenance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from governance_study.paths import ProjectPaths
from governance_study.study.cache import RunInputs, read_record
from governance_study.study.downloads import publish_derived
from governance_study.study.execute import RunResult
from governance_study.study.spec import DERIVED_DIR, Report, Study

STATUS_TEXT = {"ran": "regenerated", "unchanged": "unchanged (inputs identical)", "failed": "FAILED", "skipped": "not selected (--only)"}


def write_index(paths: ProjectPaths, study: Study, reports: list[Report], result: RunResult, git, inputs: RunInputs) -> Path:
    """``reports/index.html``: what the study is, every report with its state, the citation, the provenance."""
    from governance_study.study.citation import load_citation, study_citation
    from governance_study.study.provenance import collect
    from governance_study.study.render import render_index, write_text_atomic

    outcomes = result.by_id()
    groups: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        record = read_record(paths, report.report_id) or {}
        prov = record.get("provenance", {})
        outcome = outcomes.get(report.report_id)
        status = outcome.status if outcome else "skipped"
        exists = report.html_path(paths).is_file()
        text = STATUS_TEXT[status]
        if status == "failed":
            text += ": previous version shown" if exists else ": no report"
        groups.setdefault(report.section, []).append(
            {
                "title": report.title,
                "href": report.output,
                "exists": exists,
                "parameters": report.parameters,
                "generated": prov.get("started_at"),
                "commit": (prov.get("git") or {}).get("commit"),
                "dirty": (prov.get("git") or {}).get("dirty"),
                "status": status,
                "status_text": text,
                "notebook": report.output.removesuffix(".html") + ".ipynb" if exists else None,
            }
        )
    cff = load_citation(paths)
    findings, findings_error = _cached_findings(paths, reports, inputs)
    description = list(study.description) or [str(cff.get("abstract", "")).strip()]
    provenance = collect(paths, git=git, derived=inputs.derived)
    derived_files = publish_derived(paths.derived, paths.reports) if paths.derived.is_dir() else []
    provenance.duration_s = round(result.seconds or 0.0, 2) or None
    html = render_index(
        study={"title": study.title, "description": description},
        findings=findings,
        findings_error=findings_error,
        groups=[{"title": title, "reports": items} for title, items in groups.items()],
        failures=[{"report_id": o.report.report_id, "message": o.message} for o in result.failed],
        citation=study_citation(paths, git=git),
        derived_files=[{"name": name, "href": f"{DERIVED_DIR}/{name}"} for name in derived_files],
        provenance=provenance,
    )
    target = paths.reports / "index.html"
    write_text_atomic(target, html)
    return target


def _cached_findings(paths: ProjectPaths, reports: list[Report], inputs: RunInputs) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`_key_findings`, reused while the derived data, the library and the reports' outputs are unchanged:
    an unchanged rerun then writes the index without importing pandas."""
    import json

    from governance_study.study.cache import write_json

    stamp = {"derived": inputs.derived, "library": inputs.library, "outputs": sorted(r.output for r in reports)}
    path = paths.cache_dir / "findings.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("stamp") == stamp:
            return cached["findings"], cached["error"]
    except (OSError, ValueError, KeyError):
        pass
    findings, error = _key_findings(paths, reports)
    write_json(path, {"stamp": stamp, "findings": findings, "error": error})
    return findings, error


def _key_findings(paths: ProjectPaths, reports: list[Report]) -> tuple[list[dict[str, Any]], str | None]:
    """The study's key findings from ``data/derived/``, each claim linked to its quote in the district profile
    that lists it (``districts/<code>.html#claim-<id>``), when the study has that profile; or, when the derived
    tables cannot be read, no findings and the reason (the index still lists the reports)."""
    from governance_study import datasets
    from governance_study.report import claim_anchor, key_findings

    try:
        tables = {name: datasets.load(name, paths) for name in ("claims", "resolution", "participation", "audit")}
    except (FileNotFoundError, KeyError, ValueError) as exc:
        return [], f"the derived tables cannot be read ({exc})"
    claims = tables["claims"]
    district_of = dict(zip(claims["claim_id"].astype(str), claims["district_code"].astype(str)))
    profiles = {r.output for r in reports}
    try:
        findings = key_findings(tables["claims"], tables["resolution"], tables["participation"], tables["audit"])
    except Exception as exc:  # noqa: BLE001 - the index must still list the reports; it says what went wrong
        return [], f"they could not be generated ({type(exc).__name__}: {exc})"
    out = []
    for finding in findings:
        links = []
        for claim_id in finding.claim_ids:
            page = f"districts/{district_of.get(claim_id)}.html"
            links.append({"claim_id": claim_id, "href": f"{page}#{claim_anchor(claim_id)}" if page in profiles else None})
        out.append({"text": finding.text, "links": links})
    return out, None
