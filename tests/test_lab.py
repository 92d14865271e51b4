"""JupyterLab as a user starts it: from .venv-lab, headless, and every notebook of the study opens.

`make test` creates .venv-lab from requirements-lab.lock first; without it the test is skipped with the reason,
except under CI (``CI=true``), where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from _project import REPO

JUPYTER = REPO / ".venv-lab" / "bin" / "jupyter"
STARTUP_TIMEOUT_S = 90  # a cold start on a loaded 2-core machine takes ~10 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture
def jupyter():
    if not JUPYTER.is_file():
        reason = f"{JUPYTER.relative_to(REPO)} missing: run `make lab-setup` (make test does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the lab test cannot run: {reason}")
        pytest.skip(reason)
    return JUPYTER


def test_make_lab_allows_root_only_as_root():
    # the Makefile's own words, run by the shell as make would (make turns $$ into $)
    line = next(text for text in (REPO / "Makefile").read_text().splitlines() if "/bin/jupyter lab" in text)
    args = line.split("/bin/jupyter lab", 1)[1].replace("$$", "$")
    out = subprocess.run(["sh", "-c", f"echo {args}"], capture_output=True, text=True, check=True).stdout.split()
    assert ("--allow-root" in out) == (os.geteuid() == 0), (line, out)
    assert out[-1] == "notebooks/"


def test_lab_starts_and_opens_every_notebook(jupyter, tmp_path):
    notebooks = tmp_path / "notebooks"  # a copy: the server writes checkpoints beside what it opens
    shutil.copytree(REPO / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    expected = {p.name: len(json.loads(p.read_text(encoding="utf-8"))["cells"]) for p in sorted(notebooks.glob("*.ipynb"))}
    assert len(expected) >= 5
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, **{f"JUPYTER_{d}_DIR": str(tmp_path / d.lower()) for d in ("CONFIG", "DATA", "RUNTIME")}}
    command = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0"]
    command += [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}"]
    command += ["--allow-root"] if os.geteuid() == 0 else []  # as `make lab` does
    log = tmp_path / "lab.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode} before answering:\n{log.read_text()[-3000:]}")
            try:
                status, body = _get(f"{base}/api/status", token)
                if status == 200:
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer {base}/api/status within {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        assert "started" in json.loads(body)
        assert _get(f"{base}/api/contents", None)[0] == 403  # the token is required
        status, body = _get(f"{base}/lab", token)
        assert status == 200 and b"JupyterLab" in body
        listing = json.loads(_get(f"{base}/api/contents", token)[1])
        assert {item["name"] for item in listing["content"] if item["type"] == "notebook"} == set(expected)
        for name, cells in expected.items():
            status, body = _get(f"{base}/api/contents/{name}?content=1", token)
            assert status == 200, f"{name}: HTTP {status} {body[:300]!r}"
            model = json.loads(body)
            assert (model["type"], model["format"], model["name"]) == ("notebook", "json", name)
            assert len(model["content"]["cells"]) == cells, name
            assert model["content"]["nbformat"] == 4
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    assert server.returncode is not None
    with socket.socket() as s:  # nothing listens any more: no server left behind
        assert s.connect_ex(("127.0.0.1", port)) != 0
    assert not re.search(r"Traceback \(most recent call last\)", log.read_text()), log.read_text()[-3000:]
