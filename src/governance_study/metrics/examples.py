"""Small hand-built claims tables in the verified-claims layout, for doctests, tests and trying things out.

Not the study's data: the real table is ``data/raw/claims.csv`` verified and joined with the reference tables.
:func:`heping_2023` copies the figures of one real article (tjxfw-heping-2023-12-16) so that examples show
real findings; :func:`invented_district` makes up figures for a second district, labelled as invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from governance_study.metrics.grouping import CLAIM_COLUMNS

#: family, kind and role of the indicators used in examples (as in ``data/raw/reference/indicators.csv``).
INDICATOR_ROLES: dict[str, tuple[str, str, str]] = {
    "requests_received": ("resolution", "count", "received"),
    "requests_closed": ("resolution", "count", "closed"),
    "whistle_calls": ("resolution", "count", "received"),
    "requesters": ("resolution", "count", "none"),
    "acceptance_rate": ("resolution", "rate", "rate"),
    "closure_rate": ("resolution", "rate", "rate"),
    "on_time_closure_rate": ("resolution", "rate", "rate"),
    "solution_rate": ("resolution", "rate", "rate"),
    "satisfaction_rate": ("resolution", "rate", "rate"),
    "cadres_sent_down": ("participation", "count", "none"),
    "cadres_in_grids": ("participation", "count", "none"),
    "volunteer_participations": ("participation", "count", "none"),
    "grids": ("capacity", "count", "none"),
    "grid_workers": ("capacity", "count", "none"),
    "part_time_grid_workers": ("capacity", "count", "none"),
    "cadres_in_villages": ("participation", "count", "none"),
    "councils": ("capacity", "count", "none"),
    "enterprises_served": ("outreach", "count", "none"),
}

#: rate_base, is_closing_rate and is_per_resident_comparable of those indicators (as in indicators.csv);
#: indicators not listed are counts that may be divided per resident when their family is participation or
#: capacity (``tests`` check both tables against indicators.csv).
INDICATOR_RULES: dict[str, tuple[str | None, bool, bool]] = {
    "acceptance_rate": ("received", False, False),
    "closure_rate": ("received", True, False),
    "on_time_closure_rate": ("due", True, False),
    "solution_rate": ("received", True, False),
    "satisfaction_rate": ("surveyed", False, False),
    "cadres_in_villages": (None, False, False),
    "councils": (None, False, False),
}

#: channel -> channel_family (as in ``data/raw/reference/channels.csv``).
CHANNEL_FAMILIES: dict[str, str] = {
    "grid": "grid",
    "petition": "petition",
    "mediation_centre": "mediation",
    "enterprise_service": "enterprise",
    "whistle": "whistle",
    "platform": "platform",
    "community": "community",
    "department": "department",
    "district_leadership": "district",
    "multi_channel": "multi",
    "volunteering": "volunteering",
    "publicity": "publicity",
    "general": "general",
}

#: Columns of an example claims table: the metrics' input interface and the text columns a report shows.
COLUMNS: tuple[str, ...] = (*CLAIM_COLUMNS, "quote", "period_rule", "note", "published", "outlet")

_MULTIPLIERS = {"万": 10_000, "亿": 100_000_000}


def _value_of(value_text: str) -> float:
    """Digits of ``value_text`` times 万/亿 if present: enough for examples (the real parser is numerals.py)."""
    match = re.search(r"(\d+(?:\.\d+)?)(万|亿)?", value_text)
    if match is None:
        raise ValueError(f"example value_text {value_text!r} has no digits: pass value= explicitly")
    return float(match.group(1)) * _MULTIPLIERS.get(match.group(2) or "", 1)


def claim(
    claim_id: str,
    indicator: str,
    value_text: str,
    *,
    group_id: str | None = None,
    district_code: str = "120101",
    channel: str = "general",
    bound: str = "exact",
    unit: str | None = None,
    value: float | None = None,
    source_id: str = "example-source",
    subunit: str | None = None,
    period_start: str | None = "2023-01-01",
    period_end: str = "2023-09-30",
) -> dict[str, Any]:
    """One claim as a dict; family, kind and role follow from ``indicator``, the channel family from ``channel``,
    ``value`` from ``value_text`` and ``unit`` from its last character.

    >>> claim("x-rate", "closure_rate", "89.9%")["value"]
    89.9
    """
    family, kind, role = INDICATOR_ROLES[indicator]
    base, closing, per_resident = INDICATOR_RULES.get(indicator, (None, False, family in ("participation", "capacity")))
    return {
        "claim_id": claim_id,
        "source_id": source_id,
        "district_code": district_code,
        "subunit": subunit,
        "indicator": indicator,
        "family": family,
        "kind": kind,
        "role": role,
        "rate_base": base,
        "is_closing_rate": closing,
        "is_per_resident_comparable": per_resident,
        "channel": channel,
        "channel_family": CHANNEL_FAMILIES[channel],
        "value": _value_of(value_text) if value is None else float(value),
        "value_text": value_text,
        "bound": bound,
        "unit": unit if unit is not None else value_text[-1],
        "quote": value_text,
        "period_start": period_start,
        "period_end": period_end,
        "period_rule": None,
        "group_id": group_id,
        "note": None,
        "published": period_end,
        "outlet": None,
    }


def claims_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """A claims table with the interface's columns and dtypes (text as nullable strings, ``value`` float64).

    >>> claims_frame([claim("a", "grids", "1475个")]).dtypes["value"]
    dtype('float64')
    """
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for column in COLUMNS:
        if column in ("is_closing_rate", "is_per_resident_comparable"):
            frame[column] = frame[column].astype(bool)
        elif column != "value":
            frame[column] = frame[column].astype("string")
    frame["value"] = frame["value"].astype("float64")
    return frame


def heping_2023() -> pd.DataFrame:
    """The resolution figures of tjxfw-heping-2023-12-16 (Heping, 2023 to the third quarter), grouped as
    statistics: petition visits, mediation centre, grid, enterprise service and whistle-blowing. The whistle
    calls (次) and problems solved (个) stay in one group here, as an example of the unit mismatch the audit
    reports; ``check`` refuses such a group in the curated data, where they are two statistics.

    >>> len(heping_2023())
    15
    """
    src = "tjxfw-heping-2023-12-16"
    return claims_frame(
        [
            claim("hp-petition-received", "requests_received", "657件", group_id="hp-petition", channel="petition", source_id=src),
            claim("hp-petition-acceptance", "acceptance_rate", "100%", group_id="hp-petition", channel="petition", source_id=src),
            claim("hp-petition-on-time-closure", "on_time_closure_rate", "100%", group_id="hp-petition", channel="petition", source_id=src),
            claim(
                "hp-mediation-received", "requests_received", "657件", group_id="hp-mediation", channel="mediation_centre", source_id=src
            ),
            claim("hp-mediation-closed", "requests_closed", "591件", group_id="hp-mediation", channel="mediation_centre", source_id=src),
            claim("hp-mediation-closure", "closure_rate", "89.9%", group_id="hp-mediation", channel="mediation_centre", source_id=src),
            claim("hp-grid-workers", "grid_workers", "864名", source_id=src),
            claim("hp-grid-received", "requests_received", "821件", group_id="hp-grid", channel="grid", source_id=src),
            claim("hp-grid-acceptance", "acceptance_rate", "100%", group_id="hp-grid", channel="grid", source_id=src),
            claim("hp-grid-closure", "closure_rate", "94.6%", group_id="hp-grid", channel="grid", source_id=src),
            claim(
                "hp-enterprise-solved", "requests_closed", "577个", group_id="hp-enterprise", channel="enterprise_service", source_id=src
            ),
            claim(
                "hp-enterprise-solution", "solution_rate", "98.27%", group_id="hp-enterprise", channel="enterprise_service", source_id=src
            ),
            claim(
                "hp-enterprise-satisfaction",
                "satisfaction_rate",
                "99.75%",
                group_id="hp-enterprise",
                channel="enterprise_service",
                source_id=src,
            ),
            claim("hp-whistle-calls", "whistle_calls", "215次", group_id="hp-whistle", channel="whistle", source_id=src),
            claim("hp-whistle-solved", "requests_closed", "183个", group_id="hp-whistle", channel="whistle", source_id=src),
        ]
    )


def invented_district(district_code: str = "120116", received: int = 400, closed: int = 352, channel: str = "grid") -> pd.DataFrame:
    """An INVENTED statistic (received, closed) for another district, so that examples can compare districts.

    >>> invented_district()["value"].tolist()
    [400.0, 352.0]
    """
    key = f"invented-{district_code}-{channel}"
    return claims_frame(
        [
            claim(
                f"{key}-received",
                "requests_received",
                f"{received}件",
                group_id=key,
                channel=channel,
                district_code=district_code,
                source_id="invented",
            ),
            claim(
                f"{key}-closed",
                "requests_closed",
                f"{closed}件",
                group_id=key,
                channel=channel,
                district_code=district_code,
                source_id="invented",
            ),
        ]
    )
