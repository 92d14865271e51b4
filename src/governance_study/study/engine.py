"""papermill's engine for kernels the run owns, and how a failing cell is named.

Grain: one engine registration per process; one cell description per failure.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any


def cell_description(source_nb_path: Path, exc: Any) -> str:
    """'cell 7 (`plots.forest(...)`)' for a PapermillExecutionError, numbered as in the stored notebook."""
    first_line = next((line for line in str(getattr(exc, "source", "")).splitlines() if line.strip()), "")
    number = None
    try:
        import nbformat

        stored = nbformat.read(str(source_nb_path), as_version=4)
        for index, cell in enumerate(stored.cells, start=1):
            if cell.cell_type == "code" and cell.source == getattr(exc, "source", None):
                number = index
                break
    except Exception:
        pass
    where = f"cell {number}" if number else f"cell {getattr(exc, 'cell_index', '?')} of the executed notebook"
    return f"{where} (`{first_line[:80]}`)" if first_line else where


ENGINE = "governance-study"
_engine_lock = threading.Lock()


def register_engine() -> str:
    """Register (once) papermill's nbclient engine, adapted to kernels that outlive a notebook.

    papermill's own engine leaves the client it opened on a kernel it does not own running (its zmq sockets
    and context leak, one per notebook); this one closes that client when the notebook is done. Execution,
    parameter injection and error handling are papermill's.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    with _engine_lock:
        if ENGINE in papermill_engines._engines:
            return ENGINE

        class KeptKernelEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(
                cls,
                nb_man,
                kernel_name,
                log_output=False,
                stdout_file=None,
                stderr_file=None,
                start_timeout=60,
                execution_timeout=None,
                **kwargs,
            ):
                kwargs = remove_args(["input_path"], **kwargs)
                safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
                final_kwargs = merge_kwargs(
                    safe_kwargs,
                    timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log=logger,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                )
                client = PapermillNotebookClient(nb_man, **final_kwargs)
                try:
                    return client.execute()
                except Exception as exc:
                    # a timeout or a dead kernel is no CellExecutionError: papermill neither names the cell nor
                    # saves the notebook. The cell that ran last is the one that stopped; hand both to the worker.
                    ran = [
                        c
                        for c in nb_man.nb.cells
                        if c.cell_type == "code" and c.get("metadata", {}).get("papermill", {}).get("status") != "pending"
                    ]
                    if ran:
                        exc.governance_cell_source = ran[-1].source
                    exc.governance_notebook = nb_man.nb  # papermill saves nothing here (no output path is set)
                    raise
                finally:
                    if getattr(client, "kc", None) is not None:
                        client.kc.stop_channels()

        papermill_engines.register(ENGINE, KeptKernelEngine)
    return ENGINE
