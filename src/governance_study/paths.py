"""Where the project's files live: the only module that knows directory names.

Every command works on the project that contains the current directory, found by walking up to the first
folder holding ``study.yaml`` or ``pyproject.toml``. Two clones in different folders therefore never touch
each other's data: nothing is resolved relative to the installed package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Files whose presence marks a project root (checked in this order, nearest folder first).
ROOT_MARKERS: tuple[str, ...] = ("study.yaml", "pyproject.toml")

#: Environment variable that overrides discovery (used by notebooks run from another working directory).
ROOT_ENV = "GOVERNANCE_STUDY_ROOT"
#: Environment variable that, set to "1", leaves the SVG and PDF files out of figure outputs: ``verify`` sets it
#: for its kernels, since it compares outputs and never their metadata, where those files travel.
NO_VECTORS_ENV = "GOVERNANCE_STUDY_NO_VECTOR_FIGURES"


class ProjectNotFoundError(FileNotFoundError):
    """No project root above the starting directory."""


def find_root(start: Path | str | None = None) -> Path:
    """Return the nearest folder at or above ``start`` that holds ``study.yaml`` or ``pyproject.toml``.

    ``$GOVERNANCE_STUDY_ROOT`` wins when set, so that a notebook kernel started elsewhere still finds its study.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "study.yaml").write_text("")
    ...     (Path(d) / "a" / "b").mkdir(parents=True)
    ...     find_root(Path(d) / "a" / "b") == Path(d).resolve()
    True
    """
    env = os.environ.get(ROOT_ENV)
    if env and start is None:
        return Path(env).resolve()
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).is_file() for marker in ROOT_MARKERS):
            return folder
    raise ProjectNotFoundError(
        f"no governance-study project at or above {here}: run the command inside a clone of the repository "
        f"(a folder holding one of {', '.join(ROOT_MARKERS)}), or set {ROOT_ENV}"
    )


@dataclass(frozen=True)
class ProjectPaths:
    """The directory layout of one project (docs/architecture.md, "Layout")."""

    root: Path

    @classmethod
    def discover(cls, start: Path | str | None = None) -> ProjectPaths:
        return cls(find_root(start))

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def sources_dir(self) -> Path:
        return self.raw / "sources"

    @property
    def manifest(self) -> Path:
        return self.raw / "sources.csv"

    @property
    def claims(self) -> Path:
        return self.raw / "claims.csv"

    @property
    def curation(self) -> Path:
        """Candidates marked as deliberately not curated (dates, economic figures, repeats)."""
        return self.raw / "not_curated.csv"

    @property
    def reference(self) -> Path:
        return self.raw / "reference"

    @property
    def districts(self) -> Path:
        return self.reference / "districts.csv"

    @property
    def indicators(self) -> Path:
        return self.reference / "indicators.csv"

    @property
    def channels(self) -> Path:
        return self.reference / "channels.csv"

    @property
    def derived(self) -> Path:
        return self.root / "data" / "derived"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def study_file(self) -> Path:
        return self.root / "study.yaml"

    @property
    def citation_file(self) -> Path:
        return self.root / "CITATION.cff"

    @property
    def cache_dir(self) -> Path:
        """Run cache (hashes of each report's inputs); lives beside the reports it describes."""
        return self.reports / ".cache"

    def source_text(self, source_id: str) -> Path:
        return self.sources_dir / f"{source_id}.txt"

    def derived_table(self, name: str) -> Path:
        return self.derived / f"{name}.csv"
