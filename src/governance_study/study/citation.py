"""How to cite the study and each report: built from CITATION.cff plus the version and the git commit.

A citation without a commit cannot say which figures were used, so every citation here names both: the
``version`` of CITATION.cff and the commit of the working tree (flagged when it had uncommitted changes).

>>> cff = {"title": "A study", "authors": [{"family-names": "Li", "given-names": "Wei"}, {"name": "Team X"}],
...        "version": "1.0.0", "date-released": "2025-02-03"}
>>> c = build_citation(cff, commit="0123456789abcdef", dirty=False)
>>> c.text
'Li, W., & Team X (2025). A study (Version 1.0.0, commit 0123456) [Data set].'
>>> "version = {1.0.0}" in c.bibtex and "{Team X}" in c.bibtex
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from governance_study.paths import ProjectPaths

_TYPES = {"dataset": "Data set", "software": "Computer software"}


@dataclass(frozen=True)
class Citation:
    """One citation in the two forms a report shows: plain text (APA-like) and BibTeX."""

    text: str
    bibtex: str
    key: str


def load_citation(paths: ProjectPaths | None = None, path: Path | None = None) -> dict[str, Any]:
    """CITATION.cff as a dict; FileNotFoundError with what to do when it is missing."""
    import yaml

    path = path or (paths or ProjectPaths.discover()).citation_file
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: the study needs a CITATION.cff (https://citation-file-format.github.io/)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"{path}{where}: {problem}. Fix the YAML (check indentation and quotes around values holding ':').") from None
    if not isinstance(data, dict) or not data.get("title"):
        raise ValueError(f"{path}: not a CITATION.cff with a title (expected YAML keys title, authors, version)")
    return data


def _person_text(author: dict[str, Any]) -> str:
    if author.get("family-names"):
        given = str(author.get("given-names", "")).split()
        initials = " ".join(f"{g[0]}." for g in given if g)
        name = f"{author.get('name-particle', '') + ' ' if author.get('name-particle') else ''}{author['family-names']}"
        return f"{name}, {initials}" if initials else name
    return str(author.get("name", "Anonymous"))


def _person_bibtex(author: dict[str, Any]) -> str:
    if author.get("family-names"):
        given = author.get("given-names", "")
        return f"{_bibtex_escape(author['family-names'])}, {_bibtex_escape(given)}" if given else _bibtex_escape(author["family-names"])
    return "{" + _bibtex_escape(str(author.get("name", "Anonymous"))) + "}"  # an entity: keep it one name


def _join_authors(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")


def _bibtex_escape(value: str) -> str:
    value = value.replace("\\", r"\textbackslash{}")
    value = _BIBTEX_SPECIAL.sub(r"\\\1", value)
    return value.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


def _year(cff: dict[str, Any]) -> str:
    released = cff.get("date-released")
    if isinstance(released, date):
        return str(released.year)
    if released and re.match(r"\d{4}", str(released)):
        return str(released)[:4]
    return str(date.today().year)


def _key(cff: dict[str, Any], year: str, suffix: str | None) -> str:
    first = (cff.get("authors") or [{}])[0]
    stem = first.get("family-names") or first.get("name") or "study"
    stem = re.sub(r"[^A-Za-z0-9]+", "_", str(stem)).strip("_").lower() or "study"
    version = re.sub(r"[^A-Za-z0-9]+", "_", str(cff.get("version", ""))).strip("_")
    parts = [stem, year] + ([f"v{version}"] if version else []) + ([re.sub(r"[^A-Za-z0-9]+", "_", suffix)] if suffix else [])
    return "_".join(parts)


def build_citation(
    cff: dict[str, Any],
    *,
    commit: str | None,
    dirty: bool | None,
    report_title: str | None = None,
    report_id: str | None = None,
    generated_at: str | None = None,
    content_sha256: str | None = None,
) -> Citation:
    """The citation of the study, or of one report of it when ``report_title`` is given; ``content_sha256``
    (:func:`content_digest` of the report's notebook) lets a reader check that a report is the one cited."""
    authors = cff.get("authors") or [{"name": "Anonymous"}]
    year = _year(cff)
    version = cff.get("version")
    title = str(cff["title"]).strip()
    kind = _TYPES.get(str(cff.get("type", "dataset")), "Data set")
    url = cff.get("url") or cff.get("repository-code") or cff.get("repository")
    doi = cff.get("doi")

    state = []
    if version:
        state.append(f"Version {version}")
    if commit:
        state.append(f"commit {commit[:7]}" + (", with uncommitted changes" if dirty else ""))
    else:
        state.append("no commit recorded")
    where = f" ({', '.join(state)})"
    tail = f" https://doi.org/{doi}" if doi else (f" {url}" if url else "")
    author_text = _join_authors([_person_text(a) for a in authors])
    if report_title:
        generated = f", generated {generated_at}" if generated_at else ""
        content = f", content sha256 {content_sha256[:16]}" if content_sha256 else ""
        text = f"{author_text} ({year}). {report_title} [Report{' ' + report_id if report_id else ''}{generated}{content}]. In {title}{where} [{kind}].{tail}"
    else:
        text = f"{author_text} ({year}). {title}{where} [{kind}].{tail}"

    note_parts = []
    if version:
        note_parts.append(f"Version {version}")
    note_parts.append(f"commit {commit}" + (" (uncommitted changes)" if dirty else "") if commit else "no commit recorded")
    if report_id:
        note_parts.append(f"report {report_id}")
    if generated_at:
        note_parts.append(f"generated {generated_at}")
    if content_sha256:
        note_parts.append(f"content sha256 {content_sha256}")
    fields: list[tuple[str, str]] = [
        ("author", " and ".join(_person_bibtex(a) for a in authors)),
        ("title", "{" + _bibtex_escape(report_title or title) + "}"),
    ]
    if report_title:
        fields.append(("booktitle", "{" + _bibtex_escape(title) + "}"))
    fields.append(("year", year))
    if version:
        fields.append(("version", _bibtex_escape(str(version))))
    fields.append(("note", _bibtex_escape("; ".join(note_parts))))
    if doi:
        fields.append(("doi", _bibtex_escape(str(doi))))
    if url:
        fields.append(("url", str(url)))
    key = _key(cff, year, report_id)
    bibtex = "@misc{" + key + ",\n" + ",\n".join(f"  {name} = {{{value}}}" for name, value in fields) + "\n}"
    return Citation(text=text, bibtex=bibtex, key=key)


def content_digest(nb) -> str:
    """sha256 of what a report shows: every cell's source and outputs (output metadata and timings left out), so
    two runs that show the same give the same digest (PNG bytes included: a reader can recompute it from the
    published notebook; ``verify`` compares outputs after its sanitizer and without PNG bytes, a looser check)."""
    import hashlib
    import json

    shown = [
        {
            "source": cell.get("source", ""),
            "outputs": [{k: v for k, v in out.items() if k not in ("metadata", "execution_count")} for out in cell.get("outputs", [])],
        }
        for cell in nb.cells
    ]
    return hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def study_citation(paths: ProjectPaths, git=None, **report: Any) -> Citation:
    """The citation for the project's current state (reads CITATION.cff and asks git for the commit)."""
    from governance_study.study.git import git_state

    git = git or git_state(paths)
    return build_citation(load_citation(paths), commit=git.commit, dirty=git.dirty, **report)


def citation_text(paths: ProjectPaths | None = None, style: str = "all") -> str:
    """What ``governance-study cite`` prints: ``text``, ``bibtex`` or ``all`` (both, with the CFF message)."""
    paths = paths or ProjectPaths.discover()
    cff = load_citation(paths)
    citation = study_citation(paths)
    if style == "text":
        return citation.text
    if style == "bibtex":
        return citation.bibtex
    if style != "all":
        raise ValueError(f"unknown citation style {style!r}: use text, bibtex or all")
    message = str(cff.get("message", "")).strip()
    return "\n\n".join(part for part in (message, citation.text, citation.bibtex) if part)
