"""Key findings: the five to ten sentences that open the index, every report and the README.

Grain: one :class:`Finding` per sentence, each generated from the derived tables (never typed) and carrying the
claim ids behind it, so that a report can link every finding to the quotes in its sources appendix. The
sentences state only numbers that the tables hold or that exact arithmetic on them gives (:mod:`.grim`); the
tests recompute every one of them.

Order: what the audit finds in the figures themselves, then what the sources allow for resolution, then
participation per resident like for like, then notes that keep a reader from a false conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from governance_study.metrics import grim
from governance_study.metrics.audit import near_miss
from governance_study.report.wording import BOUND_WORDS, as_text, is_missing
from governance_study.vocabulary import CITY_CODE, RATE_BASE_WORDS, period_text

#: The most participation indicators given a sentence of their own (the rest are counted in the summary).
MAX_INDICATOR_SENTENCES = 3


@dataclass(frozen=True)
class Finding:
    """One key finding: the sentence, the claims behind it, and the kind of evidence (audit, resolution,
    participation, note)."""

    text: str
    claim_ids: tuple[str, ...]
    kind: str


def _names(claims: pd.DataFrame) -> dict[str, str]:
    pairs = claims[["district_code", "district_name_en"]].drop_duplicates("district_code")
    return {str(c): str(n) for c, n in zip(pairs["district_code"], pairs["district_name_en"])}


def _channel(value: Any) -> str:
    return as_text(value).replace("_", " ")


def _ids(*values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(as_text(v) for v in values if not is_missing(v) and as_text(v)))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    """ "1 district", "2 districts"; ``plural`` for irregular words ("statistic reports"/"statistics report")."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _labels(claims: pd.DataFrame) -> dict[str, str]:
    """indicator id -> English label in lower case, for use inside a sentence ("on-time closure rate")."""
    pairs = claims[["indicator", "indicator_label_en"]].dropna().drop_duplicates("indicator")
    return {str(i): str(label).lower() for i, label in zip(pairs["indicator"], pairs["indicator_label_en"])}


#: At most this many audit sentences; more flagged rates are counted in one further sentence, so the findings
#: stay five to ten whatever the data hold.
MAX_AUDIT_SENTENCES = 3


def _audit_sentence(r: dict[str, Any], where: str, what: str) -> str | None:
    """One flagged GRIM row in words, with what exact arithmetic gives; None when it cannot be said from counts."""
    text, k, n = as_text(r["reported_text"]), r["numerator"], r["denominator"]
    decimals = grim.parse_percent(text).decimals
    if not is_missing(k) and not is_missing(n):
        k, n = int(k), int(n)
        passed = [rule for rule in grim.RULES if grim.rate_consistent(text, k, n, rule)]
        rounded = "; ".join(f"{grim.RULE_WORDS[rule]} gives {grim.round_percent(k, n, decimals, rule)}%" for rule in grim.RULES)
        verdict = (
            f"only {' and '.join(grim.RULE_WORDS[p] for p in passed)} gives the reported {text}%"
            if passed
            else f"no rounding rule gives the reported {text}%"
        )
        return f"{where}: {k} closed of {n} received is {k}/{n} = {grim.format_percent(k, n, decimals + 2)} ({rounded}): {verdict} {what}."
    if is_missing(k):
        return None
    k = int(k)
    fits = {rule: grim.denominator_bounds(text, k, rule) for rule in grim.RULES}
    if any(fits.values()):
        passing = " and ".join(
            f"{grim.RULE_WORDS[rule]} (n = {lo}{'' if hi == lo else f' to {hi}' if hi else ' or more'})"
            for rule, b in fits.items()
            if b
            for lo, hi in [b]
        )
        return f"{where}: {k} closed at the reported {what} of {text}% fits a whole number n of matters received only under {passing}."
    hypothesis = any(lo <= hi for lo, hi in (grim.numerator_bounds(text, k, rule) for rule in grim.RULES))
    return f"{where}: no whole number of matters received gives {k} closed at the reported {what} of {text}% ({near_miss(text, k)})" + (
        f"; that {k} is the number received instead is a hypothesis the text does not support." if hypothesis else "."
    )


