"""Curated claims: load ``data/raw/claims.csv``, verify every row against its source, join metadata.

One row per number reported in a source article. Verification runs on every ``check`` and ``build`` and
reports every failure (file, line, claim_id, field, value, what to do), never only the first.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pandas as pd

from governance_study.csvio import read_text_table
from governance_study.errors import DataError, Problem
from governance_study.paths import ProjectPaths
from governance_study.text.arithmetic import arithmetic_problems
from governance_study.text.numerals import find_numbers
from governance_study.verify.reference import BOOLEAN_TEXT, read_reference, unit_list
from governance_study.verify.sources import parse_iso_date, read_manifest, read_texts
from governance_study.vocabulary import BOUNDS

CLAIMS = "data/raw/claims.csv"
# fmt: off
CLAIM_COLUMNS = [
    "claim_id", "source_id", "quote", "value_text", "value", "bound", "unit", "indicator", "channel",
    "district_code", "subunit", "period_start", "period_end", "period_rule", "group_id", "note",
]
# fmt: on
#: Columns that may be left empty in claims.csv; empty becomes a missing value in derived tables.
OPTIONAL_COLUMNS = ("unit", "subunit", "period_start", "group_id", "note")
CLAIM_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")

#: Column order of the derived claims table.
# fmt: off
DERIVED_COLUMNS = [
    "claim_id", "source_id", "district_code", "district_name_zh", "district_name_en", "district_pinyin", "subunit",
    "indicator", "indicator_label_en", "family", "kind", "role", "rate_base", "is_closing_rate",
    "is_per_resident_comparable", "channel", "channel_family", "value", "value_text",
    "bound", "unit", "quote", "period_start", "period_end", "period_rule", "group_id", "note", "published",
    "outlet", "title",
]
# fmt: on


def _check_number(row: pd.Series, problem) -> None:
    """The quote must contain ``value_text`` as one whole number expression with the row's value, bound, unit."""
    value_text, quote = row["value_text"], row["quote"]
    if not value_text or value_text not in quote:
        problem(
            "value_text does not occur in the quote", "Copy the number expression exactly as the quote writes it.", "value_text", value_text
        )
        return
    found = [e for e in find_numbers(quote) if e.text == value_text]
    if not found:
        read = ", ".join(repr(e.text) for e in find_numbers(quote)) or "no number"
        problem(
            f"the numbers parser reads {read} in the quote, not {value_text!r} as one whole expression",
            "Write value_text as the parser delimits it: with its qualifier (超过, 约), 余/多, measure word and 以上.",
            "value_text",
            value_text,
        )
        return
    expr = found[0]
    try:
        value = Decimal(row["value"])
    except InvalidOperation:
        value = None
    if value is None or not PLAIN_DECIMAL.fullmatch(row["value"]):
        problem(
            "value is not a plain decimal number",
            f"Write it without separators or exponent; the quote gives {expr.value}.",
            "value",
            row["value"],
        )
    elif value != expr.value:
        problem(
            f"value does not match the quote, which gives {expr.value} for {value_text!r}",
            "Correct value (万 = 10,000; 亿 = 100,000,000).",
            "value",
            row["value"],
        )
    if row["bound"] != expr.bound:
        problem(
            f"bound does not match the quote, which reads {value_text!r} as {expr.bound}",
            "Use at_least for 余/多/以上, more_than for 超过/超/逾, approx for 约/近/左右, exact otherwise.",
            "bound",
            row["bound"],
        )
    if row["unit"] != expr.unit:
        problem(
            f"unit does not match the quote, which writes {expr.unit!r} after the number",
            "Copy the measure word that follows the number.",
            "unit",
            row["unit"],
        )


def _latest_dates(manifest: pd.DataFrame | None) -> dict:
    """source_id -> (last date its figures can describe, why): the print issue's date, else the publication date."""
    out = {}
    if manifest is None:
        return out
    for sid, published, latest in zip(manifest["source_id"], manifest["published"], manifest["latest_figure_date"]):
        if latest and parse_iso_date(latest):
            out[sid] = (parse_iso_date(latest), f"the latest_figure_date of {sid} in data/raw/sources.csv (its print issue)")
        elif parse_iso_date(published):
            out[sid] = (parse_iso_date(published), f"the date {sid} was published")
    return out


