"""Claims grouped into statistics: the received count, closed count and reported rates that describe one thing.

A *statistic* is one ``group_id`` of the claims table, or a single claim without ``group_id`` (it stands alone,
and its ``claim_id`` serves as its key, ``statistic_id``). The resolution table and the audit both read
statistics, so the rules that pick a statistic's parts live here, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Columns of the verified claims table that the metrics read (the fixed input interface). ``rate_base``,
#: ``is_closing_rate`` and ``is_per_resident_comparable`` carry the vocabulary's rules (indicators.csv) into the
#: metrics, so that what a measure may be compared with is decided by data, not by lists in the code.
CLAIM_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "source_id",
    "district_code",
    "subunit",
    "indicator",
    "family",
    "kind",
    "role",
    "rate_base",
    "is_closing_rate",
    "is_per_resident_comparable",
    "channel",
    "channel_family",
    "value",
    "value_text",
    "bound",
    "unit",
    "period_start",
    "period_end",
    "group_id",
)

#: The base of a rate that is a share of the statistic's own received count: only such a rate can be checked
#: against that count, and only a closing rate with this base implies a closed count (and gets an interval).
RECEIVED_BASE = "received"


def indicator_words(indicator: str) -> str:
    """An indicator id in words for a sentence ("on_time_closure_rate" -> "on-time closure rate").

    >>> indicator_words("on_time_closure_rate")
    'on-time closure rate'
    """
    return str(indicator).replace("on_time", "on-time").replace("_", " ")


def is_closing(claim: dict[str, Any]) -> bool:
    """Whether a rate claim measures closing or solving (closure, on-time closure, solution rate).

    >>> is_closing({"is_closing_rate": "True"}), is_closing({"is_closing_rate": False})
    (True, False)
    """
    return str(claim.get("is_closing_rate")).lower() == "true"


def is_share_of_received(claim: dict[str, Any]) -> bool:
    """Whether a rate claim is a share of its statistic's received count (``rate_base`` received).

    >>> is_share_of_received({"rate_base": "received"}), is_share_of_received({"rate_base": "due"})
    (True, False)
    """
    return claim.get("rate_base") == RECEIVED_BASE


#: Bounds under which a count is a value rather than a limit (see claims.md).
EXACT = "exact"


class ClaimsError(ValueError):
    """The claims table cannot be read as statistics (missing columns, a group with two closed counts, ...)."""


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...] | list[str], table: str) -> None:
    """Raise :class:`ClaimsError` naming every column of ``columns`` missing from ``frame``.

    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "claims")
    Traceback (most recent call last):
    ...
    governance_study.metrics.grouping.ClaimsError: claims is missing column(s) b; present: a
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ClaimsError(f"{table} is missing column(s) {', '.join(missing)}; present: {', '.join(map(str, frame.columns))}")


def clean(value: Any) -> Any:
    """``None`` for every missing marker (NA, NaN, NaT, and the empty string a CSV cell leaves), else the value.

    >>> clean(pd.NA) is None, clean(float("nan")) is None, clean("  ") is None, clean("x")
    (True, True, True, 'x')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def as_count(value: Any, claim_id: str) -> int | None:
    """A count as an ``int`` (counts of matters are whole numbers); None when missing.

    >>> as_count(657.0, "x")
    657
    """
    value = clean(value)
    if value is None:
        return None
    number = float(value)
    if not number.is_integer() or number < 0:
        raise ClaimsError(f"claim {claim_id}: count value {value!r} is not a whole number of at least 0")
    return int(number)


def records(claims: pd.DataFrame, columns: tuple[str, ...] | list[str] | None = None) -> list[dict[str, Any]]:
    """The claims (only ``columns``, if given) as plain dicts with ``None`` for missing values: fast to loop
    over, and no NA surprises in comparisons.

    >>> records(pd.DataFrame({"claim_id": ["a"], "group_id": [pd.NA]}))
    [{'claim_id': 'a', 'group_id': None}]
    """
    names = list(claims.columns) if columns is None else [c for c in columns if c in claims.columns]
    # Column by column: DataFrame.to_dict("records") boxes every cell and was most of the audit's run time.
    values = [[clean(v) for v in claims[name].astype(object).tolist()] for name in names]
    return [dict(zip(names, row)) for row in zip(*values)]


@dataclass
class Statistic:
    """One statistic: the claims sharing a ``group_id`` (or one claim standing alone) and their roles."""

    statistic_id: str
    group_id: str | None
    claims: list[dict[str, Any]] = field(default_factory=list)
    received: dict[str, Any] | None = None
    closed: dict[str, Any] | None = None
    rates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def closing_rate(self) -> dict[str, Any] | None:
        """The statistic's closure, on-time closure or solution rate claim, if it reports one."""
        closing = [r for r in self.rates if is_closing(r)]
        return closing[0] if closing else None

    @property
    def is_resolution(self) -> bool:
        """Whether the statistic carries a count or a rate of closing (the resolution table's grain)."""
        return self.closed is not None or self.closing_rate is not None

    def first(self, column: str) -> Any:
        """The first non-missing value of ``column`` among the statistic's claims (rate, closed, received first)."""
        ordered = [c for c in (self.closing_rate, self.closed, self.received) if c is not None] + self.claims
        for claim in ordered:
            if claim.get(column) is not None:
                return claim[column]
        return None


