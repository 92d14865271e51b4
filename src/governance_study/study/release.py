"""Grain: one archive per version: ``dist/governance-study-<version>.zip``, byte-identical for one commit.

``governance-study release`` (``make release``) refuses, with one line naming what is wrong and what to do:

- a dirty git tree (``git status --porcelain`` not empty), or a project not under git: a release is a commit;
- a version that ``governance_study.__version__`` and CITATION.cff do not agree on, or that has no
  ``## <version>`` entry in CHANGELOG.md;
- reports that are not current: it runs the study first (an unchanged rerun takes a fraction of a second and
  rebuilds only what is stale; when it reran nothing, the index page of the run that made the reports is kept,
  since the index states its run's start time) and refuses when a report failed, ``reports/index.html`` is missing, or the run
  rewrote a committed file (then the commit did not hold the data the reports show).

The archive holds, under ``governance-study-<version>/``: ``data/derived/``, ``reports/`` (without
``.cache/`` and ``_failed/``), CITATION.cff, a ``.zenodo.json`` generated from it (:mod:`.zenodo`), LICENSE
(MIT, the code), LICENSE-DATA (CC-BY-4.0, the data and reports), README.md and ``SHA256SUMS`` (``sha256sum -c``
format) over every other file. Entries are sorted, stamped with the commit time and fixed permissions, so two
releases of one commit are the same bytes. The zip is written to a temporary file and renamed: a failed release
leaves ``dist/`` as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from governance_study.paths import ProjectPaths

#: Files of the project root the archive carries as they are (besides the generated .zenodo.json, SHA256SUMS).
ROOT_FILES: tuple[str, ...] = ("CITATION.cff", "LICENSE", "LICENSE-DATA", "README.md")
#: Folders of reports/ that are the runner's working state, not reports.
#: Not part of a release: the runner's cache and failed notebooks, and one-off variants (``governance-study
#: variant``), which are explorations beside the study, not the study (their files are under data/variants/).
REPORTS_EXCLUDED: tuple[str, ...] = (".cache", "_failed", "variants", "data/variants")
NAME = "governance-study"
CHECKSUMS = "SHA256SUMS"
_ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip entry can hold


class ReleaseRefused(ValueError):
    """A release the project is not ready for; the message is one line saying what is wrong and what to do.

    A ValueError, so that the command line ends with exit status 2 and no traceback.
    """


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ReleaseRefused(f"cannot run git ({exc}); a release is cut from a git commit: install git and run it in a clone") from None


def dirty_files(paths: ProjectPaths) -> list[str]:
    """The paths ``git status --porcelain`` lists (untracked included); ReleaseRefused outside a git work tree."""
    status = _git(paths.root, "status", "--porcelain", "-z", "--untracked-files=all")
    if status.returncode != 0:
        raise ReleaseRefused(
            f"{paths.root} is not a git work tree ({status.stderr.strip() or 'git status failed'}); a release is cut from a commit: "
            "run it in a clone of the repository"
        )
    # -z: names unquoted (Chinese file names stay readable); a rename's entry is followed by its old name
    entries, files = status.stdout.split("\0"), []
    while entries:
        entry = entries.pop(0)
        if len(entry) > 3:
            files.append(entry[3:])
            if entry[0] in "RC" and entries:
                entries.pop(0)
    return files


def refuse_dirty(paths: ProjectPaths, *, after_run: bool = False) -> None:
    """ReleaseRefused naming the first few changed files when the tree differs from its commit."""
    files = dirty_files(paths)
    if not files:
        return
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    if after_run:
        raise ReleaseRefused(
            f"running the study changed committed files ({shown}): the commit does not hold the data its reports show; "
            "review the changes, commit them and release again"
        )
    raise ReleaseRefused(f"the git tree has uncommitted changes ({shown}): commit or remove them, then release again")


def release_version(paths: ProjectPaths) -> str:
    """The version being released: ``governance_study.__version__``, which CITATION.cff must repeat."""
    from governance_study import __version__
    from governance_study.study.citation import load_citation

    cff_version = str(load_citation(paths).get("version", "")).strip()
    if cff_version != __version__:
        raise ReleaseRefused(
            f"{paths.citation_file}, field version: {cff_version or 'missing'!s} differs from governance_study.__version__ {__version__} "
            "(src/governance_study/__init__.py): make them agree (and date-released the release day)"
        )
    return __version__


def changelog_has(text: str, version: str) -> bool:
    """True when ``text`` has a heading ``## <version>``, ``## [<version>]`` or ``## <version> - <date>``.

    >>> changelog_has("# Changelog\\n\\n## [1.2.0] - 2025-01-02\\n", "1.2.0"), changelog_has("## 1.2.0\\n", "1.2")
    (True, False)
    """
    v = re.escape(version)
    return re.search(rf"^##[ \t]+(?:\[{v}\]|{v})(?:[ \t]+[-–][ \t]+\S.*)?[ \t]*$", text, flags=re.MULTILINE) is not None


def refuse_unlogged(paths: ProjectPaths, version: str) -> None:
    changelog = paths.root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    if not changelog_has(text, version):
        raise ReleaseRefused(
            f"{changelog.name} has no entry '## {version}' for version {version}: move the '## Unreleased' entries under "
            f"'## {version}' (or bump the version), commit, and release again"
        )


def refuse_stale_reports(paths: ProjectPaths, progress: Callable[[str], None]) -> None:
    """Run the study (it rebuilds only what is stale) and refuse unless every report is current."""
    from governance_study.study import run

    index = paths.reports / "index.html"
    before = index.read_bytes() if index.is_file() else None
    result = run(paths, progress=progress)
    if before is not None and not result.built and all(o.status == "unchanged" for o in result.outcomes):
        # a run that rebuilt nothing still rewrites the index with its own start time; keep the index of the run
        # that produced these reports, so that releasing one commit twice gives the same bytes
        tmp = index.with_name(f".{index.name}.release.tmp")
        tmp.write_bytes(before)
        os.replace(tmp, index)
    if result.failed:
        names = ", ".join(o.report.report_id for o in result.failed)
        raise ReleaseRefused(
            f"{len(result.failed)} report(s) failed ({names}; executed notebooks in {paths.reports / '_failed'}): "
            "fix them, run `governance-study run`, commit, and release again"
        )
    if not (paths.reports / "index.html").is_file():
        raise ReleaseRefused(f"{paths.reports / 'index.html'} is missing after the run: run `governance-study run` and release again")


def commit_time(paths: ProjectPaths) -> int:
    """Seconds since the epoch of HEAD's commit: the timestamp of every entry, so a rebuild is byte-identical."""
    out = _git(paths.root, "log", "-1", "--format=%ct", "HEAD")
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        raise ReleaseRefused(f"{paths.root} has no commit yet: commit the project, then release")
    return max(int(out.stdout.strip()), _ZIP_EPOCH)


