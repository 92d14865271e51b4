"""Bad raw input: each case feeds one defect to the CLI and checks the message and that nothing changed."""

from __future__ import annotations

import pytest

from _project import add_claim, add_source, copy_project, edit_claim, read_rows, refused, write_rows
from governance_study.cli import main

ARTICLE = "测试街道受理群众诉求120件,办结96件,办结率达80%。网格员上报事项50件。志愿服务超过3000人次。\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = copy_project(tmp_path)
    add_source(root, "test-heping-2024-05-01", ARTICLE)
    base = dict(source_id="test-heping-2024-05-01", group_id="test24-street", period_start="2024-01-01")
    add_claim(
        root,
        claim_id="test24-received",
        quote="受理群众诉求120件",
        value_text="120件",
        value="120",
        unit="件",
        indicator="requests_received",
        **base,
    )
    add_claim(
        root, claim_id="test24-closed", quote="办结96件", value_text="96件", value="96", unit="件", indicator="requests_closed", **base
    )
    add_claim(root, claim_id="test24-rate", quote="办结率达80%", value_text="80%", value="80", unit="%", indicator="closure_rate", **base)
    monkeypatch.chdir(root)
    return root


def run(*args: str) -> int:
    return main(list(args))


def test_fixture_is_valid(project, capsys):
    assert run("check") == 0
    assert "ok: raw data valid" in capsys.readouterr().out


def test_quote_not_in_source(project, capsys):
    edit_claim(project, "test24-closed", quote="办结97件", value_text="97件", value="97")
    err = refused(
        project,
        capsys,
        "data/raw/claims.csv, line",
        "test24-closed",
        "quote = '办结97件'",
        "does not occur in data/raw/sources/test-heping-2024-05-01.txt",
    )
    assert "Copy the quote verbatim" in err


def test_value_does_not_match_quote(project, capsys):
    edit_claim(project, "test24-received", value="1200")
    refused(project, capsys, "test24-received", "value = '1200'", "which gives 120")


def test_bound_does_not_match_qualifier(project, capsys):
    add_claim(
        project,
        claim_id="test24-volunteers",
        source_id="test-heping-2024-05-01",
        quote="志愿服务超过3000人次",
        value_text="超过3000人次",
        value="3000",
        unit="人次",
        bound="exact",
        indicator="volunteer_participations",
        channel="volunteering",
    )
    refused(project, capsys, "test24-volunteers", "bound = 'exact'", "more_than")


@pytest.mark.parametrize("field,value", [("district_code", "120199"), ("indicator", "happiness"), ("channel", "telepathy")])
def test_unknown_reference(project, capsys, field, value):
    edit_claim(project, "test24-received", **{field: value})
    refused(project, capsys, "test24-received", f"{field} = '{value}'", f"unknown {field}", "data/raw/")


def test_rate_above_100(project, capsys):
    add_source(project, "test-hexi-2024-05-02", "办结率达108.3%。\n")
    add_claim(
        project,
        claim_id="test24-bad-rate",
        source_id="test-hexi-2024-05-02",
        quote="办结率达108.3%",
        value_text="108.3%",
        value="108.3",
        unit="%",
        indicator="closure_rate",
    )
    refused(project, capsys, "test24-bad-rate", "value = '108.3'", "within 0..100")


def test_closed_above_received(project, capsys):
    add_source(project, "test-hexi-2024-05-03", "上报事项50件,办结60件。\n")
    base = dict(source_id="test-hexi-2024-05-03", group_id="test24-grid")
    add_claim(
        project,
        claim_id="test24-grid-received",
        quote="上报事项50件",
        value_text="50件",
        value="50",
        unit="件",
        indicator="requests_received",
        **base,
    )
    add_claim(
        project,
        claim_id="test24-grid-closed",
        quote="办结60件",
        value_text="60件",
        value="60",
        unit="件",
        indicator="requests_closed",
        **base,
    )
    refused(project, capsys, "test24-grid-closed", "closed (60) exceeds received (50", "test24-grid")


def test_duplicate_claim_id(project, capsys):
    add_claim(
        project,
        claim_id="test24-closed",
        source_id="test-heping-2024-05-01",
        quote="办结96件",
        value_text="96件",
        value="96",
        unit="件",
        indicator="requests_closed",
    )
    refused(project, capsys, "test24-closed", "duplicate claim_id (first on line")


@pytest.mark.parametrize("value", ["2024/01/01", "2024-13-01", "yesterday"])
def test_malformed_date(project, capsys, value):
    edit_claim(project, "test24-closed", period_start=value)
    refused(project, capsys, "test24-closed", f"period_start = '{value}'", "YYYY-MM-DD")