def audit_findings(audit: pd.DataFrame, claims: pd.DataFrame) -> list[Finding]:
    """Rates the reported counts give only under some rounding rule, or under none: one sentence per rate (those
    with no rule first), at most :data:`MAX_AUDIT_SENTENCES`, then one sentence counting the rest."""
    names, labels = _names(claims), _labels(claims)
    channels = dict(zip(claims["claim_id"].astype(str), claims["channel"].astype(str)))
    flagged = audit[(audit["check"] == "grim") & audit["is_flagged"].astype(bool)].copy()
    flagged["_order"] = (flagged["rule_passed"].astype(str) != "none").astype(int)
    out = []
    for r in flagged.sort_values("_order", kind="stable").to_dict("records"):
        where = f"{names.get(str(r['district_code']), r['district_code'])}'s {_channel(channels.get(str(r['claim_id'])))}"
        sentence = _audit_sentence(r, where, labels.get(str(r["indicator"]), _channel(r["indicator"])))
        if sentence:
            out.append(Finding(sentence, _ids(r["denominator_claim_id"], r["numerator_claim_id"], r["claim_id"]), "audit"))
    if len(out) > MAX_AUDIT_SENTENCES:
        rest = out[MAX_AUDIT_SENTENCES:]
        ids = _ids(*[c for f in rest for c in f.claim_ids])
        out = out[:MAX_AUDIT_SENTENCES] + [
            Finding(
                f"{_plural(len(rest), 'more reported rate fails', 'more reported rates fail')} a rounding rule: see the reporting audit.",
                ids,
                "audit",
            )
        ]
    return out


def _basis(r: dict[str, Any]) -> str:
    """ "heping23-mediation: 591 of 657, recomputed"; an implied count says which rate and count imply it."""
    k, n = int(r["closed_used"]), int(r["received_used"])
    if r["rate_derivation"] != "implied":
        return f"{r['statistic_id']}: {k} of {n}, {r['rate_derivation']}"
    lo, hi = int(r["consistent_closed_min"]), int(r["consistent_closed_max"])
    if lo == hi:
        decimals = grim.parse_percent(str(r["reported_rate_text"])).decimals
        return (
            f"{r['statistic_id']}: {k} of {n}, implied (only {k}/{n} = {grim.format_percent(k, n, decimals + 2)} "
            f"gives the reported {r['reported_rate_text']}%)"
        )
    return f"{r['statistic_id']}: {lo} to {hi} of {n}, implied by the reported {r['reported_rate_text']}%"


def resolution_finding(resolution: pd.DataFrame, claims: pd.DataFrame) -> list[Finding]:
    """Which districts report counts that allow a resolution interval, and what that means for comparison;
    how many statistics report a closed count and nothing else."""
    if resolution.empty:
        return [Finding("No district reports a resolution statistic in these sources.", (), "resolution")]
    names = _names(claims)
    districts = sorted(resolution["district_code"].astype(str).unique())
    with_ci = resolution[resolution["ci_low_pct"].notna()]
    ci_districts = sorted(with_ci["district_code"].astype(str).unique())
    parts = [_basis(r) for r in with_ci.to_dict("records")]
    ids = _ids(*[v for r in with_ci.to_dict("records") for v in (r["received_claim_id"], r["closed_claim_id"], r["rate_claim_id"])])
    named = ", ".join(names.get(c, c) for c in districts)
    among = f"of the {_plural(len(districts), 'district')} with resolution statistics ({named})"
    if len(ci_districts) >= 2:
        sentence = (
            f"{len(ci_districts)} {among} report counts that allow an interval ({'; '.join(parts)}): "
            "compare them within one channel family only."
        )
    elif ci_districts and len(districts) == 1:
        sentence = (
            f"Only one district, {names.get(ci_districts[0], ci_districts[0])}, has resolution statistics, "
            f"with counts that allow an interval ({'; '.join(parts)}): a cross-district comparison of "
            "resolution rates is not possible with these sources."
        )
    elif ci_districts:
        sentence = (
            f"Only {names.get(ci_districts[0], ci_districts[0])}, {among}, reports counts that allow a "
            f"resolution interval ({'; '.join(parts)}): a cross-district comparison of resolution rates is "
            "not possible with these sources."
        )
    else:
        sentence = (
            f"None {among} reports counts that allow an interval: resolution rates cannot be compared across districts with these sources."
        )
    closed_only = resolution[(resolution["rate_derivation"] == "none") & resolution["received"].isna() & resolution["closed"].notna()]
    if len(closed_only):
        ids = ids + _ids(*closed_only["closed_claim_id"])
        sentence += (
            f" {_plural(len(closed_only), 'statistic reports', 'statistics report')} only a closed count "
            f"(of {len(resolution)} in all) and so no rate."
        )
    return [Finding(sentence, ids, "resolution")]


