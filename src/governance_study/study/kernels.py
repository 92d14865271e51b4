"""Fresh kernels forked from a warm parent: every notebook starts from the state a new kernel has, fast.

Grain: one :class:`ForkServer` per run (a Python process that has imported what the study's notebooks import,
and nothing else); one forked kernel per notebook, shut down when the notebook is done.

Why fork: a kernel kept from one notebook to the next carries whatever the first notebook changed (matplotlib
rcParams, pandas options, environment variables, the working folder, ``sys.path``, warnings filters, a
monkeypatched library function), and ``%reset -f`` clears variables only. A new interpreter per notebook is
clean but pays 2-3 s of imports each time. The fork server pays the imports once; each kernel is a fork of it
taken before any kernel code ran, so it has the modules loaded and nothing else: the user namespace, IPython,
matplotlib's backend and every option are set up by the kernel itself, as in a fresh one.

The kernel process is a child of the fork server, not of the run: :class:`ForkedProvisioner` manages it by pid
(jupyter_client's ``LocalProvisioner`` with the launch replaced), and the kernel watches the fork server
(``JPY_PARENT_PID``), so it exits when the fork server does, which exits when the run closes its stdin or dies.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from governance_study.paths import NO_VECTORS_ENV

#: Modules the library imports lazily inside the functions a notebook calls (plots, models); warming them saves
#: each kernel the import. Importing a module only loads it: no option is set that a fresh kernel lacks.
LAZY_IMPORTS = ("pandas", "numpy", "scipy.stats", "statsmodels.api", "statsmodels.formula.api", "matplotlib.pyplot", "seaborn")

#: The code the fork server runs (``python -c``); kept as text because it runs in the kernel's interpreter.
SERVER = r"""
import importlib, json, os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)   # the run handles Ctrl-C and stops the kernels itself
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit; their pids are polled
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:  # the notebook that imports it reports the error itself
        pass
requests, replies = sys.stdin.buffer, sys.stdout.buffer
replies.write(b"ready\n"); replies.flush()
for line in requests:
    argv = json.loads(line)
    pid = os.fork()
    if pid:
        replies.write(f"{pid}\n".encode()); replies.flush()
        continue
    try:  # the kernel: what jupyter_client's launcher would have set up for a new process
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(2, 1)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        if "numpy" in sys.modules:  # a fresh interpreter seeds numpy's global generator anew
            sys.modules["numpy"].random.seed()
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp
        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback; traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush(); sys.stderr.flush()
    os._exit(code)
"""


def kernel_environment(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every kernel of the study gets (a run's and a verification's alike): the project root,
    a fixed hash seed (set order is the same in every run), the inline backend left to the kernel."""
    env = {
        **(os.environ if base is None else base),
        "GOVERNANCE_STUDY_ROOT": str(root),
        "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # silence debugpy's frozen-modules warning in the kernel
    }
    env.pop("MPLBACKEND", None)  # the kernel's inline backend renders figures
    env.pop(NO_VECTORS_ENV, None)  # only `verify` leaves the vector figures out, and it sets this itself
    return env


def warm_modules(notebooks: Iterable[Path]) -> list[str]:
    """The modules the notebooks import (their import statements), then the library's lazy imports, in order.

    ipykernel itself is not among them: its application reads ``JPY_PARENT_PID`` when its module is imported,
    which must happen in the kernel, after the fork, for the kernel to watch the fork server."""
    import nbformat

    names: list[str] = []
    for path in notebooks:
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
                    names += [f"{node.module}.{alias.name}" for alias in node.names]  # submodules imported by name
    return list(dict.fromkeys([*names, *LAZY_IMPORTS]))