def test_source_edited_after_curation(project, capsys):
    path = project / "data/raw/sources/test-heping-2024-05-01.txt"
    path.write_text(ARTICLE + "补充一句。\n", encoding="utf-8")
    refused(project, capsys, "data/raw/sources.csv, line", "test-heping-2024-05-01", "changed after curation", "restore the file")


def test_source_not_utf8(project, capsys):
    path = project / "data/raw/sources/test-heping-2024-05-01.txt"
    data = ARTICLE.encode("gb18030")
    path.write_bytes(data)
    fields, rows = read_rows(project / "data/raw/sources.csv")
    import hashlib

    rows[-1]["sha256"] = hashlib.sha256(data).hexdigest()
    write_rows(project / "data/raw/sources.csv", fields, rows)
    refused(project, capsys, "test-heping-2024-05-01.txt", "not UTF-8", "iconv -f GB18030 -t UTF-8")


def test_empty_source(project, capsys):
    (project / "data/raw/sources/test-heping-2024-05-01.txt").write_bytes(b"")
    refused(project, capsys, "test-heping-2024-05-01.txt", "the file is empty")


def test_empty_claims_file(project, capsys):
    (project / "data/raw/claims.csv").write_bytes(b"")
    refused(project, capsys, "data/raw/claims.csv", "the file is empty")


def test_missing_column(project, capsys):
    fields, rows = read_rows(project / "data/raw/claims.csv")
    fields.remove("bound")
    for row in rows:
        row.pop("bound")
    write_rows(project / "data/raw/claims.csv", fields, rows)
    refused(project, capsys, "data/raw/claims.csv, line 1", "missing column(s) bound", "Add the column")


def test_every_problem_is_reported(project, capsys):
    edit_claim(project, "test24-received", indicator="happiness")
    edit_claim(project, "test24-rate", district_code="999999")
    err = refused(project, capsys, "2 problems", "happiness", "999999")
    assert err.count("\n  - ") == 2


def test_stale_not_curated_mark_fails_check(project, capsys):
    fields, rows = read_rows(project / "data/raw/not_curated.csv")
    rows[0]["start"] = str(int(rows[0]["start"]) + 1)
    write_rows(project / "data/raw/not_curated.csv", fields, rows)
    assert run("check") == 1
    err = capsys.readouterr().err
    assert "data/raw/not_curated.csv, line 2" in err and "Traceback" not in err


def test_line_numbers_count_blank_lines_and_multi_line_fields(project, capsys):
    """A blank line and a note spanning two lines before the bad row: the message names the line an editor shows."""
    path = project / "data/raw/claims.csv"
    text = path.read_text(encoding="utf-8")
    columns, rows = read_rows(path)
    header, *records = text.splitlines(keepends=True)
    # a blank line after the header, and a note with a line break in the first record
    first = records[0].rstrip("\n").rsplit(",", 1)[0] + ',"first line\nsecond line"\n'
    bad = records[-1].replace("办结率达80%,80%,80,", "办结率达80%,80%,81,")
    assert bad != records[-1]
    path.write_text(header + "\n" + first + "".join(records[1:-1]) + bad, encoding="utf-8")
    # header (1), blank (2), first record on lines 3-4, then one line per record: the last is on this line
    expected = 1 + 1 + 2 + (len(records) - 2) + 1
    assert len(path.read_text(encoding="utf-8").splitlines()) == expected
    refused(project, capsys, f"data/raw/claims.csv, line {expected}: test24-rate: value = '81'")


def test_unwritable_data_folder_is_one_line(project, capsys):
    """data/ read-only: build ends with one line naming the folder and what to do, exit status 2, no traceback."""
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes through file modes; the message path is exercised below with a simulated error")
    (project / "data").chmod(0o555)
    try:
        assert run("build") == 2
    finally:
        (project / "data").chmod(0o755)
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_permission_and_interrupt_messages(project, capsys, monkeypatch):
    """The CLI turns a PermissionError and a Ctrl-C into one line each (exit 2 and 130), never a traceback."""
    from governance_study.derived import build as build_module

    def denied(*_, **__):
        raise PermissionError(13, "Permission denied", str(project / "data/derived"))

    monkeypatch.setattr(build_module, "build_derived", denied)
    assert run("build") == 2
    err = capsys.readouterr().err
    assert f"governance-study build: cannot write {project / 'data/derived'} (Permission denied)" in err
    assert "Traceback" not in err

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "build_derived", interrupted)
    assert run("build") == 130
    assert "governance-study build: interrupted; the files written before stay as they were" in capsys.readouterr().err
