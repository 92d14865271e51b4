"""Reporting audit: can the reported rates arise from the reported counts at all, and do claims contradict?

Checks (column ``check``):

- ``grim``: one row per reported rate. Brown & Heathers' (2017) GRIM test for percentages, exact arithmetic
  (:mod:`.grim`), under each rounding rule asked for. What is tested depends on what the article gives:
  closed and received -> does closed/received give the text; received only -> does some whole k/received;
  closed only -> does closed/n for some whole n; neither -> the smallest denominator that could give it.
- ``conflict``: two statistics of one district report the same count (same value and unit) and a closing rate
  of the same indicator, channel and period, but different rates: at most one can describe one set of matters.
- ``shared_count``: two statistics of one district share a count but differ in channel, measure or period, as
  Heping's 657 petition matters (on-time closure 100%, a share of the matters that fell due) and 657 mediation
  disputes (closure 89.9%): not a conflict, a note (``is_flagged`` false).
- ``unit_mismatch``: received and closed of one statistic are counted in different units (215 whistle calls
  次, 183 problems solved 个), so their ratio is no closing rate.
- ``closed_above_received``: more closed than received in one statistic.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from governance_study.metrics import grim
from governance_study.metrics.conflicts import conflict_rows, district_names
from governance_study.metrics.grim import (  # re-exported: the audit's public arithmetic (see the interface in the module docstring)
    RULES,
    Rule,
    consistent_denominators,
    consistent_numerators,
    min_denominator,
    rate_consistent,
)
from governance_study.metrics.grouping import (
    CLAIM_COLUMNS,
    EXACT,
    Statistic,
    as_count,
    group_statistics,
    indicator_words,
    is_closing,
    is_share_of_received,
    require_columns,
)
from governance_study.metrics.resolution import reported_rate_text
from governance_study.metrics.schemas import AuditSchema
from governance_study.vocabulary import LOWER_BOUNDS

# fmt: off
__all__ = [
    "RULES", "Rule", "audit_table", "consistent_denominators", "consistent_numerators", "min_denominator",
    "rate_consistent",
]
# fmt: on

#: Output columns, in order (documented in :func:`audit_table`).
# fmt: off
AUDIT_COLUMNS: tuple[str, ...] = (
    "claim_id", "related_claim_id", "group_id", "statistic_id", "district_code", "check", "indicator",
    "reported_text", "numerator", "numerator_claim_id", "denominator", "denominator_claim_id", "consistent_half_up", "consistent_truncate", "rule_passed",
    "min_denominator", "min_denominator_half_up", "min_denominator_truncate", "is_flagged", "finding",
)
# fmt: on


def audit_table(claims: pd.DataFrame, *, rules: tuple[str, ...] = ("half_up", "truncate")) -> pd.DataFrame:
    """The reporting audit. One row per reported rate (check ``grim``), plus one row per pair of statistics sharing
    a count (``conflict`` or ``shared_count``), per statistic with a unit mismatch and per statistic with more
    closed than received.

    Columns:

    - ``claim_id``: the rate claim (``grim``), the first statistic's rate claim (``conflict``) or the closed
      claim (other checks); ``related_claim_id``: the other claim involved, if any; ``group_id`` as written,
      ``statistic_id`` (``group_id`` or the lone claim's id), ``district_code``, ``indicator`` of ``claim_id``.
    - ``check``: grim, conflict, shared_count (a note, not flagged), unit_mismatch or closed_above_received.
    - ``reported_text``: the rate's digits as written ("89.9"; "90.0" is not "90").
    - ``numerator``: the reported closed count used (closing rates with an exact closed count);
      ``denominator``: the reported received count (acceptance, closure and solution rates with an exact
      received count; a satisfaction rate's respondents are never reported); ``numerator_claim_id``,
      ``denominator_claim_id``: the claims those counts come from (filled whenever the count is), so that the
      quotes behind every number shown can be listed (:func:`governance_study.report.claims_behind`).
    - ``consistent_half_up``, ``consistent_truncate``: whether the reported figures can give the text under that
      rule (missing when the rule was not asked for or nothing can be tested); ``rule_passed``: the rules that
      pass, as text ("truncate", "half_up, truncate", "none").
    - ``min_denominator``: the smallest denominator that could give the text under any rule asked for;
      ``min_denominator_half_up``, ``min_denominator_truncate``: per rule (computed for every exact rate).
    - ``is_flagged``: a rule asked for fails, or the check is a conflict, unit mismatch or closed above
      received (never a shared_count); ``finding``: the result as a sentence. A satisfaction rate has no reported denominator, but
      when its statistic holds an exact count, the finding also says whether that count could be its
      denominator (without putting it in ``denominator``, which holds reported denominators only).

    Formula: k/n gives text T with P digits and d decimals iff ``A n <= M k < B n`` (``M = 200 * 10**d``;
    half-up ``A, B = 2P-1, 2P+1``, truncation ``2P, 2P+2``); see :mod:`.grim`.
    Reference: Brown & Heathers (2017), Social Psychological and Personality Science 8(4): 363-369.

    >>> from governance_study.metrics.examples import heping_2023
    >>> audit = audit_table(heping_2023())
    >>> row = audit[audit["claim_id"] == "hp-mediation-closure"].iloc[0]
    >>> bool(row["consistent_half_up"]), bool(row["consistent_truncate"]), row["rule_passed"]
    (False, True, 'truncate')
    >>> sorted(audit.loc[audit["check"] != "grim", "check"])
    ['shared_count', 'unit_mismatch']
    """
    require_columns(claims, CLAIM_COLUMNS, "claims")
    rules = tuple(rules)
    unknown = [r for r in rules if r not in grim.RULES]
    if not rules or unknown:
        raise ValueError(f"rules must be a non-empty selection of {', '.join(grim.RULES)}; got {', '.join(map(str, rules)) or 'none'}")
    stats = group_statistics(claims)
    rows: list[dict[str, Any]] = []
    for stat in stats:
        for rate in stat.rates:
            rows.append(_grim_row(stat, rate, rules))
        rows.extend(_count_rows(stat))
    rows.extend(conflict_rows(stats, district_names(claims), audit_row))
    table = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    for column in ("numerator", "denominator", "min_denominator", "min_denominator_half_up", "min_denominator_truncate"):
        table[column] = pd.array(table[column].tolist(), dtype="Int64")
    for column in ("consistent_half_up", "consistent_truncate"):
        table[column] = pd.array(table[column].tolist(), dtype="boolean")
    table["is_flagged"] = table["is_flagged"].astype(bool)
    for column in (
        "claim_id",
        "related_claim_id",
        "numerator_claim_id",
        "denominator_claim_id",
        "group_id",
        "statistic_id",
        "district_code",
        "check",
        "indicator",
        "reported_text",
        "rule_passed",
        "finding",
    ):
        table[column] = table[column].astype("string")
    return AuditSchema.validate(table)


def audit_row(stat: Statistic, claim: dict[str, Any], check: str) -> dict[str, Any]:
    """A new audit row (every column of :data:`AUDIT_COLUMNS`) for ``check`` on ``claim`` of ``stat``, flagged."""
    row: dict[str, Any] = {c: None for c in AUDIT_COLUMNS}
    row.update(
        claim_id=claim["claim_id"],
        group_id=stat.group_id,
        statistic_id=stat.statistic_id,
        district_code=claim["district_code"],
        check=check,
        indicator=claim["indicator"],
        is_flagged=True,
    )
    return row


def _exact_count(claim: dict[str, Any] | None) -> int | None:
    if claim is None or claim["bound"] != EXACT:
        return None
    return as_count(claim["value"], claim["claim_id"])


def _grim_row(stat: Statistic, rate: dict[str, Any], rules: tuple[str, ...]) -> dict[str, Any]:
    row = audit_row(stat, rate, "grim")
    row["is_flagged"] = False
    if rate["bound"] != EXACT:
        row["finding"] = (
            f"The rate {rate['value_text']} is reported as a bound ({rate['bound']}), not a rounded value: rounding cannot be checked."
        )
        return row
    text = reported_rate_text(rate["value_text"])
    if text is None:
        row["finding"] = f"The rate {rate['value_text']} is not written as one decimal number, so its precision is unknown: not audited."
        return row
    row["reported_text"] = text
    mins = {rule: grim.min_denominator(text, rule) for rule in rules}
    for rule, n_min in mins.items():
        row[f"min_denominator_{rule}"] = n_min
    found = [n for n in mins.values() if n is not None]
    row["min_denominator"] = min(found) if found else None

    units_differ = bool(stat.received and stat.closed and stat.received["unit"] != stat.closed["unit"])
    # Only a share of the statistic's received count can be checked against its counts (indicators.csv rate_base).
    n = _exact_count(stat.received) if is_share_of_received(rate) else None
    k = _exact_count(stat.closed) if is_closing(rate) and is_share_of_received(rate) and not units_differ else None
    n = n if n else None  # a received count of 0 cannot be a denominator
    row["numerator"], row["denominator"] = k, n
    row["numerator_claim_id"] = stat.closed["claim_id"] if k is not None else None
    row["denominator_claim_id"] = stat.received["claim_id"] if n is not None else None
    what = _rate_words(rate)

    if k is not None and n is not None and k > n:
        row["finding"] = (
            f"{what} {text}% cannot be checked: the closed count {k} exceeds the received count {n} (see check closed_above_received)."
        )
        row["is_flagged"] = True
        return row
    if k is not None and n is not None:
        results = {rule: grim.rate_consistent(text, k, n, rule) for rule in rules}
        row["finding"] = _finding_both(what, text, k, n, results)
    elif n is not None:
        results = {rule: bool(_nonempty(grim.numerator_bounds(text, n, rule))) for rule in rules}
        row["finding"] = _finding_denominator(what, text, n, results)
    elif k is not None:
        results = {rule: grim.denominator_bounds(text, k, rule) is not None for rule in rules}
        row["finding"] = _finding_numerator(what, text, k, results, rules)
    else:
        shown = "; ".join(f"{mins[r] if mins[r] is not None else 'none up to 100,000'} under {grim.RULE_WORDS[r]}" for r in rules)
        row["finding"] = (
            f"{what} {text}% has no reported denominator. The smallest number of cases that can give it: {shown}."
        ) + _other_counts_as_denominator(stat, rate, text, rules)
        # a count the finding names is a claim it rests on: the report quotes it (related_claim_id)
        named = [c["claim_id"] for c in (stat.received, stat.closed) if c and c["claim_id"] in row["finding"]]
        row["related_claim_id"] = named[0] if named else None
        return row
    for rule, ok in results.items():
        row[f"consistent_{rule}"] = ok
    row["rule_passed"] = grim.describe_rules([r for r in rules if results[r]])
    row["is_flagged"] = not all(results.values())
    return row


def _other_counts_as_denominator(stat: Statistic, rate: dict[str, Any], text: str, rules: tuple[str, ...]) -> str:
    """For a rate whose denominator is never reported (satisfaction): can the statistic's exact counts serve as
    one? Said in words only; the count is not the rate's reported denominator.

    An article giving "577 solved, satisfaction 99.75%" invites reading 99.75% as a share of the 577; the audit
    says whether any k/577 gives it.
    """
    if is_share_of_received(rate):
        return ""
    if rate.get("rate_base") == "due":
        received = _exact_count(stat.received)
        counted = f", not the {received} received ({stat.received['claim_id']})" if received else ""
        return (
            f" Its base is the matters that fell due in the period, which no claim of this statistic reports{counted}: "
            "it implies no closed count."
        )
    sentences, seen = [], set()
    for count in (stat.received, stat.closed):
        n = _exact_count(count)
        if not n or n in seen:
            continue
        seen.add(n)
        parts, fits = [], False
        for rule in rules:
            lo, hi = grim.numerator_bounds(text, n, rule)  # type: ignore[arg-type]
            fits = fits or lo <= hi
            parts.append(f"{'no whole number' if lo > hi else (str(lo) if lo == hi else f'{lo} to {hi}')} under {grim.RULE_WORDS[rule]}")
        label = f"{count['value_text']} ({count['indicator'].replace('_', ' ')}, {count['claim_id']})"
        if fits:
            sentences.append(f" Read as a share of the statistic's {label}: k/{n} gives it for k = {'; '.join(parts)}.")
        else:
            rule_words = " or ".join(grim.RULE_WORDS[r] for r in rules)
            sentences.append(
                f" Read as a share of the statistic's {label}: no k/{n} gives {text}% under "
                f"{rule_words}, so the {n} cannot be its denominator."
            )
    return "".join(sentences)


def _nonempty(bounds: tuple[int, int]) -> bool:
    return bounds[0] <= bounds[1]


def _rate_words(rate: dict[str, Any]) -> str:
    return f"The reported {indicator_words(rate['indicator'])}"


def _finding_both(what: str, text: str, k: int, n: int, results: dict[str, bool]) -> str:
    decimals = grim.parse_percent(text).decimals
    exact = grim.format_percent(k, n, decimals + 2)
    rounded = ", ".join(f"{grim.RULE_WORDS[r]} gives {grim.round_percent(k, n, decimals, r)}%" for r in results)  # type: ignore[arg-type]
    passed = [r for r, ok in results.items() if ok]
    head = f"{k} closed of {n} received is {exact} ({rounded})"
    if len(passed) == len(results):
        return f"{head}: the reported {text}% is consistent under every rule tested."
    if passed:
        return f"{head}: the reported {text}% is consistent only with {' and '.join(grim.RULE_WORDS[r] for r in passed)}."
    return f"{head}: the reported {text}% follows from these counts under no rule tested."


def _finding_denominator(what: str, text: str, n: int, results: dict[str, bool]) -> str:
    parts = []
    for rule in results:
        lo, hi = grim.numerator_bounds(text, n, rule)  # type: ignore[arg-type]
        fits = "no whole number" if lo > hi else (str(lo) if lo == hi else f"{lo} to {hi}")
        parts.append(f"{fits} under {grim.RULE_WORDS[rule]}")
    head = f"{what} {text}% of {n}: the numerator is not reported; k/{n} gives it for k = {'; '.join(parts)}"
    if all(results.values()):
        return head + "."
    if any(results.values()):
        return head + f" (consistent only with {' and '.join(grim.RULE_WORDS[r] for r, ok in results.items() if ok)})."
    return head + f": no whole number of the {n} cases can give this rate."


def _finding_numerator(what: str, text: str, k: int, results: dict[str, bool], rules: tuple[str, ...]) -> str:
    if any(results.values()):
        parts = []
        for rule in rules:
            bounds = grim.denominator_bounds(text, k, rule)  # type: ignore[arg-type]
            if bounds is None:
                fits = "no whole number"
            else:
                lo, hi = bounds
                fits = f"{lo} or more" if hi is None else (str(lo) if lo == hi else f"{lo} to {hi}")
            parts.append(f"{fits} under {grim.RULE_WORDS[rule]}")
        return f"{what} {text}% with {k} closed: the received count is not reported; {k}/n gives it for n = {'; '.join(parts)}."
    rule_words = " or ".join(grim.RULE_WORDS[r] for r in rules)
    head = (
        f"{what} {text}% with {k} closed: no whole number n gives {k}/n = {text}% under {rule_words} "
        f"({near_miss(text, k)}), so {k} cannot be the closed count behind this rate."
    )
    # Say what the count could be instead: the denominator, as another reading of the sentence suggests.
    alternatives = []
    decimals = grim.parse_percent(text).decimals
    for rule in rules:
        lo, hi = grim.numerator_bounds(text, k, rule)  # type: ignore[arg-type]
        if lo == hi:
            alternatives.append(f"{lo}/{k} = {grim.format_percent(lo, k, decimals + 1)} gives it under {grim.RULE_WORDS[rule]}")
        elif lo < hi:
            alternatives.append(f"k/{k} gives it for k = {lo} to {hi} under {grim.RULE_WORDS[rule]}")
    if alternatives:
        return head + (
            f" Only if {k} were the number raised, which the text does not say (it reports {k} "
            f"solved or closed), would the rate fit: {'; '.join(alternatives)}. A hypothesis, not a reading."
        )
    return head + f" Nor does any k/{k}, so {k} cannot be the number received either."


def near_miss(text: str, k: int) -> str:
    """The two whole denominators either side of ``k / rate`` and what they give (one decimal more than
    reported), to show the gap: "577/587 = 98.296%, 577/588 = 98.129%"."""
    reported = grim.parse_percent(text)
    if reported.scaled == 0:
        return "a rate of 0 needs 0 closed"
    decimals = reported.decimals
    centre = k * 100 * 10**decimals // reported.scaled
    shown = [f"{k}/{n} = {grim.format_percent(k, n, decimals + 1)}" for n in (centre, centre + 1) if n >= max(k, 1)]
    return ", ".join(shown)


def _count_rows(stat: Statistic) -> list[dict[str, Any]]:
    received, closed = stat.received, stat.closed
    if received is None or closed is None:
        return []
    if received["unit"] != closed["unit"]:
        row = audit_row(stat, closed, "unit_mismatch")
        row["related_claim_id"] = received["claim_id"]
        row["numerator"] = _exact_count(closed)
        row["denominator"] = _exact_count(received)
        row["numerator_claim_id"] = closed["claim_id"] if row["numerator"] is not None else None
        row["denominator_claim_id"] = received["claim_id"] if row["denominator"] is not None else None
        row["finding"] = (
            f"The statistic counts {received['value_text']} ({received['indicator'].replace('_', ' ')}) and "
            f"{closed['value_text']} ({closed['indicator'].replace('_', ' ')}): different units "
            f"({received['unit']} and {closed['unit']}), so their ratio is not a closing rate."
        )
        return [row]
    k, n = as_count(closed["value"], closed["claim_id"]), as_count(received["value"], received["claim_id"])
    if k is not None and n is not None and k > n and received["bound"] not in LOWER_BOUNDS:
        row = audit_row(stat, closed, "closed_above_received")
        row["related_claim_id"] = received["claim_id"]
        row["numerator"], row["denominator"] = k, n
        row["numerator_claim_id"], row["denominator_claim_id"] = closed["claim_id"], received["claim_id"]
        row["finding"] = (
            f"More closed ({closed['value_text']}) than received ({received['value_text']}) in one statistic: "
            "either the counts describe different sets of matters (e.g. backlog closed this year) or one is wrong."
        )
        return [row]
    return []