def _check_vocabulary_rules(row: pd.Series, rule: pd.Series, problem) -> None:
    """The rules indicators.csv states for the claim's indicator: allowed units and the cue words of its quote."""
    allowed = unit_list(rule["units"])
    if row["unit"] not in allowed:
        shown = ", ".join(repr(u) if u else "none" for u in allowed)
        problem(
            f"{row['indicator']} is counted in {shown}, not {row['unit']!r} (data/raw/reference/indicators.csv)",
            "Choose the indicator whose units fit the measure word, or add a new indicator.",
            "unit",
            row["unit"] or "(none)",
        )
    try:
        cues = re.compile(rule["cues"]) if rule["cues"] else None
    except re.error:
        cues = None  # reported as a problem of indicators.csv; no claim can be judged by a broken pattern
    if cues is not None and not cues.search(row["quote"]):
        problem(
            f"the quote has none of the words {row['indicator']} requires ({rule['cues']}; data/raw/reference/indicators.csv)",
            "Choose the indicator the quote's verb supports (办理 is handled, not closed; 按期办结率 is on-time "
            "closure), or extend the quote to the words that say what is counted.",
            "indicator",
            row["indicator"],
        )


def _group_problems(claims: pd.DataFrame, vocabulary: pd.DataFrame) -> list[Problem]:
    """A group is one statistic: one district, source, channel and indicator family; at most one count per role,
    all counts in one unit; at most one closing rate. Each problem names every row of the group."""
    problems = []
    grouped = claims[(claims["group_id"] != "") & claims["indicator"].isin(vocabulary.index)]
    for group_id, group in grouped.groupby("group_id", sort=True):
        rows = ", ".join(f"{c} (line {n})" for c, n in zip(group["claim_id"], group["_line"]))
        first = group.iloc[0]

        def problem(message: str, fix: str, field: str, value: str) -> None:
            problems.append(
                Problem(
                    CLAIMS,
                    f"group {group_id} is not one statistic: {message}; rows {rows}",
                    fix,
                    row=int(first["_line"]),
                    record_id=first["claim_id"],
                    field=field,
                    value=value,
                )
            )

        info = vocabulary.loc[group["indicator"]]
        for column in ("district_code", "source_id", "channel"):
            if group[column].nunique() > 1:
                problem(
                    f"its claims differ in {column} ({', '.join(sorted(set(group[column])))})",
                    "The claims of one statistic share district, source and channel: split the group.",
                    "group_id",
                    group_id,
                )
        families = sorted(set(info["family"]))
        if len(families) > 1:
            problem(
                f"indicators of different families ({', '.join(families)})",
                "Give each statistic its own group_id (or none).",
                "group_id",
                group_id,
            )
        counts = group[info["kind"].to_numpy() == "count"]
        count_roles = vocabulary.loc[counts["indicator"], "role"].to_numpy()
        for role in sorted(set(count_roles)):
            same = counts[count_roles == role]
            if len(same) > 1:
                problem(
                    f"two or more counts of role {role} ({', '.join(same['claim_id'])})",
                    "A statistic has one received count, one closed count and its rates: two numbers of the "
                    "same kind are two statistics, so give them separate group_ids (or none).",
                    "group_id",
                    group_id,
                )
        if counts["unit"].nunique() > 1:
            problem(
                f"counts in different units ({', '.join(f'{c}: {u}' for c, u in zip(counts['claim_id'], counts['unit']))})",
                "Counts of one statistic share a unit (215 calls 次 and 183 problems 个 are two statistics): split the group.",
                "group_id",
                group_id,
            )
        closing = group[(info["is_closing_rate"] == "true").to_numpy()]
        if len(closing) > 1:
            problem(
                f"two closing rates ({', '.join(closing['claim_id'])})",
                "A statistic has at most one closure, on-time closure or solution rate: split the group.",
                "group_id",
                group_id,
            )
    return problems


