"""Whether the running Python environment is the one pinned in ``requirements.lock``.

Grain: one :class:`EnvironmentCheck` per lock file and process (cached): the lock's sha256 and, for every
package the lock names, whether the installed version equals the locked one. Packages installed but not in the
lock are not compared (a developer's extra tools do not change a report). Names are compared PEP 503
normalised (``jupyter_client`` = ``jupyter-client``). A missing lock file is a state to report, not an error:
an installed wheel has no lock beside it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

LOCK_NAME = "requirements.lock"

#: ``name==version`` at the start of a requirement line; hashes, continuations and comments follow or are skipped
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\#]*))?")


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-``, ``_``, ``.`` as one ``-``.

    >>> normalise("Jupyter_Client"), normalise("ruamel.yaml")
    ('jupyter-client', 'ruamel-yaml')
    """
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class EnvironmentCheck:
    """The running environment against one lock file; ``differences`` is empty when ``matches``."""

    lock_file: str
    found: bool
    sha256: str | None = None
    matches: bool = False
    differences: tuple[str, ...] = field(default_factory=tuple)
    locked_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lock_file": self.lock_file,
            "found": self.found,
            "sha256": self.sha256,
            "matches": self.matches,
            "differences": list(self.differences),
            "locked_count": self.locked_count,
        }


def _marker_applies(marker: str | None) -> bool:
    """A pin whose environment marker is false here (another platform) is not expected to be installed."""
    if not marker or not marker.strip():
        return True
    try:
        from packaging.markers import Marker
    except ImportError:  # packaging absent: compare the pin rather than guess
        return True
    return Marker(marker.strip()).evaluate()


def parse_lock(text: str) -> dict[str, str]:
    r"""Normalised name -> locked version of every pin in a pip requirements file (as written by ``uv pip compile``).

    >>> parse_lock("pandas==3.1.0 \\\n    --hash=sha256:ab\n    # via x\nJupyter_Client==8.10.0\n")
    {'pandas': '3.1.0', 'jupyter-client': '8.10.0'}
    """
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match and _marker_applies(match.group("marker")):
            pins[normalise(match.group("name"))] = match.group("version")
    return pins


def installed_versions() -> dict[str, str]:
    """Normalised name -> version of every distribution importable here; the first on ``sys.path`` wins, as for imports."""
    versions: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions.setdefault(normalise(name), dist.version)
    return versions


def _same_version(installed: str, locked: str) -> bool:
    if installed == locked:
        return True
    try:  # "1.0" and "1.0.0" are one version
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return False
    try:
        return Version(installed) == Version(locked)
    except InvalidVersion:
        return False


def compare(locked: dict[str, str], installed: dict[str, str]) -> list[str]:
    """One line per locked package whose installed version differs or that is missing, sorted by name.

    >>> compare({"pandas": "3.1.0", "x": "1.2", "numpy": "2.4.6"}, {"pandas": "3.1.1", "numpy": "2.4.6"})
    ['pandas 3.1.1 (locked 3.1.0)', 'x not installed (locked 1.2)']
    """
    differences = []
    for name in sorted(locked):
        have = installed.get(name)
        if have is None:
            differences.append(f"{name} not installed (locked {locked[name]})")
        elif not _same_version(have, locked[name]):
            differences.append(f"{name} {have} (locked {locked[name]})")
    return differences


@lru_cache(maxsize=8)
def _check(lock: str, mtime_ns: int, size: int) -> EnvironmentCheck:
    # keyed on mtime and size too: a lock rewritten by `make lock` in a long-lived process is read again
    path = Path(lock)
    data = path.read_bytes()
    locked = parse_lock(data.decode("utf-8"))
    differences = compare(locked, installed_versions())
    return EnvironmentCheck(
        lock_file=path.name,
        found=True,
        sha256=hashlib.sha256(data).hexdigest(),
        matches=not differences,
        differences=tuple(differences),
        locked_count=len(locked),
    )


def check_environment(lock: Path) -> EnvironmentCheck:
    """The running interpreter's packages against ``lock`` (e.g. ``<root>/requirements.lock``); cached per process."""
    try:
        stat = lock.stat()
    except FileNotFoundError:
        return EnvironmentCheck(lock_file=lock.name, found=False)
    return _check(str(lock.resolve()), stat.st_mtime_ns, stat.st_size)
