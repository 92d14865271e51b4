"""The corpus: the manifest (one row per article), the raw texts, their checksums, and cleaning.

Raw texts are never edited; their sha256 in ``data/raw/sources.csv`` proves it. Quotes are checked against
the raw text, byte for byte. Cleaning produces a readable text for people and for extraction, and records
every span it removed and why.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from governance_study.csvio import decode_utf8, read_text_table
from governance_study.errors import DataError, Problem, relative
from governance_study.paths import ProjectPaths

MANIFEST_COLUMNS = [
    "source_id",
    "title",
    "outlet",
    "district_code",
    "published",
    "latest_figure_date",
    "url",
    "accessed",
    "sha256",
    "notes",
]
SOURCE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MANIFEST = "data/raw/sources.csv"


def sha256_file(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_iso_date(text: str) -> date | None:
    """``date`` for a YYYY-MM-DD string, else ``None`` (no guessing of other formats)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def read_manifest(paths: ProjectPaths) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and check the manifest and every file it names; collect all problems.

    Checks: ids unique and readable, published/latest_figure_date/accessed are ISO dates (latest_figure_date, the
    last date a repost's figures can describe, not after published), each file exists, is non-empty UTF-8
    and has the recorded sha256; every file in ``data/raw/sources/`` has a manifest row.
    """
    frame, problems = read_text_table(paths.manifest, paths.root, MANIFEST_COLUMNS)
    if frame is None:
        return None, problems
    for _, row in frame.iterrows():
        sid, line = row["source_id"], row["_line"]

        def problem(message: str, fix: str, field_name: str, value: str) -> None:
            problems.append(Problem(MANIFEST, message, fix, row=line, record_id=sid, field=field_name, value=value))

        if not SOURCE_ID.fullmatch(sid):
            problem("source_id must be lowercase letters, digits and hyphens", "Use a readable id: outlet-district-date.", "source_id", sid)
        if parse_iso_date(row["published"]) is None:
            problem("not a date in YYYY-MM-DD form", "Write the publication date as e.g. 2021-09-28.", "published", row["published"])
        latest = row["latest_figure_date"]
        if latest and parse_iso_date(latest) is None:
            problem(
                "not a date in YYYY-MM-DD form",
                "Write the last date the figures can describe (e.g. the print issue's "
                "date, 2023-11-30), or leave it empty when that is the publication date.",
                "latest_figure_date",
                latest,
            )
        elif latest and parse_iso_date(row["published"]) and parse_iso_date(latest) > parse_iso_date(row["published"]):
            problem(
                f"latest_figure_date is after the publication date {row['published']}",
                "Figures cannot describe a date after the article appeared: correct either date.",
                "latest_figure_date",
                latest,
            )
        if row["accessed"] and parse_iso_date(row["accessed"]) is None:
            problem(
                "not a date in YYYY-MM-DD form", "Write the access date as e.g. 2026-11-23, or leave it empty.", "accessed", row["accessed"]
            )
        path = paths.source_text(sid)
        if not path.is_file():
            problem(f"no file {relative(path, paths.root)}", "Add the article text under that name or correct the id.", "source_id", sid)
            continue
        data = path.read_bytes()
        text, found = decode_utf8(data, relative(path, paths.root))
        problems += found
        if text is None:
            continue
        digest = sha256_file(data)
        if digest != row["sha256"]:
            problem(
                f"{relative(path, paths.root)} has sha256 {digest}, not the recorded one: the raw article changed after curation",
                "Raw texts are never edited: restore the file (git checkout -- FILE); if a new copy is intended, re-check "
                "its claims and record the new sha256.",
                "sha256",
                row["sha256"],
            )
    for duplicated in frame[frame["source_id"].duplicated()].itertuples():
        problems.append(
            Problem(
                MANIFEST,
                "duplicate source_id",
                "Keep one row per article.",
                row=duplicated._1,
                record_id=duplicated.source_id,
                field="source_id",
                value=duplicated.source_id,
            )
        )
    listed = set(frame["source_id"])
    if paths.sources_dir.is_dir():
        for path in sorted(paths.sources_dir.glob("*.txt")):
            if path.stem not in listed:
                problems.append(
                    Problem(
                        relative(path, paths.root),
                        "article has no row in data/raw/sources.csv",
                        "Add its row (title, outlet, published, url, sha256) to the manifest.",
                    )
                )
    return frame, problems


def read_texts(paths: ProjectPaths, source_ids) -> dict[str, str]:
    """Raw text of each readable source (sources that fail to decode are left out; the manifest check reports them)."""
    texts = {}
    for sid in source_ids:
        path = paths.source_text(sid)
        if path.is_file():
            text, problems = decode_utf8(path.read_bytes(), path.name)
            if text is not None:
                texts[sid] = text
    return texts


def load_manifest(paths: ProjectPaths | None = None) -> pd.DataFrame:
    """The checked manifest; raises :class:`DataError` listing every problem."""
    frame, problems = read_manifest(paths or ProjectPaths.discover())
    if problems:
        raise DataError(problems)
    return frame.drop(columns="_line")


# --- cleaning -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """One span removed by :func:`clean_text`: what kind of debris, the text, and why it is not content."""

    kind: str
    text: str
    reason: str


@dataclass(frozen=True)
class CleanText:
    text: str
    removed: list[Removal] = field(default_factory=list)


#: Spam injected into one page in place of names; the replaced words cannot be recovered.
SPAM = re.compile(r"mg老虎机游戏大厅:?")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

#: Whole lines that are page furniture, not article text: (kind, pattern, reason).
DEBRIS_LINES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (kind, re.compile(pattern), reason)
    for kind, pattern, reason in (
        ("image_id", r"\d{15,20}", "numeric id of an embedded image"),
        ("share", r"(点击右上角微信好友|朋友圈|点击浏览器下方.*分享.*|分享到:?|扫描二维码.*)", "social-share prompt"),
        ("captcha", r"(请进行滑动验证|调查问题加载中.*|若长时间无响应.*)", "captcha or survey widget text"),
        ("browser_notice", r"(IE版本小于10.*|阅读剩余全文.*)", "browser notice or paywall link"),
        (
            "navigation",
            r"(首页.*>.*|您所在位置:.*|图片|附件:|x|正在阅读:.*|文化人 天下事|最新发布)",
            "navigation, breadcrumb or widget label",
        ),
        (
            "footer",
            r"(.*版权所有.*|互联网新闻信息服务许可证.*|天津互联网违法和不良信息举报中心.*|\[免责声明\].*|\[ 责编:.*\])",
            "site footer, licence or disclaimer",
        ),
    )
)


def clean_text(raw: str) -> CleanText:
    """Turn a raw article into readable text and record every removed span.

    Removes: numeric image ids on their own line, share/captcha/browser/navigation widgets, site footers and
    disclaimers, unrendered template variables such as ``{webname}``, and the injected spam ``mg老虎机游戏大厅``
    (it stands where names were; they are not restored). Strips trailing and full-width padding and collapses
    runs of blank lines. Numbers in article text are never touched.

    >>> c = clean_text("{webname}\\n1625013802409024769\\n天津mg老虎机游戏大厅新闻办举行发布会。  \\n\\n\\n朋友圈\\n")
    >>> c.text
    '天津新闻办举行发布会。\\n'
    >>> sorted({r.kind for r in c.removed})
    ['image_id', 'placeholder', 'share', 'spam']
    """
    removed: list[Removal] = []
    kept: list[str] = []
    for line in raw.splitlines():
        for pattern, kind, reason in (
            (PLACEHOLDER, "placeholder", "unrendered template variable"),
            (SPAM, "spam", "injected spam text standing where names were"),
        ):
            for match in pattern.finditer(line):
                removed.append(Removal(kind, match.group(), reason))
            line = pattern.sub("", line)
        stripped = line.strip(" \t\u3000\u00a0")
        debris = next(((k, r) for k, p, r in DEBRIS_LINES if stripped and p.fullmatch(stripped)), None)
        if debris:
            removed.append(Removal(debris[0], stripped, debris[1]))
            continue
        if stripped or (kept and kept[-1]):
            kept.append(stripped)
    text = "\n".join(kept).strip("\n")
    return CleanText(text + "\n" if text else "", removed)