class ForkServer:
    """A warm Python process that forks one kernel per request; started on first use (or :meth:`start_soon`),
    stopped by :meth:`close`. Creating one costs nothing: the modules to warm (a list, or a function that lists
    them) and the interpreter (the first kernel's, or the kernel spec's) are looked up when it starts."""

    def __init__(
        self,
        modules: list[str] | Callable[[], list[str]],
        *,
        cwd: Path,
        env: Mapping[str, str],
        python: str | None = None,
        kernel: str = "python3",
        start_timeout_s: float = 60,
    ):
        self.modules, self.cwd, self.env = modules, cwd, dict(env)
        self.python, self.kernel = python, kernel
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen | None = None
        self.closed = False
        self._lock = threading.Lock()

    def _start(self, python: str) -> subprocess.Popen:
        self.python = python
        modules = self.modules() if callable(self.modules) else self.modules
        self.process = process = subprocess.Popen(
            [python, "-c", SERVER, json.dumps(modules)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,  # Ctrl-C in the terminal reaches the run, which stops kernels and server
        )
        # set before it is ready, so that close(now=True) from another thread can stop a server still importing;
        # and if close() ran while Popen did, nobody else will stop this one
        if self.closed:
            self.process = None
            process.kill()
            process.wait()
            raise RuntimeError("the run is stopping: no fork server")
        if self._reply(process, self.start_timeout_s) != b"ready\n":
            process.kill()
            process.wait()
            raise RuntimeError(
                f"the kernel fork server ({python}) was not ready within {self.start_timeout_s:g} s (execution.start_timeout_s); "
                "if this persists, set `execution: {fork_kernels: false}` in study.yaml"
            )
        return process

    @staticmethod
    def _reply(process: subprocess.Popen, timeout_s: float) -> bytes:
        """One line from the server, or b"" when none comes within ``timeout_s`` (a hung import, a dead server)."""
        import select

        ready, _, _ = select.select([process.stdout], [], [], timeout_s)
        return process.stdout.readline() if ready else b""

    def start_soon(self) -> None:
        """Start the server in the background now (its imports overlap whatever the caller does next); a fork
        waits for it. Does nothing when it runs already."""

        def start() -> None:
            with self._lock:
                if not self.closed and (self.process is None or self.process.poll() is not None):
                    with contextlib.suppress(Exception):  # the first fork retries and reports the error
                        python = self.python or kernel_python(self.kernel)
                        if python:
                            self._start(python)

        threading.Thread(target=start, name="fork-server-start", daemon=True).start()

    def fork(self, python: str, argv: list[str]) -> int:
        """Fork a kernel of ``python`` with ipykernel's command-line ``argv`` (``-f connection_file``); returns its
        pid. The server runs ``python``: the kernel is the interpreter its spec names, warm."""
        with self._lock:
            if self.closed:
                raise RuntimeError("the run is stopping: no new kernel")
            process = self.process
            if process is not None and Path(self.python or "").resolve() != Path(python).resolve():
                raise RuntimeError(f"kernel interpreter {python} is not the fork server's ({self.python})")
            if process is None or process.poll() is not None:
                process = self._start(python)
            try:
                process.stdin.write(json.dumps(argv).encode() + b"\n")
                process.stdin.flush()
                reply = self._reply(process, self.start_timeout_s)
            except (OSError, ValueError):  # closed by close(now=True) meanwhile
                reply = b""
        if not reply.strip().isdigit():
            raise RuntimeError("the kernel fork server stopped while forking a kernel")
        return int(reply)

    def close(self, *, now: bool = False) -> None:
        """Stop the server: at once when ``now`` (the run was interrupted), else when it has read its last request.
        Kernels still running follow it within a second (they watch it)."""
        self.closed = True
        process, self.process = self.process, None  # no lock: a fork may be waiting for the server to be ready
        if process is None:
            return
        if now:
            process.kill()
        else:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ForkedProcess:
    """The part of ``subprocess.Popen`` that jupyter_client's provisioner uses, for a process that is not our
    child (it is the fork server's): polled and signalled by pid."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # reaped by the fork server, which alone knows the status
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def forked_provisioner(km, server: ForkServer):
    """A provisioner for ``km`` whose kernels the fork server forks; set as ``km.provisioner`` before start."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            # ipykernel's own command line after the interpreter: ``-m ipykernel_launcher -f {connection_file}``
            if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:  # not ipykernel: launched as usual
                return await super().launch_kernel(cmd, **kwargs)
            pid = server.fork(cmd[0], cmd[3:])
            self.process = ForkedProcess(pid)
            self.pid = self.pgid = pid  # the kernel leads its own session, as a launched kernel does
            self.cwd = str(server.cwd)
            return self.connection_info

    return ForkedProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


def kernel_python(kernel_name: str) -> str | None:
    """The interpreter of a Python kernel spec (``argv[0]`` when it runs ``-m ipykernel_launcher``), else None."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    if len(argv) >= 3 and argv[1:3] == ["-m", "ipykernel_launcher"]:
        return sys.executable if argv[0] in {"python", "python3"} else argv[0]
    return None