def _figure(row: dict[str, Any], per_column: str) -> str:
    """ "Binhai New Area at least 0.97 (200余个, as of 2021-06-30)": district, bound, intensity, figure, date."""
    word = BOUND_WORDS.get(as_text(row["bound"]), "")
    value = f"{float(row[per_column]):,.1f}" if float(row[per_column]) >= 1 else f"{float(row[per_column]):.2f}"
    prefix = f"{word} " if word and word != "exact" else ""
    date = period_text(row["period_start"], row["period_end"])
    return f"{row['district_name_en']} {prefix}{value} ({row['value_text']}, {date})"


def participation_findings(participation: pd.DataFrame, claims: pd.DataFrame, *, per: int = 10_000) -> list[Finding]:
    """Participation per resident like for like (:func:`metrics.comparable_across_districts`: same indicator,
    channel and unit in two or more districts): a summary, then each comparison side by side."""
    from governance_study.metrics import comparable_across_districts
    from governance_study.metrics.participation import per_column_name

    column = per_column_name(per)
    labels = _labels(claims)
    comparable = comparable_across_districts(participation, per=per)
    own = participation[
        participation[column].notna() & (participation["district_code"].astype(str) != CITY_CODE) & participation["subunit"].isna()
    ]
    if own.empty:
        return [Finding("No district reports a participation or capacity figure that can be set per resident.", (), "participation")]
    if comparable.empty:
        return [
            Finding(
                f"No participation or capacity figure per resident is reported like for like (same "
                f"indicator, channel and unit) by two districts: the {_plural(own['district_code'].nunique(), 'district')} "
                "with such figures each count something else, so participation cannot be compared across "
                "districts with these sources either.",
                _ids(*own["claim_id"]),
                "participation",
            )
        ]
    keys = list(dict.fromkeys(comparable["comparison"]))
    indicators = list(dict.fromkeys(k.split(" / ")[0] for k in keys))
    districts = sorted(comparable["district_name_en"].astype(str).unique())
    others = own[~own["claim_id"].isin(comparable["claim_id"])]
    rest = (
        f"the other {_plural(len(others), 'per-resident figure')} of "
        f"{_plural(others['district_code'].nunique(), 'district')} have no counterpart in another district"
        if len(others)
        else "every other per-resident figure has one too"
    )
    out = [
        Finding(
            f"Participation per {per:,} residents can be compared like for like (same indicator, channel and unit) "
            f"across {len(districts)} districts ({', '.join(districts)}) for {_plural(len(indicators), 'indicator')} "
            f"({', '.join(labels.get(i, i) for i in indicators)}); {rest}.",
            _ids(*comparable["claim_id"]),
            "participation",
        )
    ]
    repeated = {i for i in indicators if sum(k.split(" / ")[0] == i for k in keys) > 1}
    for key in keys[:MAX_INDICATOR_SENTENCES]:
        these = comparable[comparable["comparison"] == key].to_dict("records")
        indicator, channel, unit = key.split(" / ")
        label = labels.get(indicator, indicator)
        scope = f" in channel {_channel(channel)} ({unit})" if indicator in repeated else ""
        out.append(
            Finding(
                f"{label[0].upper()}{label[1:]}{scope} per {per:,} residents: " + "; ".join(_figure(r, column) for r in these) + ".",
                _ids(*[r["claim_id"] for r in these]),
                "participation",
            )
        )
    return out


