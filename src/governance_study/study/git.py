"""The repository state a run saw: commit and whether the tree differs from it (``git`` subprocess).

One :class:`GitState` per run. Kept apart from :mod:`.provenance` and :mod:`.citation`, which both need it, so
that neither imports the other for it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from governance_study.paths import ProjectPaths


@dataclass(frozen=True)
class GitState:
    """The repository state a run saw. ``commit`` is None outside git or before the first commit.

    ``dirty`` is True when tracked or untracked files (outside ``reports/``) differ from the commit, None when
    the project is not under git at all (then nothing says which version of the files produced the report).
    """

    commit: str | None
    dirty: bool | None
    describe: str  # human wording for panels: "3f2a9c1 (uncommitted changes)", "not under version control"

    @property
    def short(self) -> str | None:
        return self.commit[:7] if self.commit else None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None  # git not installed, or hung: provenance says "unknown" rather than failing the run


def git_state(paths: ProjectPaths) -> GitState:
    """Commit and dirty flag of the repository holding the project (``git`` subprocess; no git: unknown)."""
    root = paths.root
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != "true":
        return GitState(None, None, "not under version control")
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    commit = head.stdout.strip() if head is not None and head.returncode == 0 and head.stdout.strip() else None
    # reports/ is generated (and ignored); exclude it anyway so a run never marks its own tree dirty
    try:
        reports = paths.reports.resolve().relative_to(root.resolve()).as_posix()
        pathspec = [".", f":(exclude){reports}"]
    except ValueError:
        pathspec = ["."]
    status = _git(root, "status", "--porcelain", "--", *pathspec)
    dirty = None if status is None or status.returncode != 0 else bool(status.stdout.strip())
    if commit is None:
        return GitState(None, True, "no commit yet (all files uncommitted)")
    words = commit[:7] + (" (uncommitted changes)" if dirty else "" if dirty is False else " (state unknown)")
    return GitState(commit, dirty, words)
