"""``governance-study variant``: one report rendered with other parameters, beside the study and apart from it.

Grain: one variant per notebook and set of parameters, written to ``reports/variants/<notebook>/<slug>.html``
with its executed notebook and files, its provenance panel (every parameter that produced it) and a citation
that names it a variant.

A variant starts from the parameters ``study.yaml`` gives the notebook (for a per-district notebook, those of
the district the parameters name, else of its first district), replaces those given with ``-p NAME VALUE``
(a YAML scalar or list: ``-p alpha 0.1``, ``-p districts "[Heping, Binhai]"``), and checks the result exactly
as ``run`` checks the study's parameters. It builds the derived data if they are stale, like ``run``; it
never writes the study's reports, records or index.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from governance_study.paths import ProjectPaths
from governance_study.study.spec import VARIANTS_DIR, Progress, Report, StudyError, expand, load_study


class VariantFailed(RuntimeError):
    """The variant's notebook failed (the message names the cell); the study is untouched."""


def parse_value(name: str, text: str) -> Any:
    """A ``-p`` value as YAML reads it (numbers, booleans, lists); a plain string stays a string."""
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or exc  # a ReaderError (a control character) has no .problem
        raise StudyError([f'-p {name} {text!r}: not a value ({problem}); quote a list as "[a, b]"'], heading="the command line") from None


def slug(changed: dict[str, Any]) -> str:
    """File name of a variant from the parameters it changes: ``alpha-0.1_ci_method-jeffreys`` (sorted by name)."""
    import json

    def text(value: Any) -> str:
        raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ""), default=str)
        return re.sub(r"[^\w.+-]+", "-", raw, flags=re.UNICODE).strip("-") or "empty"

    return "_".join(f"{name}-{text(value)}" for name, value in sorted(changed.items())) or "defaults"


def variant_report(paths: ProjectPaths, notebook: str, overrides: Sequence[tuple[str, str]]) -> Report:
    """The variant as a report of its own (id ``variants/<notebook>/<slug>``), parameters not yet checked."""
    study = load_study(paths)
    candidates = [r for r in expand(study, paths) if r.notebook == notebook.removesuffix(".ipynb")]
    if not candidates:
        names = sorted({spec.notebook for spec in study.reports})
        raise StudyError([f"notebook {notebook!r} is not in study.yaml; notebooks: {', '.join(names)}"], heading="the command line")
    # where the study gives a parameter as text (a district code, a method), the value stays text: -p district
    # 120116 names the district 120116, and a date-like value is not turned into a date
    texts = {k for k, v in candidates[0].parameters.items() if isinstance(v, str)}
    changed = {name: (text if name in texts else parse_value(name, text)) for name, text in overrides}
    # a per-district notebook: start from the district the parameters name, when one matches exactly
    base = next((r for r in candidates if all(r.parameters.get(k) == v for k, v in changed.items() if k in r.parameters)), candidates[0])
    if len(candidates) > 1 and base is candidates[0] and any(candidates[0].parameters.get(k) != v for k, v in changed.items()):
        title = f"{base.notebook} (variant)"
    else:
        title = base.title
    parameters = {**base.parameters, **changed}
    changed = {k: v for k, v in parameters.items() if k in changed and (len(candidates) > 1 or base.parameters.get(k) != v)}
    label = ", ".join(f"{k}={v!r}" for k, v in sorted(changed.items())) or "the study's parameters"
    report_id = f"{VARIANTS_DIR}/{base.notebook}/{slug(changed)}"
    return replace(
        base,
        report_id=report_id,
        output=f"{report_id}.html",
        title=f"{title} — variant: {label}",
        section="Variants",
        parameters=parameters,
    )


def run_variant(paths: ProjectPaths, notebook: str, overrides: Sequence[tuple[str, str]], *, progress: Progress = print) -> Path:
    """Render the variant; returns its HTML. StudyError for an unknown notebook or bad parameters (before any
    kernel starts); :class:`VariantFailed` naming the cell when the notebook fails (nothing of the study is touched)."""
    from governance_study.study import locked_project, terminate_as_interrupt  # the run's own guards: lock, SIGTERM
    from governance_study.study.cache import collect_inputs, ensure_derived
    from governance_study.study.execute import Runner, Worker
    from governance_study.study.git import git_state
    from governance_study.study.navigation import Navigation, gazetteer_rows, plan
    from governance_study.study.parameters import check_parameters
    from governance_study.study.provenance import sha256_file

    started = time.perf_counter()
    study = load_study(paths)
    with locked_project(paths), terminate_as_interrupt():
        ensure_derived(paths, force=False, progress=progress)
        report = variant_report(paths, notebook, overrides)
        check_parameters([report])
        inputs = collect_inputs(paths, study.execution.kernel, study.title)
        nb_sha = sha256_file(report.notebook_path)
        runner = Runner(paths, study, inputs, git_state(paths), progress, 1, {report.report_id: (inputs.key(report, nb_sha), nb_sha)})
        runner.reasons = {report.report_id: "variant"}
        # no neighbours, but district names link to the study's profiles and claim ids to their quotes
        profiles = plan(expand(study, paths), gazetteer_rows(paths.derived_table("districts")))
        runner.navigation = {report.report_id: Navigation(profiles=next(iter(profiles.values())).profiles if profiles else {})}
        runner.todo.put(report)
        worker = Worker(runner, "variant")
        try:
            worker.run()
        finally:
            runner.close()
    [outcome] = runner.outcomes
    if outcome.status != "ran":
        raise VariantFailed(f"variant {report.report_id} failed: {outcome.message}")
    target = report.html_path(paths)
    progress(f"variant written in {time.perf_counter() - started:.1f} s: {target}")
    return target
