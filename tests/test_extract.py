"""`governance-study extract` and `coverage`: output, offsets, recall on the seeds, curation marks, encodings.

Golden values: spans of curated claims are recomputed here independently (str.find on the raw text), not with
the library's own span code.
"""

from __future__ import annotations

import csv
import io
import shutil
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _project import REPO, copy_project, read_rows, write_rows
from governance_study.cli import main
from governance_study.curate.candidates import COLUMNS, ScanContext, Scanner
from governance_study.curate.extract import _csv_rows, _results, load_context, run_extract
from governance_study.curate.marks import REASON_CODES
from governance_study.paths import ProjectPaths
from governance_study.text.numerals import find_numbers

SOURCES = REPO / "data/raw/sources"
SCANNER = Scanner(ScanContext())
ARTICLE = "和平区网格员上报诉求821件,受理率达100%,办结率94.6%。\n"


def parse_csv(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == COLUMNS
    return list(reader)


@pytest.fixture
def in_repo(monkeypatch):
    """Run commands on the repository itself (read-only commands only)."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    return ProjectPaths(REPO)


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GOVERNANCE_STUDY_ROOT", raising=False)
    return ProjectPaths(root)


@pytest.fixture(scope="module")
def seed_rows() -> list[dict[str, str]]:
    out = io.StringIO()
    assert run_extract(ProjectPaths(REPO), [str(SOURCES)], fmt="csv", out=out) == 0
    return parse_csv(out.getvalue())


# ------------------------------------------------------------------------------------------------------------
# extract on the seed corpus


def test_every_number_expression_is_a_candidate_with_its_offsets(seed_rows):
    for path in sorted(SOURCES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        rows = [r for r in seed_rows if r["source_id"] == path.stem]
        assert [(r["text"], int(r["start"])) for r in rows] == [(e.text, e.start) for e in find_numbers(text)]
        for r in rows:
            start, end = int(r["start"]), int(r["end"])
            assert text[start:end] == r["text"]
            assert r["text"] in r["clause"] and r["clause"] in r["sentence"] and r["sentence"] in text


def test_recall_every_curated_claim_is_found_at_its_span(seed_rows):
    """Each claim: a candidate exactly where value_text sits in the quote's first occurrence, same value and bound."""
    _, claims = read_rows(REPO / "data/raw/claims.csv")
    by_span = {(r["source_id"], int(r["start"]), int(r["end"])): r for r in seed_rows}
    texts = {p.stem: p.read_text(encoding="utf-8") for p in SOURCES.glob("*.txt")}
    assert len(claims) >= 73  # the seed corpus holds 73 curated claims
    for claim in claims:
        text = texts[claim["source_id"]]
        start = text.find(claim["quote"]) + claim["quote"].find(claim["value_text"])
        row = by_span.get((claim["source_id"], start, start + len(claim["value_text"])))
        assert row is not None, f"{claim['claim_id']}: no candidate at {start}"
        assert Decimal(row["value"]) == Decimal(claim["value"]), claim["claim_id"]
        assert row["bound"] == claim["bound"], claim["claim_id"]
        assert claim["claim_id"] in row["curated"].split(";") and row["status"] == "curated"


def test_district_guesses(seed_rows):
    rows = {(r["source_id"], r["text"], r["start"]): r for r in seed_rows}
    relocated = next(r for r in seed_rows if r["text"] == "2.3万人")
    assert (relocated["district_code"], relocated["district_basis"]) == ("120118", "sentence 静海区")
    grid_workers = next(r for r in seed_rows if r["text"] == "5600余人")
    assert grid_workers["district_code"] == "120110"  # 东丽区, in the city-wide article
    heping = [r for r in seed_rows if r["source_id"] == "tjxfw-heping-2023-12-16" and r["status"] == "curated"]
    assert {r["district_code"] for r in heping} == {"120101"}
    assert rows  # guesses say where they come from
    assert all(r["district_basis"].startswith(("sentence ", "article ")) for r in seed_rows if r["district_code"])


def test_indicator_guesses_for_counts_and_rates_only(seed_rows):
    guessed = {r["text"]: r["indicator"] for r in seed_rows if r["source_id"] == "tjxfw-heping-2023-12-16"}
    assert guessed["89.9%"] == "closure_rate" and guessed["591件"] == "requests_closed"
    assert guessed["864名"] == "grid_workers" and guessed["99.75%"] == "satisfaction_rate"
    assert all(not r["indicator"] for r in seed_rows if r["kind"] not in ("count", "rate"))


def test_cli_csv_and_table(in_repo, capsys):
    path = "data/raw/sources/tjxfw-heping-2023-12-16.txt"
    assert main(["extract", path, "--format", "csv"]) == 0
    rows = parse_csv(capsys.readouterr().out)
    assert len(rows) == len(list(find_numbers((REPO / path).read_text(encoding="utf-8"))))
    assert main(["extract", path]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["start", "kind", "status", "text", "value", "bound", "district", "indicator", "clause"]
    assert "1795   count      curated" in table and "marked:economic" in table
    assert "99 candidates: 29 curated, 6 marked not curated, 64 not proposed (kind), 0 to decide" in table


def test_jobs_two_gives_the_same_output_in_the_same_order(in_repo, capsys, seed_rows):
    assert main(["extract", "data/raw/sources", "--format", "csv", "--jobs", "2"]) == 0
    assert parse_csv(capsys.readouterr().out) == seed_rows


def test_stopping_early_with_jobs_does_not_hang(tmp_path):
    """A reader that goes away (`extract ... | head`) stops the pool even while the feeder waits at its gate."""
    for i in range(80):  # more files than the in-flight limit of two workers
        (tmp_path / f"a{i:02d}.txt").write_text(ARTICLE, encoding="utf-8")
    context, _ = load_context(ProjectPaths(REPO))
    results = _results(sorted(tmp_path.glob("*.txt")), context, "csv", 2)
    assert next(results).statuses["to_decide"] == 3
    started = time.perf_counter()
    results.close()
    assert time.perf_counter() - started < 10


def test_missing_path_is_a_clear_error(in_repo, capsys):
    assert main(["extract", "no/such/article.txt"]) == 2
    assert "no/such/article.txt: no such file or folder" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------------------
# encodings


def test_gb18030_file_is_decoded_with_a_note(tmp_path, in_repo, capsys):
    (tmp_path / "utf8.txt").write_bytes(ARTICLE.encode("utf-8"))
    (tmp_path / "gbk.txt").write_bytes(ARTICLE.encode("gbk"))
    assert main(["extract", str(tmp_path / "utf8.txt"), "--format", "csv"]) == 0
    expected = [(r["text"], r["start"], r["value"]) for r in parse_csv(capsys.readouterr().out)]
    assert main(["extract", str(tmp_path / "gbk.txt"), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert [(r["text"], r["start"], r["value"]) for r in parse_csv(out)] == expected
    assert "decoded as GB18030" in err and f"iconv -f GB18030 -t UTF-8 {tmp_path / 'gbk.txt'}" in err


def test_declared_charset_is_honoured(tmp_path, in_repo, capsys):
    (tmp_path / "page.txt").write_bytes(b'<meta charset="gb2312">\n' + ARTICLE.encode("gb2312"))
    assert main(["extract", str(tmp_path / "page.txt"), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert [r["text"] for r in parse_csv(out)] == ["821件", "100%", "94.6%"]  # "gb2312" is glued to letters
    assert "declared gb2312" in err


def test_undecodable_file_is_reported_and_the_others_processed(tmp_path, in_repo, capsys):
    (tmp_path / "a-bad.txt").write_bytes(b"Caf\xe9 cr\xe8me 12 \xff\xfe")
    (tmp_path / "b-good.txt").write_bytes(ARTICLE.encode("utf-8"))
    assert main(["extract", str(tmp_path), "--format", "csv"]) == 1
    out, err = capsys.readouterr()
    assert {r["source_id"] for r in parse_csv(out)} == {"b-good"}
    assert f"{tmp_path / 'a-bad.txt'}: not UTF-8 (invalid byte sequence e9 20 63 72 at byte 3, line 1)" in err
    assert "iconv -f ENCODING -t UTF-8" in err


def test_bom_is_not_counted_in_offsets(tmp_path, in_repo, capsys):
    (tmp_path / "bom.txt").write_bytes("\ufeff".encode("utf-8") + ARTICLE.encode("utf-8"))
    assert main(["extract", str(tmp_path / "bom.txt"), "--format", "csv"]) == 0
    for r in parse_csv(capsys.readouterr().out):
        assert ARTICLE[int(r["start"]) : int(r["end"])] == r["text"]


# ------------------------------------------------------------------------------------------------------------
# coverage and the not-curated marks


def test_coverage_on_the_seeds_leaves_nothing_to_decide(in_repo, capsys):
    assert main(["coverage", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5
    for row in rows:
        assert row["to_decide_count"] == "0", row
        parts = sum(int(row[c]) for c in ("curated_count", "marked_count", "not_proposed_count", "to_decide_count"))
        assert parts == int(row["found_count"])
    assert sum(int(r["curated_count"]) for r in rows) == len(read_rows(REPO / "data/raw/claims.csv")[1])
    assert main(["coverage"]) == 0
    assert "nothing left to decide." in capsys.readouterr().out


def test_not_curated_file_is_well_formed():
    fields, rows = read_rows(REPO / "data/raw/not_curated.csv")
    assert fields == ["source_id", "start", "text", "reason_code", "reason"]
    texts = {p.stem: p.read_text(encoding="utf-8") for p in SOURCES.glob("*.txt")}
    for row in rows:
        assert row["reason_code"] in REASON_CODES and row["reason"]
        start = int(row["start"])
        assert texts[row["source_id"]][start : start + len(row["text"])] == row["text"]


def _edit_mark(root: Path, index: int, **fields: str) -> int:
    """Change row ``index`` of not_curated.csv; return its spreadsheet line number."""
    columns, rows = read_rows(root / "data/raw/not_curated.csv")
    rows[index].update(fields)
    write_rows(root / "data/raw/not_curated.csv", columns, rows)
    return index + 2


def test_stale_mark_is_reported_with_file_line_field_and_fix(project, capsys):
    _, rows = read_rows(project.curation)
    line = _edit_mark(project.root, 0, start=str(int(rows[0]["start"]) + 1))
    assert main(["coverage"]) == 1
    out, err = capsys.readouterr()
    assert "1 figure(s) left to decide" in out
    assert f"data/raw/not_curated.csv, line {line}: {rows[0]['source_id']}: text = {rows[0]['text']!r}: stale mark" in err
    assert "governance-study extract data/raw/sources/" in err and "correct start and text, or delete the row" in err


def test_mark_on_a_curated_figure_and_bad_reason_are_reported(project, capsys):
    columns, rows = read_rows(project.curation)
    rows.append({"source_id": "tjxfw-heping-2023-12-16", "start": "1795", "text": "591件", "reason_code": "economic", "reason": "x"})
    rows[0]["reason_code"] = "boring"
    write_rows(project.curation, columns, rows)
    assert main(["coverage"]) == 1
    err = capsys.readouterr().err
    assert "curated (claim heping23-mediation-closed) and also marked as not curated" in err
    assert "line 2: gmrb-hexi-2021-03-19: reason_code = 'boring': unknown reason_code" in err


def test_mark_that_splits_an_expression_or_repeats_a_row_is_reported(project, capsys):
    columns, rows = read_rows(project.curation)
    hexi = next(r for r in rows if r["text"] == "约260万人")
    hexi["text"] = "约260万"  # still what the article holds at start, but not the whole expression
    rows.append(dict(rows[-1]))
    write_rows(project.curation, columns, rows)
    assert main(["coverage"]) == 1
    err = capsys.readouterr().err
    assert "stale mark: extract reads '约260万人' there, not '约260万' as one expression" in err
    assert (
        f"line {len(rows) + 1}: tjzww-tianjin-2024-01-23: start = '{rows[-1]['start']}': duplicate mark (first on line {len(rows)})" in err
    )
    assert main(["extract", "data/raw/sources/gmrb-hexi-2021-03-19.txt", "--format", "csv"]) == 0
    assert "note: data/raw/sources/gmrb-hexi-2021-03-19.txt: data/raw/not_curated.csv, line 2" in capsys.readouterr().err


def test_without_marks_the_figures_are_left_to_decide(project, capsys):
    project.curation.unlink()
    assert main(["coverage", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sum(int(r["to_decide_count"]) for r in rows) == len(read_rows(REPO / "data/raw/not_curated.csv")[1])
    assert main(["extract", "data/raw/sources/tjzww-tianjin-2024-01-23.txt"]) == 0
    assert "TO DECIDE" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------------------
# properties


SAFE = "社区网格党员群众服务工作街道理事会志愿者的和在对中,。、"
QUALIFIERS = {"": "exact", "超过": "more_than", "逾": "more_than", "约": "approx", "近": "approx"}
UNITS = ["件", "名", "人次", "个", "户", ""]


@st.composite
def written_numbers(draw):
    """(expression, value, bound): an Arabic number written out with qualifier, multiplier, 余, unit, 以上."""
    integer = draw(st.integers(1, 99_999))
    places = draw(st.integers(0, 2))
    fraction = draw(st.integers(0, 10**places - 1)) if places else 0
    number = f"{integer}.{fraction:0{places}d}" if places else str(integer)
    mult = draw(st.sampled_from(["", "万", "亿"]))
    value = Decimal(number) * {"": 1, "万": 10**4, "亿": 10**8}[mult]
    qualifier = draw(st.sampled_from(sorted(QUALIFIERS)))
    bounds = {QUALIFIERS[qualifier]}
    yu = draw(st.booleans()) and (mult or not places)  # 余 follows an integer or a multiplier
    unit = draw(st.sampled_from(UNITS))
    tail = draw(st.sampled_from(["", "以上"])) if unit else ""
    if yu or tail:
        bounds.add("at_least")
    bound = next(b for b in ("approx", "more_than", "at_least", "exact") if b in bounds)
    return f"{qualifier}{number}{mult}{'余' if yu else ''}{unit}{tail}", value, bound


@settings(max_examples=150, deadline=None)
@given(before=st.text(alphabet=SAFE, max_size=12), written=written_numbers(), after=st.text(alphabet=SAFE, max_size=12))
def test_a_number_written_out_is_found_and_parsed_back(before, written, after):
    expression, value, bound = written
    text = before + expression + after
    found = [c for c in SCANNER.scan("p", text).candidates if c.start == len(before)]
    assert len(found) == 1
    c = found[0]
    assert (c.text, c.end, Decimal(c.value), c.bound) == (expression, len(before) + len(expression), value, bound)


NOISY = "0123456789.,，%％万亿千百十一二两三四五六七八九零第是余多约超过以上左右年月日个名件人次“”(),。:\n-元亩级号 社区"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=NOISY, max_size=60))
def test_offsets_always_point_at_the_text(text):
    for c in SCANNER.scan("p", text).candidates:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.text
        assert c.text in c.clause and c.clause in c.sentence and c.sentence in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=NOISY + "\r\ufeff", max_size=40))
def test_offsets_in_files_point_at_the_decoded_text(text, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prop")
    (folder / "a.txt").write_bytes(text.encode("utf-8"))
    out = io.StringIO()
    assert run_extract(ProjectPaths(REPO), [str(folder / "a.txt")], fmt="csv", out=out) == 0
    decoded = text[1:] if text.startswith("\ufeff") else text
    for r in parse_csv(out.getvalue()):
        assert decoded[int(r["start"]) : int(r["end"])] == r["text"]
    shutil.rmtree(folder)


# ------------------------------------------------------------------------------------------------------------
# extract's own CSV writer gives csv.writer's bytes


def csv_writer_rows(candidates) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(candidates)
    return out.getvalue()


def test_csv_rows_are_csv_writer_rows_on_the_seeds():
    scanner = Scanner(load_context(ProjectPaths(REPO))[0])
    for path in sorted(SOURCES.glob("*.txt")):
        candidates = scanner.scan(path.stem, path.read_text(encoding="utf-8")).candidates
        assert _csv_rows(candidates) == csv_writer_rows(candidates), path.name


HOSTILE_CELLS = st.text(alphabet=',"\n\r ab受理“”\t', max_size=8)


@settings(max_examples=200, deadline=None)
@given(cells=st.lists(HOSTILE_CELLS, min_size=10, max_size=10), shared_sentence=st.booleans())
def test_csv_rows_quote_as_csv_writer_does(cells, shared_sentence):
    # every free-text column (source, text, sentence, districts, indicators, claims, marks, clause) gets commas,
    # quotes, line breaks and carriage returns; the closed-vocabulary columns keep values of the code
    base = SCANNER.scan("p", ARTICLE).candidates[0]
    free = [
        "source_id",
        "text",
        "sentence",
        "district_code",
        "indicator",
        "curated",
        "mark_reason",
        "clause",
        "district_basis",
        "indicator_basis",
    ]
    first = base._replace(**dict(zip(free, cells)))
    second = first._replace(start=first.start + 1, sentence=first.sentence if shared_sentence else cells[0])
    assert _csv_rows([first, second]) == csv_writer_rows([first, second])


def test_closed_vocabulary_columns_never_need_quotes():
    # _csv_rows writes value, bound, unit, kind and status as they are: none may hold a comma, quote or line break
    from governance_study.curate.candidates import STATUSES
    from governance_study.text.kinds import KINDS
    from governance_study.text.numerals import UNITS as PARSER_UNITS

    words = [*PARSER_UNITS, "%", *KINDS, *STATUSES, "exact", "at_least", "more_than", "approx"]
    assert not [w for w in words if set(w) & set(',"\n\r')]
    values = {c.value for p in SOURCES.glob("*.txt") for c in SCANNER.scan("p", p.read_text(encoding="utf-8")).candidates}
    assert not [v for v in values if set(v) & set(',"\n\r')]


def test_alias_is_not_matched_inside_another_word():
    from governance_study.curate.candidates import _district_alternation

    pattern = _district_alternation({"新区": "120116", "滨海新区": "120116", "河西区": "120103"})
    assert [m[0] for m in pattern.finditer("河西区打造营商环境创新区,国家级新区中,新区开展")] == ["河西区", "新区"]


def test_output_grows_linearly_with_a_sentence_without_end(tmp_path, in_repo, capsys):
    """A page with no sentence end: each row's sentence and clause are capped at a window around its number, so
    ten times the text gives about ten times the CSV, not a hundred times; both stay verbatim substrings."""
    from governance_study.curate.candidates import CLAUSE_WINDOW, SENTENCE_WINDOW

    sizes = {}
    for repeat in (100, 1000):
        article = tmp_path / f"run-on-{repeat}.txt"
        text = "和平区受理诉求12件并且" * repeat  # no 。!? and no comma: one sentence, one clause
        article.write_text(text, encoding="utf-8")
        assert main(["extract", str(article), "--format", "csv"]) == 0
        out = capsys.readouterr().out
        rows = parse_csv(out)
        assert len(rows) == repeat
        assert max(len(r["sentence"]) for r in rows) <= 2 * SENTENCE_WINDOW + 10
        assert max(len(r["clause"]) for r in rows) <= 2 * CLAUSE_WINDOW + 10
        assert all(r["sentence"] in text and r["clause"] in text for r in rows[:50])
        sizes[repeat] = len(out.encode("utf-8"))
    assert sizes[1000] / sizes[100] < 12, sizes  # 10x the text, about 10x the output (not 100x)
