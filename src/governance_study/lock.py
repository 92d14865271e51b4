"""One writer at a time per project: ``run`` and ``build`` take the same lock on ``reports/.cache/run.lock``.

Grain: one advisory ``flock`` per command. Two builds at once would race on ``data/derived/``'s staging and
retired folders, and a build during a run would change the data under the notebooks; the second command is
refused with a message instead.
"""

from __future__ import annotations

from governance_study.paths import ProjectPaths


class ProjectBusyError(ValueError):
    """Another ``governance-study run`` or ``build`` holds the project's lock."""


class project_lock:  # noqa: N801 - used as ``with project_lock(paths, "build"):``
    """Hold the project's lock for the duration of a ``with`` block; :class:`ProjectBusyError` when it is taken."""

    def __init__(self, paths: ProjectPaths, command: str):
        self.path = paths.cache_dir / "run.lock"
        self.command = command
        self.handle = None

    def __enter__(self) -> project_lock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("w")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise ProjectBusyError(
                f"another `governance-study run` or `build` is using {self.path.parent.parent.parent}; wait for it to "
                f"finish, then run `governance-study {self.command}` again"
            ) from None
        return self

    def __exit__(self, *exc: object) -> bool:
        import fcntl

        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
        return False
