"""Selections: which rows a report's parameters name, and which claims stand behind what it shows.

Pure functions, DataFrame in, DataFrame out. Grain: as each function says; a requested district or channel
without data is an error that names it and lists what exists (a selection never drops a name silently).
:func:`attempt` runs a domain function that may refuse (a comparison the data cannot support) and keeps its
reason for the report, so a notebook calls :mod:`governance_study.metrics` directly and still reads in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from governance_study.report.wording import plain_reason


def district_codes(names: Sequence[str] | str | None, districts: pd.DataFrame) -> list[str] | None:
    """Codes for the districts a parameter names (codes, Chinese/English/pinyin names or aliases).

    An empty list (or None) means every district: returns None. Unknown names raise ValueError listing the
    valid ones.
    """
    from governance_study.verify.gazetteer import resolve_district

    if names is None or (not isinstance(names, str) and len(names) == 0):
        return None
    if isinstance(names, str):
        names = [names]
    return list(dict.fromkeys(resolve_district(str(n), districts) for n in names))


def require_districts(frame: pd.DataFrame, codes: Sequence[str] | None, districts: pd.DataFrame, what: str) -> None:
    """Raise ValueError when a requested district has no row in ``frame``, naming it and listing the districts
    that have one: a parameter such as ``districts: [Nankai, Heping]`` must not silently drop Nankai."""
    if codes is None:
        return
    present = set(frame["district_code"].astype(str))
    missing = [c for c in codes if c not in present]
    if missing:
        names = dict(zip(districts["district_code"].astype(str), districts["name_en"].astype(str)))
        show = lambda cs: ", ".join(f"{names.get(c, c)} ({c})" for c in cs)  # noqa: E731
        raise ValueError(f"no {what} for {show(missing)} in the data; districts with {what}: {show(sorted(present)) or 'none'}")


def select_districts(frame: pd.DataFrame, codes: Sequence[str] | None, column: str = "district_code") -> pd.DataFrame:
    """Rows of ``frame`` for ``codes`` (None: all rows)."""
    if codes is None:
        return frame.reset_index(drop=True)
    return frame[frame[column].astype(str).isin(list(codes))].reset_index(drop=True)


def select_channels(resolution: pd.DataFrame, channels: Sequence[str] | str | None) -> pd.DataFrame:
    """Statistics of the named channels or channel families (empty: all). Unknown names raise ValueError."""
    if channels is None or (not isinstance(channels, str) and len(channels) == 0):
        return resolution.reset_index(drop=True)
    if isinstance(channels, str):
        channels = [channels]
    known_channels = set(resolution["channel"].dropna().astype(str))
    known_families = set(resolution["channel_family"].dropna().astype(str))
    unknown = [c for c in channels if c not in known_channels | known_families]
    if unknown:
        raise ValueError(
            f"no resolution statistic in channel(s) {', '.join(map(repr, unknown))} for this selection: give channels "
            f"that have one ({', '.join(sorted(known_channels)) or 'none'}) or channel families "
            f"({', '.join(sorted(known_families)) or 'none'})"
        )
    mask = resolution["channel"].astype(str).isin(channels) | resolution["channel_family"].astype(str).isin(channels)
    return resolution[mask].reset_index(drop=True)


def with_district_names(frame: pd.DataFrame, districts: pd.DataFrame, column: str = "district_code") -> pd.DataFrame:
    """``frame`` with ``district_name_zh``, ``district_name_en`` and ``district_pinyin`` (added where missing)."""
    names = districts.set_index("district_code")
    out = frame.copy()
    for target, source in (("district_name_zh", "name_zh"), ("district_name_en", "name_en"), ("district_pinyin", "name_pinyin")):
        if target not in out.columns:
            out[target] = out[column].astype(str).map(names[source])
    return out


def select(
    table: pd.DataFrame,
    gazetteer: pd.DataFrame,
    *,
    districts: Sequence[str] | str | None = None,
    channels: Sequence[str] | str | None = None,
    what: str = "figure",
    require: bool = True,
) -> pd.DataFrame:
    """The rows of a metric table (one row per statistic or claim, with ``district_code``) for the districts and
    channels a report asks for (empty: all), with the district names added. A requested district without rows
    raises ValueError naming it and listing the districts that have ``what`` (unless ``require`` is false, for a
    table a report shows beside its main one); so does an unknown channel."""
    codes = district_codes(districts, gazetteer)
    if require:
        require_districts(table, codes, gazetteer, what)
    chosen = select_districts(table, codes)
    if channels is not None and "channel_family" in chosen.columns:
        chosen = select_channels(chosen, channels)
    return with_district_names(chosen, gazetteer)


def claim_id_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that hold claim ids (``claim_id``, ``*_claim_id``)."""
    return [c for c in frame.columns if c == "claim_id" or c.endswith("_claim_id") or c.startswith("claim_id")]


