"""What produced a report: study version, git state, run time, parameters, data hashes, software versions and
whether they are those of requirements.lock.

One :class:`Provenance` per report (and one for the index page). Everything here is cheap to compute (a few
``git`` calls, hashing a few small files, reading package metadata) because an unchanged rerun of the study
must take about a second.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from governance_study import __version__
from governance_study.paths import ProjectPaths
from governance_study.study.environment import LOCK_NAME, check_environment
from governance_study.study.git import GitState, git_state  # noqa: F401 - re-exported: provenance records it

#: Packages whose versions can change a report's numbers or its HTML; recorded in every report and part of
#: every cache key (a new pandas or statsmodels reruns the study).
KEY_PACKAGES: tuple[str, ...] = (
    "governance-study",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pandera",
    "cn2an",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jinja2",
    "pyyaml",
)


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str | None]:
    """Python and :data:`KEY_PACKAGES` versions from installed metadata (None when not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = __version__ if name == "governance-study" else None
    return versions


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def derived_hashes(paths: ProjectPaths) -> dict[str, str]:
    """sha256 of every file in ``data/derived/`` (name -> hex digest), sorted by name."""
    if not paths.derived.is_dir():
        return {}
    return {p.name: sha256_file(p) for p in sorted(paths.derived.iterdir()) if p.is_file() and not p.name.startswith(".")}


def combined_digest(hashes: dict[str, str]) -> str:
    """One sha256 over a name -> digest mapping (order-independent), to name a whole folder in one line."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Provenance:
    """Everything a reader needs to know what produced one report. Serialisable with :meth:`to_dict`."""

    study_version: str
    library_version: str
    git: GitState
    started_at: str
    parameters: dict[str, Any] = field(default_factory=dict)
    derived_sha256: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)
    notebook: str | None = None
    notebook_sha256: str | None = None
    duration_s: float | None = None
    cache_key: str | None = None
    #: the running packages against requirements.lock (study.environment.EnvironmentCheck.to_dict)
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def derived_digest(self) -> str:
        return combined_digest(self.derived_sha256)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["derived_digest"] = self.derived_digest
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        data = {k: v for k, v in data.items() if k != "derived_digest"}
        data["git"] = GitState(**data["git"])
        return cls(**data)


def study_version(paths: ProjectPaths) -> str:
    """The study's version: ``version`` of CITATION.cff (the dataset), else the library's version."""
    from governance_study.study.citation import load_citation

    try:
        return str(load_citation(paths).get("version") or __version__)
    except FileNotFoundError:
        return __version__


def collect(
    paths: ProjectPaths,
    *,
    parameters: dict[str, Any] | None = None,
    notebook: Path | None = None,
    git: GitState | None = None,
    derived: dict[str, str] | None = None,
    started_at: str | None = None,
) -> Provenance:
    """Provenance of a run starting now; pass ``git``/``derived`` when already computed for the whole run."""
    nb_rel = None
    nb_hash = None
    if notebook is not None:
        try:
            nb_rel = notebook.resolve().relative_to(paths.root.resolve()).as_posix()
        except ValueError:
            nb_rel = str(notebook)
        nb_hash = sha256_file(notebook)
    return Provenance(
        study_version=study_version(paths),
        library_version=__version__,
        git=git if git is not None else git_state(paths),
        started_at=started_at or now_utc(),
        parameters=dict(parameters or {}),
        derived_sha256=derived if derived is not None else derived_hashes(paths),
        versions=package_versions(),
        notebook=nb_rel,
        notebook_sha256=nb_hash,
        environment=check_environment(paths.root / LOCK_NAME).to_dict(),
    )


def python_description() -> str:
    return f"Python {platform.python_version()} ({sys.implementation.name}, {platform.system()} {platform.machine()})"
