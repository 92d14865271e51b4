"""A pytest plugin for ``governance-study verify``: nbval's kernels forked from a warm process, as in a run.

Grain: one fork server per pytest process (one verification job); one forked kernel per notebook, which nbval
starts and shuts down as usual.

nbval starts every notebook's kernel as a new interpreter, which pays the imports each time; a verification
would then cost several times the run it checks. With this plugin (``-p governance_study.study.nbval_kernels``)
nbval's kernel manager gets the fork provisioner of :mod:`.kernels`, so each notebook starts in a fresh kernel
with the imports done, in ``notebooks/`` and with the run's environment (:func:`.kernels.kernel_environment`).
Set ``GOVERNANCE_STUDY_VERIFY_NOTEBOOKS`` to the notebooks whose imports to warm (os.pathsep-separated).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

_server = None


def pytest_configure(config) -> None:
    global _server
    import nbval.kernel

    from governance_study.study.kernels import ForkServer, forked_provisioner, warm_modules

    notebooks = [Path(p) for p in os.environ.get("GOVERNANCE_STUDY_VERIFY_NOTEBOOKS", "").split(os.pathsep) if p]
    cwd = notebooks[0].parent if notebooks else Path.cwd()
    _server = ForkServer(warm_modules(notebooks), cwd=cwd, env=dict(os.environ), python=sys.executable)
    _server.start_soon()  # its imports overlap pytest's collection
    original = nbval.kernel.KernelManager

    class ForkedKernelManager(original):
        def start_kernel(self, **kw):
            import uuid

            if self.kernel_name == nbval.kernel.CURRENT_ENV_KERNEL_NAME:  # the verifying interpreter: fork it
                self.kernel_id = self.kernel_id or str(uuid.uuid4())
                self.provisioner = forked_provisioner(self, _server)
            return super().start_kernel(**kw)

    def new_manager(kernel_name: str, **kwargs):
        km = ForkedKernelManager(kernel_name=kernel_name, kernel_spec_manager=nbval.kernel.NbvalKernelspecManager())
        km.start_kernel(**kwargs)
        return km

    def start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):
        """nbval's ``start_new_kernel``, with the next notebook's kernel forked ahead (it initialises while this
        notebook runs, as in a run); a fresh kernel per notebook all the same."""
        km = _spare.pop() if _spare else new_manager(kernel_name, **kwargs)
        with contextlib.suppress(Exception):  # no spare is no error: the next notebook starts its own
            _spare.append(new_manager(kernel_name, **kwargs))
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel()
            raise
        return km, kc

    nbval.kernel.KernelManager = ForkedKernelManager
    nbval.kernel.start_new_kernel = start_new_kernel


_spare: list = []


def pytest_unconfigure(config) -> None:
    for km in _spare:
        with contextlib.suppress(Exception):  # already gone
            km.shutdown_kernel(now=True)
    if _server is not None:
        _server.close()