def group_statistics(claims: pd.DataFrame) -> list[Statistic]:
    """Group the verified claims into statistics, sorted by district code and ``statistic_id``.

    One statistic per ``group_id``, plus one per claim without ``group_id``. Within a statistic, the claim with
    role ``received`` is its received count, ``closed`` its closed count, ``rate`` its reported rates.
    Raises :class:`ClaimsError` when a statistic mixes districts, sources or channels, or has two received
    counts, two closed counts or two closing rates: each would make "the" rate of the statistic ambiguous.

    >>> claims = pd.DataFrame({
    ...     "claim_id": ["a-in", "a-out", "b"], "group_id": ["a", "a", pd.NA],
    ...     "role": ["received", "closed", "none"], "indicator": ["requests_received", "requests_closed", "grids"],
    ...     "district_code": ["120101"] * 3, "source_id": ["s"] * 3, "channel": ["grid", "grid", "general"]})
    >>> [(s.statistic_id, s.received["claim_id"] if s.received else None) for s in group_statistics(claims)]
    [('a', 'a-in'), ('b', None)]
    """
    require_columns(claims, ["claim_id", "group_id", "role", "indicator", "district_code", "source_id", "channel"], "claims")
    by_key: dict[str, Statistic] = {}
    for claim in records(claims, CLAIM_COLUMNS):
        key = claim["group_id"] if claim["group_id"] is not None else claim["claim_id"]
        stat = by_key.setdefault(key, Statistic(statistic_id=key, group_id=claim["group_id"]))
        stat.claims.append(claim)
        role = claim["role"]
        if role in ("received", "closed"):
            if getattr(stat, role) is not None:
                raise ClaimsError(
                    f"group {key}: two {role} counts ({getattr(stat, role)['claim_id']}, {claim['claim_id']}); "
                    f"a statistic has one {role} count: split the group or drop one claim from it"
                )
            setattr(stat, role, claim)
        elif role == "rate":
            stat.rates.append(claim)
    for stat in by_key.values():
        _check_consistent(stat)
    return sorted(by_key.values(), key=lambda s: (str(s.first("district_code")), s.statistic_id))


def _check_consistent(stat: Statistic) -> None:
    for column in ("district_code", "source_id", "channel"):
        values = sorted({str(c[column]) for c in stat.claims if c.get(column) is not None})
        if len(values) > 1:
            ids = ", ".join(c["claim_id"] for c in stat.claims)
            raise ClaimsError(
                f"group {stat.statistic_id}: claims {ids} disagree on {column} ({', '.join(values)}); "
                "the claims of one statistic describe one district, source and channel"
            )
    closing = [r["claim_id"] for r in stat.rates if is_closing(r)]
    if len(closing) > 1:
        raise ClaimsError(
            f"group {stat.statistic_id}: two closing rates ({', '.join(closing)}); a statistic has at most one "
            "closure or solution rate: split the group"
        )