def read_claims(paths: ProjectPaths) -> tuple[pd.DataFrame | None, dict, list[Problem]]:
    """Read claims and everything they refer to; verify; return (claims, reference tables, problems)."""
    reference, problems = read_reference(paths)
    manifest, found = read_manifest(paths)
    problems += found
    claims, found = read_text_table(paths.claims, paths.root, CLAIM_COLUMNS)
    problems += found
    if claims is None:
        return None, reference, problems
    texts = read_texts(paths, manifest["source_id"]) if manifest is not None else {}
    known = {
        "source_id": set(manifest["source_id"]) if manifest is not None else None,
        "district_code": set(reference["districts"]["district_code"]) if "districts" in reference else None,
        "indicator": set(reference["indicators"]["indicator"]) if "indicators" in reference else None,
        "channel": set(reference["channels"]["channel"]) if "channels" in reference else None,
    }
    where = {
        "source_id": "data/raw/sources.csv",
        "district_code": "data/raw/reference/districts.csv",
        "indicator": "data/raw/reference/indicators.csv",
        "channel": "data/raw/reference/channels.csv",
    }
    # one row per id (a duplicate is reported by read_reference); the first wins, as everywhere
    vocabulary = reference["indicators"].drop_duplicates("indicator").set_index("indicator") if "indicators" in reference else None
    kinds = vocabulary["kind"].to_dict() if vocabulary is not None else {}
    roles = vocabulary["role"].to_dict() if vocabulary is not None else {}
    latest = _latest_dates(manifest)
    seen: dict[str, int] = {}
    figures: dict[tuple[str, str, str], tuple[int, str]] = {}

    for _, row in claims.iterrows():
        cid, line = row["claim_id"], row["_line"]

        def problem(message: str, fix: str, field: str, value: str) -> None:
            problems.append(Problem(CLAIMS, message, fix, row=line, record_id=cid or None, field=field, value=value))

        if not CLAIM_ID.fullmatch(cid):
            problem(
                "claim_id must be lowercase ascii words joined by hyphens",
                "Use <district><yy>-<slug>, e.g. heping23-mediation-closed.",
                "claim_id",
                cid,
            )
        if cid in seen:
            problem(f"duplicate claim_id (first on line {seen[cid]})", "Give each claim its own id; never reuse one.", "claim_id", cid)
        seen.setdefault(cid, line)
        for column, values in known.items():
            if values is not None and row[column] not in values:
                problem(f"unknown {column}", f"Use one listed in {where[column]} or add it there first.", column, row[column])
        if row["bound"] not in BOUNDS:
            problem("unknown bound", f"Use one of {', '.join(BOUNDS)}.", "bound", row["bound"])
        text = texts.get(row["source_id"])
        if text is not None and row["quote"] not in text:
            problem(
                f"quote does not occur in data/raw/sources/{row['source_id']}.txt",
                "Copy the quote verbatim from the raw text (the articles use ASCII ',' and ':' as Chinese punctuation).",
                "quote",
                row["quote"],
            )
        _check_number(row, problem)
        if vocabulary is not None and row["indicator"] in vocabulary.index:
            _check_vocabulary_rules(row, vocabulary.loc[row["indicator"]], problem)
        figure = (row["source_id"], row["quote"], row["value_text"])
        if figure in figures and all(figure):
            first_line, first_id = figures[figure]
            problem(
                f"the same figure is curated twice: {first_id} (line {first_line}) has the same source, quote and value_text",
                "Keep one claim per reported figure: delete this row or correct its quote.",
                "quote",
                row["quote"],
            )
        figures.setdefault(figure, (line, cid))
        for arithmetic in arithmetic_problems(row["note"]):
            problem(
                f"the note states wrong or unverifiable arithmetic: {arithmetic}",
                "Correct the arithmetic, or write the reasoning in words; notes must agree with the audit.",
                "note",
                row["note"],
            )
        is_rate = kinds.get(row["indicator"]) == "rate"
        if is_rate and row["unit"] != "%":
            problem("a rate indicator needs a percentage", "Use a count indicator, or quote the percentage.", "unit", row["unit"])
        if is_rate and PLAIN_DECIMAL.fullmatch(row["value"]) and not (0 <= Decimal(row["value"]) <= 100):
            problem("a rate must lie within 0..100", "Check the quote; a rate above 100% is a typo or not a rate.", "value", row["value"])
        start, end = row["period_start"], row["period_end"]
        if start and parse_iso_date(start) is None:
            problem("not a date in YYYY-MM-DD form", "Write e.g. 2021-01-01, or leave empty for a stock.", "period_start", start)
        if parse_iso_date(end) is None:
            problem(
                "not a date in YYYY-MM-DD form", "Write e.g. 2021-09-28 (every claim needs the date it is stated for).", "period_end", end
            )
        elif start and parse_iso_date(start) and parse_iso_date(start) > parse_iso_date(end):
            problem(f"period_start is after period_end ({end})", "Swap or correct the dates.", "period_start", start)
        elif row["source_id"] in latest and parse_iso_date(end) > latest[row["source_id"]][0]:
            day, why = latest[row["source_id"]]
            problem(
                f"period_end is after {day.isoformat()}, {why}",
                "End the period at that date at the latest and say why in period_rule.",
                "period_end",
                end,
            )

    if vocabulary is not None:
        # Rows with an unknown district, source or channel are already reported; grouping them again would only
        # repeat that problem as "the group differs in district".
        valid = claims
        for column, values in known.items():
            if values is not None:
                valid = valid[valid[column].isin(values)]
        problems += _group_problems(valid, vocabulary)
    # closed <= received within a group
    for group_id, group in claims[claims["group_id"] != ""].groupby("group_id", sort=True):
        role = group["indicator"].map(roles)
        numeric = group[group["value"].str.fullmatch(PLAIN_DECIMAL.pattern)]
        for _, closed in numeric[role.loc[numeric.index] == "closed"].iterrows():
            for _, received in numeric[role.loc[numeric.index] == "received"].iterrows():
                if closed["unit"] == received["unit"] and Decimal(closed["value"]) > Decimal(received["value"]):
                    problems.append(
                        Problem(
                            CLAIMS,
                            f"closed ({closed['value']}) exceeds received ({received['value']}, {received['claim_id']}) in group {group_id}",
                            "Check both quotes; if they describe different statistics, give them different group_ids.",
                            row=closed["_line"],
                            record_id=closed["claim_id"],
                            field="value",
                            value=closed["value"],
                        )
                    )
    return claims, reference, problems