def _files_below(folder: Path, excluded: tuple[str, ...] = ()) -> list[Path]:
    def kept(path: Path) -> bool:
        relative = path.relative_to(folder).as_posix()
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)  # a crashed write's staging folder
        return not any(relative == e or relative.startswith(e + "/") for e in excluded) and not hidden

    return sorted(p for p in folder.rglob("*") if p.is_file() and kept(p))


def archive_members(paths: ProjectPaths) -> dict[str, bytes]:
    """Archive path (relative to the top folder) -> bytes, SHA256SUMS included; reads the files once."""
    from governance_study.study.citation import load_citation
    from governance_study.study.zenodo import zenodo_json

    members: dict[str, bytes] = {}
    for name in ROOT_FILES:
        path = paths.root / name
        if not path.is_file():
            raise ReleaseRefused(f"{path} is missing: the release carries {', '.join(ROOT_FILES)}; restore it from git and commit")
        members[name] = path.read_bytes()
    members[".zenodo.json"] = zenodo_json(load_citation(paths)).encode("utf-8")
    if not (paths.derived / "datapackage.json").is_file():
        raise ReleaseRefused(f"{paths.derived / 'datapackage.json'} is missing: run `governance-study build`, commit, and release again")
    for folder, excluded in ((paths.derived, ()), (paths.reports, REPORTS_EXCLUDED)):
        for path in _files_below(folder, excluded):
            members[path.relative_to(paths.root).as_posix()] = path.read_bytes()
    # the checksums cover every other file; sorted, as `sha256sum` would list them
    members[CHECKSUMS] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(members.items())).encode("utf-8")
    return members


def write_zip(target: Path, top: str, members: dict[str, bytes], timestamp: int) -> None:
    """Write ``members`` under ``top/`` into ``target`` atomically; entries sorted, one timestamp, fixed modes."""
    stamp = time.gmtime(timestamp)[:6]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(f"{top}/{name}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, whatever the host: the same bytes on every machine
                info.external_attr = 0o100644 << 16
                archive.writestr(info, members[name], compresslevel=9)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def release(paths: ProjectPaths, progress: Callable[[str], None] | None = None) -> Path:
    """Check, run the study, and write ``dist/governance-study-<version>.zip``; returns its path.

    ReleaseRefused (before anything is written to ``dist/``) when the project is not ready.
    """
    say = progress or (lambda message: None)
    # cheap refusals first, so a mistake costs no run
    refuse_dirty(paths)
    version = release_version(paths)
    refuse_unlogged(paths, version)
    refuse_stale_reports(paths, say)
    refuse_dirty(paths, after_run=True)  # reports/ is ignored by git; data/derived/ is committed and must not change
    top = f"{NAME}-{version}"
    target = paths.root / "dist" / f"{top}.zip"
    write_zip(target, top, archive_members(paths), commit_time(paths))
    return target