def claims_behind(claims: pd.DataFrame, *tables: Any) -> pd.DataFrame:
    """The claims whose ids appear in any ``*claim_id`` column of ``tables`` (DataFrames), or behind any finding
    of a list of key findings: the quotes behind the numbers a report shows."""
    ids: set[str] = set()
    for table in tables:
        if not isinstance(table, pd.DataFrame):
            ids |= {str(c) for finding in table for c in finding.claim_ids}
            continue
        for column in claim_id_columns(table):
            ids |= {str(v) for v in table[column].dropna()}
    return claims[claims["claim_id"].astype(str).isin(ids)].reset_index(drop=True)


def indicator_labels(claims: pd.DataFrame) -> dict[str, str]:
    """indicator id -> English label, from the claims table."""
    pairs = claims[["indicator", "indicator_label_en"]].dropna().drop_duplicates("indicator")
    return dict(zip(pairs["indicator"].astype(str), pairs["indicator_label_en"].astype(str)))


@dataclass(frozen=True)
class Outcome:
    """What a domain function gave (``result``), or, when the data cannot support it, why (``reason``)."""

    result: Any | None
    reason: str | None = None


def attempt(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Call a metrics function; a refusal (:class:`~governance_study.metrics.ComparisonError`) becomes the
    outcome's reason in plain words, any other error propagates.

    >>> from governance_study.metrics import fit_glm
    >>> from governance_study.metrics.examples import heping_2023
    >>> from governance_study.metrics import resolution_table
    >>> attempt(fit_glm, resolution_table(heping_2023())).reason.startswith("only 1 district")
    True
    """
    from governance_study.metrics import ComparisonError

    try:
        return Outcome(function(*args, **kwargs))
    except ComparisonError as exc:
        return Outcome(None, plain_reason(exc))


@dataclass
class Profile:
    """Everything the derived tables hold about one district (or the city as a whole): its claims and its rows
    of the resolution, participation, ratio and audit tables, with its sources."""

    code: str
    name_zh: str
    name_en: str
    pinyin: str
    population: int
    claims: pd.DataFrame
    resolution: pd.DataFrame
    participation: pd.DataFrame
    ratios: pd.DataFrame
    audit: pd.DataFrame
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def title(self) -> str:
        return f"{self.name_zh} {self.name_en} ({self.code})"


def district_profile(
    district: str,
    gazetteer: pd.DataFrame,
    *,
    claims: pd.DataFrame,
    resolution: pd.DataFrame,
    participation: pd.DataFrame,
    ratios: pd.DataFrame,
    audit: pd.DataFrame,
    sources: pd.DataFrame | None = None,
) -> Profile:
    """One district's rows of the derived tables (``datasets.load``), the district given by code, Chinese,
    English or pinyin name or alias. Nothing is recomputed: a profile shows the study's published figures."""
    from governance_study.verify.gazetteer import resolve_district

    code = resolve_district(str(district), gazetteer)
    row = gazetteer[gazetteer["district_code"].astype(str) == code].iloc[0]
    own = claims[claims["district_code"].astype(str) == code].reset_index(drop=True)
    return Profile(
        code=code,
        name_zh=str(row["name_zh"]),
        name_en=str(row["name_en"]),
        pinyin=str(row["name_pinyin"]),
        population=int(row["population_2020"]),
        claims=own,
        resolution=with_district_names(select_districts(resolution, [code]), gazetteer),
        participation=with_district_names(select_districts(participation, [code]), gazetteer),
        ratios=with_district_names(select_districts(ratios, [code]), gazetteer),
        audit=select_districts(audit, [code]),
        sources=pd.DataFrame() if sources is None else sources[sources["source_id"].isin(set(own["source_id"]))].reset_index(drop=True),
    )