def verified_claims(paths: ProjectPaths, texts: dict[str, str] | None = None) -> pd.DataFrame:
    """The derived claims table: verified claims joined with source, district, indicator and channel metadata.

    One row per claim; ordered by source, then position of the quote in the source, then claim_id; values
    as float (``value_text`` keeps the written form). Raises :class:`DataError` listing every problem.
    """
    claims, reference, problems = read_claims(paths)
    if problems:
        raise DataError(problems)
    manifest, _ = read_manifest(paths)
    texts = texts or read_texts(paths, manifest["source_id"])
    d = reference["districts"].rename(
        columns={"name_zh": "district_name_zh", "name_en": "district_name_en", "name_pinyin": "district_pinyin"}
    )
    i = reference["indicators"].rename(columns={"label_en": "indicator_label_en"})
    c = reference["channels"]
    out = (
        claims.merge(d[["district_code", "district_name_zh", "district_name_en", "district_pinyin"]], on="district_code", how="left")
        .merge(
            i[["indicator", "indicator_label_en", "family", "kind", "role", "rate_base", "is_closing_rate", "is_per_resident_comparable"]],
            on="indicator",
            how="left",
        )
        .merge(c[["channel", "channel_family"]], on="channel", how="left")
        .merge(manifest[["source_id", "published", "outlet", "title"]], on="source_id", how="left")
    )
    out["_pos"] = [texts[s].find(q) for s, q in zip(out["source_id"], out["quote"])]
    out = out.sort_values(["source_id", "_pos", "claim_id"], kind="stable").reset_index(drop=True)
    out["value"] = out["value"].astype("float64")
    for column in ("is_closing_rate", "is_per_resident_comparable"):
        out[column] = out[column].map(BOOLEAN_TEXT).astype(bool)
    out["rate_base"] = out["rate_base"].replace("", pd.NA)
    for column in OPTIONAL_COLUMNS:
        out[column] = out[column].replace("", pd.NA)  # empty in the CSV means "not stated"
    return out[DERIVED_COLUMNS]


def check(paths: ProjectPaths) -> list[Problem]:
    """Every problem in the raw data (sources, reference, claims); writes nothing."""
    return read_claims(paths)[2]
