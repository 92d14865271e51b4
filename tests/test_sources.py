"""The corpus: byte-for-byte copies, the manifest, and cleaning."""

from __future__ import annotations

import hashlib

import pytest

from _project import REPO, read_rows
from governance_study.paths import ProjectNotFoundError, ProjectPaths, find_root
from governance_study.verify.sources import clean_text, load_manifest

PATHS = ProjectPaths(REPO)


def test_manifest_hashes_match_files():
    _, rows = read_rows(REPO / "data/raw/sources.csv")
    assert len(rows) >= 5
    for row in rows:
        data = (REPO / "data/raw/sources" / f"{row['source_id']}.txt").read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]


def test_manifest_loads_clean():
    frame = load_manifest(PATHS)
    assert set(frame["district_code"]) >= {"120101", "120103", "120116", "120000"}


def test_cleaning_removes_debris_and_spam_only():
    raw = (REPO / "data/raw/sources/tjxwb-binhai-2021-09-28.txt").read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    assert "mg老虎机" not in cleaned.text and "{webname}" not in cleaned.text
    spam = [r for r in cleaned.removed if r.kind == "spam"]
    assert len(spam) == raw.count("mg老虎机游戏大厅")
    # every figure of the article survives cleaning
    assert "累计为6.3万余名群众办理10.5万余件需求事项" in cleaned.text
    assert "IE版本" not in cleaned.text


def test_cleaning_image_ids_and_footer():
    raw = (REPO / "data/raw/sources/tjrb-binhai-2021-06-30.txt").read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    ids = [r for r in cleaned.removed if r.kind == "image_id"]
    assert len(ids) == sum(1 for line in raw.splitlines() if line.strip().isdigit() and len(line.strip()) >= 15)
    assert "版权所有" not in cleaned.text
    assert "66255件" in cleaned.text


def test_cleaning_keeps_numbers_on_their_own_line():
    # a short number on its own line is content (a section number), not an image id
    assert clean_text("一\n2023\n").text == "一\n2023\n"


def test_find_root_walks_up(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a/b").mkdir(parents=True)
    assert find_root(tmp_path / "a/b") == tmp_path.resolve()


def test_find_root_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    with pytest.raises(ProjectNotFoundError, match="no governance-study project"):
        find_root(tmp_path)
