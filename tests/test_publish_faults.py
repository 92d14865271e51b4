"""Faults around publishing, verifying and forking, each fed on purpose: an interrupted fork server start, the
umask under concurrent publishing, an inherited environment variable, bad `verify` and `variant` input, a
heading that needs escaping."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

import pytest

from _project import processes_with
from governance_study.paths import NO_VECTORS_ENV
from governance_study.study import StudyError
from governance_study.study.kernels import ForkServer, kernel_environment
from governance_study.study.navigation import contents
from governance_study.study.render import current_umask
from governance_study.study.variant import parse_value, slug


def test_a_fork_server_closed_while_it_starts_does_not_outlive_its_owner(tmp_path):
    marker = f"GS_TEST_MARKER={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    server = ForkServer(["json"], cwd=tmp_path, env=env, python=sys.executable)
    server.start_soon()
    time.sleep(0.05)  # the start is under way (or about to be)
    server.close(now=True)
    deadline = time.monotonic() + 10
    while (left := processes_with(marker.encode())) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left
    with pytest.raises(RuntimeError, match="the run is stopping"):
        server.fork(sys.executable, ["-f", str(tmp_path / "kernel.json")])


def test_a_fork_server_that_never_gets_ready_is_reported_within_its_timeout(tmp_path, monkeypatch):
    import governance_study.study.kernels as kernels

    monkeypatch.setattr(kernels, "SERVER", "import time; time.sleep(60)")
    server = ForkServer(["json"], cwd=tmp_path, env=dict(os.environ), python=sys.executable, start_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"was not ready within 1 s \(execution.start_timeout_s\)"):
        server.fork(sys.executable, ["-f", str(tmp_path / "kernel.json")])
    assert time.monotonic() - started < 30
    server.close(now=True)


def test_reading_the_umask_never_changes_it_even_from_many_threads():
    before = os.umask(0o022)
    try:
        seen = []
        threads = [threading.Thread(target=lambda: seen.append(current_umask())) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(seen) == {0o022}
        assert os.umask(0o022) == 0o022  # still what it was
    finally:
        os.umask(before)


def test_an_inherited_no_vector_variable_does_not_reach_a_run_kernel(tmp_path):
    env = kernel_environment(tmp_path, {"PATH": "/bin", NO_VECTORS_ENV: "1", "MPLBACKEND": "Agg"})
    assert NO_VECTORS_ENV not in env and "MPLBACKEND" not in env
    assert env["GOVERNANCE_STUDY_ROOT"] == str(tmp_path) and env["PYTHONHASHSEED"] == "0"


def test_verify_refuses_fewer_than_one_job(study_run):
    from governance_study.study.reproduce import verify

    with pytest.raises(StudyError, match=r"--jobs 0: give at least 1"):
        verify(study_run.paths, jobs=0, progress=lambda line: None)


def test_variant_values_that_are_not_yaml_are_named():
    with pytest.raises(StudyError, match=r"-p alpha '\\x07': not a value"):
        parse_value("alpha", "\x07")
    with pytest.raises(StudyError, match=r"-p districts '\[a, b': not a value"):
        parse_value("districts", "[a, b")


def test_variant_text_parameters_stay_text(study_run):
    """`-p district 120116` names the district 120116 (YAML would read a number); a date-like method stays text
    and is then refused by the parameter check, not by a traceback."""
    from governance_study.study.variant import variant_report

    report = variant_report(study_run.paths, "05_district_profile", [("district", "120116")])
    assert report.parameters["district"] == "120116"
    assert report.title.startswith("District profile: Binhai New Area")
    assert report.report_id == "variants/05_district_profile/district-120116"
    odd = variant_report(study_run.paths, "02_resolution_rates", [("ci_method", "2024-01-01"), ("alpha", "0.1")])
    assert odd.parameters["ci_method"] == "2024-01-01" and odd.parameters["alpha"] == 0.1
    assert slug({"when": __import__("datetime").date(2024, 1, 1)}) == "when-2024-01-01"


def test_contents_ids_are_unescaped_once():
    body = '<h2 id="Rates-&amp;-intervals">Rates &amp; intervals<a class="anchor-link" href="#Rates-&amp;-intervals">¶</a></h2>'
    assert contents(body) == [("Rates-&-intervals", "Rates & intervals")]