def note_findings(audit: pd.DataFrame, claims: pd.DataFrame) -> list[Finding]:
    """Counts shared by statistics of different channels, measures or periods: said once, so that nobody reads
    a conflict, and without asserting what the articles do not say (whether the counts are the same matters)."""
    names, labels = _names(claims), _labels(claims)
    by_id = claims.set_index(claims["claim_id"].astype(str))
    out = []
    for r in audit[audit["check"] == "shared_count"].to_dict("records"):
        role = "received" if not is_missing(r["denominator"]) else "closed"
        count = r["denominator"] if role == "received" else r["numerator"]
        rates = [by_id.loc[str(c)] for c in (r["claim_id"], r["related_claim_id"])]
        shown = " and ".join(
            f"{labels.get(str(rate['indicator']), _channel(rate['indicator']))} {rate['value_text']} in channel {_channel(rate['channel'])}"
            for rate in rates
        )
        bases = [str(rate["rate_base"]) for rate in rates]
        if bases[0] != bases[1]:
            why = (
                f"both can hold even if the two counts are the same matters, because the rates have different "
                f"bases ({' and '.join(RATE_BASE_WORDS.get(b, b) for b in bases)})"
            )
        else:
            why = "the rates would conflict only if both statistics counted the same matters, which no claim says"
        out.append(
            Finding(
                f"{names.get(str(r['district_code']), r['district_code'])} reports {int(count)} matters {role} in two "
                f"statistics, with {shown}: no conflict, as {why}.",
                _ids(r["denominator_claim_id"], r["numerator_claim_id"], r["claim_id"], r["related_claim_id"]),
                "note",
            )
        )
    return out


def key_findings(claims: pd.DataFrame, resolution: pd.DataFrame, participation: pd.DataFrame, audit: pd.DataFrame) -> list[Finding]:
    """The study's key findings from its derived tables (``datasets.load``): audit, resolution, participation,
    notes, in that order. Every sentence names the claim ids behind it (``Finding.claim_ids``), except one that
    says the data hold nothing of its kind.

    >>> from governance_study import datasets
    >>> found = key_findings(*(datasets.load(n) for n in ("claims", "resolution", "participation", "audit")))
    >>> 5 <= len(found) <= 10 and all(f.claim_ids for f in found)
    True
    """
    return [
        *audit_findings(audit, claims),
        *resolution_finding(resolution, claims),
        *participation_findings(participation, claims),
        *note_findings(audit, claims),
    ]


def findings_about(findings: Iterable[Finding], claim_ids: Iterable[str]) -> list[Finding]:
    """The findings that rest on at least one of ``claim_ids`` (a district profile shows those about its own
    figures)."""
    wanted = {str(c) for c in claim_ids}
    return [f for f in findings if wanted.intersection(f.claim_ids)]


def findings_markdown(findings: Iterable[Finding]) -> str:
    """The findings as a Markdown list (for the README), each with its claim ids in code spans."""
    return "\n".join(f"- {f.text}" + (f" ({', '.join(f'`{c}`' for c in f.claim_ids)})" if f.claim_ids else "") for f in findings) + "\n"


#: The README's block of key findings lies between these two lines; ``governance-study findings --readme``
#: rewrites it from the derived data, and a test fails when it is stale.
README_START = "<!-- key-findings:start (generated by `governance-study findings --readme`; do not edit) -->"
README_END = "<!-- key-findings:end -->"


def readme_with_findings(readme: str, markdown: str) -> str:
    r"""``readme`` with the text between :data:`README_START` and :data:`README_END` replaced by ``markdown``.

    >>> text = "\n".join(["# x", README_START, "old", README_END, "rest", ""])
    >>> readme_with_findings(text, "- new\n").splitlines()[2]
    '- new'
    """
    if readme.count(README_START) != 1 or readme.count(README_END) != 1 or readme.index(README_START) > readme.index(README_END):
        raise ValueError(
            f"README.md must hold one line {README_START!r} and one line {README_END!r} around the key "
            "findings; add them where the findings belong"
        )
    head, rest = readme.split(README_START)
    _, tail = rest.split(README_END)
    return f"{head}{README_START}\n{markdown}{README_END}{tail}"
