"""Resolution: how much of what residents raised was closed, one row per statistic, with an interval.

The rate of a statistic comes from the best basis the article allows (``rate_derivation``):

- ``recomputed``: both counts are exact and in the same unit: ``rate = closed / received``;
- ``implied``: only the received count and a reported closing rate whose base is that count (``rate_base``
  received) are known; ``consistent_closed_min..max`` are the integers k consistent with the reported text
  (under half-up rounding or truncation, see :mod:`.grim`). The interval is the union of the intervals of every
  such k (from the lower limit at the smallest to the upper limit at the largest), so it does not pretend to
  know which k it was; the point estimate uses the k nearest to ``reported * received`` (for 94.6% of 821 only
  777 fits). A closing rate with another base (an on-time closure rate is a share of the matters that fell
  due) implies no closed count: it is ``reported``;
- ``reported``: the reported rate alone (no denominator, so no interval);
- ``none``: a closed count without a usable rate (a bound such as 9.5万余件, or units that differ).

Intervals: :func:`proportion_interval` (statsmodels ``proportion_confint``, Wilson 1927 by default).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import pandas as pd

from governance_study.metrics import grim
from governance_study.metrics.grouping import (
    CLAIM_COLUMNS,
    EXACT,
    Statistic,
    as_count,
    group_statistics,
    indicator_words,
    is_share_of_received,
    require_columns,
)
from governance_study.metrics.schemas import ResolutionSchema
from governance_study.vocabulary import RATE_BASE_WORDS

#: Interval methods of ``statsmodels.stats.proportion.proportion_confint`` (its own names).
CI_METHODS: tuple[str, ...] = ("wilson", "beta", "agresti_coull", "jeffreys", "normal", "binom_test")

#: Output columns, in order (documented in :func:`resolution_table`).
# fmt: off
RESOLUTION_COLUMNS: tuple[str, ...] = (
    "statistic_id", "group_id", "district_code", "subunit", "channel", "channel_family", "source_id",
    "period_start", "period_end",
    "received", "received_bound", "unit_received", "received_indicator", "received_claim_id",
    "closed", "closed_bound", "unit_closed", "closed_claim_id",
    "rate_indicator", "rate_claim_id", "reported_rate_text", "reported_rate_pct", "rules_consistent",
    "consistent_closed_min", "consistent_closed_max", "consistent_received_min", "consistent_received_max",
    "closed_used", "received_used", "rate_pct", "ci_low_pct", "ci_high_pct", "ci_method", "ci_level_pct",
    "rate_derivation", "has_unit_mismatch", "has_closed_above_received", "has_bounded_count", "note",
)
# fmt: on

# fmt: off
_INT_COLUMNS = ("received", "closed", "consistent_closed_min", "consistent_closed_max",
                "consistent_received_min", "consistent_received_max", "closed_used", "received_used")
# fmt: on
_FLOAT_COLUMNS = ("reported_rate_pct", "rate_pct", "ci_low_pct", "ci_high_pct", "ci_level_pct")
_BOOL_COLUMNS = ("has_unit_mismatch", "has_closed_above_received", "has_bounded_count")


def proportion_interval(count: float, nobs: int, *, ci_method: str = "wilson", alpha: float = 0.05) -> tuple[float, float]:
    """Two-sided ``1 - alpha`` confidence interval for a proportion ``count / nobs``, as proportions in [0, 1].

    Formula: statsmodels ``proportion_confint(count, nobs, alpha=alpha, method=method)``, clipped to [0, 1].
    At ``count == 0`` the lower limit is 0 and at ``count == nobs`` the upper limit is 1 for every method: the
    boundary modification of Brown, Cai & DasGupta (2001, Statistical Science 16(2): 101-133), without which
    the Jeffreys interval of 5/5 would end below the point estimate 1.
    Reference: Wilson (1927), JASA 22(158): 209-212; statsmodels ``proportion_confint``.

    >>> low, high = proportion_interval(591, 657)
    >>> round(low, 4), round(high, 4)
    (0.8742, 0.9203)
    """
    from statsmodels.stats.proportion import proportion_confint  # lazy: keeps `import governance_study` light

    if ci_method not in CI_METHODS:
        raise ValueError(f"unknown interval method {ci_method!r}: use one of {', '.join(CI_METHODS)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    if nobs < 1 or not 0 <= count <= nobs:
        raise ValueError(f"need 0 <= count <= nobs and nobs >= 1, got count={count!r}, nobs={nobs!r}")
    low, high = proportion_confint(count, nobs, alpha=alpha, method=ci_method)
    low, high = max(0.0, float(low)), min(1.0, float(high))
    if count == 0:
        low = 0.0
    if count == nobs:
        high = 1.0
    return low, high


def wilson_interval(count: float, nobs: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for ``count / nobs`` (proportions in [0, 1]).

    Formula, with p = count/nobs, n = nobs and z the 1 - alpha/2 normal quantile::

        (p + z^2/(2n) -/+ z * sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)

    Reference: Wilson (1927), "Probable inference, the law of succession, and statistical inference", JASA
    22(158): 209-212; computed by statsmodels ``proportion_confint(method="wilson")``.

    >>> [round(x, 4) for x in wilson_interval(777, 821)]
    [0.9288, 0.9598]
    """
    return proportion_interval(count, nobs, ci_method="wilson", alpha=alpha)


def resolution_table(claims: pd.DataFrame, *, ci_method: str = "wilson", alpha: float = 0.05) -> pd.DataFrame:
    """Resolution statistics. One row per statistic (``group_id``, or lone claim) that carries a closed count or a
    closing rate (closure or solution rate), sorted by ``district_code`` and ``statistic_id``.

    Columns (counts are nullable integers, ``_pct`` are percentages 0..100):

    - ``statistic_id``: ``group_id``, or the ``claim_id`` of a claim standing alone; ``group_id`` as written
      (missing for a lone claim); ``district_code, subunit, channel, channel_family, source_id,
      period_start, period_end``: of the statistic's claims.
    - ``received, received_bound, unit_received, received_indicator, received_claim_id``: the received count
      (role ``received``); ``closed, closed_bound, unit_closed, closed_claim_id``: the closed count.
    - ``rate_indicator, rate_claim_id, reported_rate_text`` (the digits as written, "89.9"),
      ``reported_rate_pct``: the reported closing rate.
    - ``rules_consistent``: which rounding rules turn the reported closed/received into the reported text
      ("half_up", "truncate", "half_up, truncate", "none"); missing when not checkable.
    - ``consistent_closed_min/max``: closed counts k with k/received giving the reported text under either
      rule (Brown & Heathers 2017); ``consistent_received_min/max``: received counts n with closed/n giving it.
    - ``closed_used, received_used``: the counts the interval is computed from; ``rate_pct = 100 * closed_used /
      received_used`` (or the reported rate when there are no counts); ``ci_low_pct, ci_high_pct, ci_method,
      ci_level_pct``: the interval.
    - ``rate_derivation``: recomputed, implied, reported or none (module docstring).
    - ``has_unit_mismatch`` (received and closed counted in different units, e.g. 215 whistle calls 次 and 183
      problems 个), ``has_closed_above_received``, ``has_bounded_count`` (a count is a bound such as 9.5万余);
      ``note``: what a reader must know about the row, in words.

    Formula: ``rate = closed / received``; interval :func:`proportion_interval` with ``ci_method`` and ``alpha``.
    Reference: Wilson (1927) / statsmodels ``proportion_confint``; Brown & Heathers (2017) for consistency.

    >>> claims = pd.DataFrame({
    ...     "claim_id": ["m-in", "m-out", "m-rate"], "source_id": ["s"] * 3, "district_code": ["120101"] * 3,
    ...     "subunit": [pd.NA] * 3, "indicator": ["requests_received", "requests_closed", "closure_rate"],
    ...     "family": ["resolution"] * 3, "kind": ["count", "count", "rate"], "role": ["received", "closed", "rate"],
    ...     "rate_base": [None, None, "received"], "is_closing_rate": [False, False, True],
    ...     "is_per_resident_comparable": [False] * 3, "channel": ["mediation_centre"] * 3, "channel_family": ["mediation"] * 3, "value": [657.0, 591.0, 89.9],
    ...     "value_text": ["657件", "591件", "89.9%"], "bound": ["exact"] * 3, "unit": ["件", "件", "%"],
    ...     "period_start": ["2023-01-01"] * 3, "period_end": ["2023-09-30"] * 3, "group_id": ["m"] * 3})
    >>> row = resolution_table(claims).iloc[0]
    >>> row["rate_derivation"], round(float(row["rate_pct"]), 3), row["rules_consistent"]
    ('recomputed', 89.954, 'truncate')
    """
    require_columns(claims, CLAIM_COLUMNS, "claims")
    if ci_method not in CI_METHODS:
        raise ValueError(f"unknown interval method {ci_method!r}: use one of {', '.join(CI_METHODS)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    rows = [_resolution_row(stat, ci_method, alpha) for stat in group_statistics(claims) if stat.is_resolution]
    table = pd.DataFrame(rows, columns=list(RESOLUTION_COLUMNS))
    for column in _INT_COLUMNS:
        table[column] = pd.array(table[column].tolist(), dtype="Int64")
    for column in _FLOAT_COLUMNS:
        table[column] = pd.array(table[column].tolist(), dtype="Float64").astype("float64")
    for column in _BOOL_COLUMNS:
        table[column] = table[column].astype(bool)
    for column in set(RESOLUTION_COLUMNS) - set(_INT_COLUMNS) - set(_FLOAT_COLUMNS) - set(_BOOL_COLUMNS):
        table[column] = table[column].astype("string")
    return ResolutionSchema.validate(table)


def _resolution_row(stat: Statistic, method: str, alpha: float) -> dict[str, Any]:
    received, closed, rate = stat.received, stat.closed, stat.closing_rate
    n = as_count(received["value"], received["claim_id"]) if received else None
    k = as_count(closed["value"], closed["claim_id"]) if closed else None
    n_exact = n if received and received["bound"] == EXACT and n >= 1 else None
    k_exact = k if closed and closed["bound"] == EXACT else None
    unit_mismatch = bool(received and closed and received["unit"] != closed["unit"])
    above = bool(n is not None and k is not None and not unit_mismatch and k > n)
    bounded = any(c is not None and c["bound"] != EXACT for c in (received, closed))
    notes: list[str] = []

    rate_text = _rate_text(rate, notes) if rate else None
    rules_text = None
    closed_range = received_range = (None, None)
    share_of_received = rate is not None and is_share_of_received(rate)
    if rate_text is not None and n_exact is not None and share_of_received:
        closed_range = _union_bounds([grim.numerator_bounds(rate_text, n_exact, r) for r in grim.RULES])
    if rate_text is not None and k_exact is not None and share_of_received:
        received_range = _received_range(rate_text, k_exact)
    if rate_text is not None and share_of_received and n_exact is not None and k_exact is not None and not unit_mismatch and not above:
        rules_text = grim.describe_rules(grim.rules_passed(rate_text, k_exact, n_exact))

    closed_used = received_used = None
    basis = "none"
    if unit_mismatch:
        notes.append(
            f"Received ({_show(received)}) and closed ({_show(closed)}) are counted in different units, so "
            "closed/received is not a closing rate."
        )
    elif above:
        notes.append(f"Closed ({k}) exceeds received ({n}): no rate is computed; see the audit.")
    elif n_exact is not None and k_exact is not None:
        # both counts give the closure of what was received, whatever else the article reports beside them
        closed_used, received_used, basis = k_exact, n_exact, "recomputed"
        if rate_text is not None and not share_of_received:
            notes.append(
                f"The reported {indicator_words(rate['indicator'])} {rate_text}% is a share of "
                f"{RATE_BASE_WORDS.get(str(rate.get('rate_base')), 'an unstated set')}, not of those received, so it is "
                f"not checked against {k_exact}/{n_exact}."
            )
        if rules_text == "none":
            notes.append(
                f"The reported {rate_text}% does not follow from {k_exact}/{n_exact} = "
                f"{grim.format_percent(k_exact, n_exact)} under half-up rounding or truncation."
            )
        elif rules_text == "truncate":
            notes.append(
                f"The reported {rate_text}% follows from {k_exact}/{n_exact} = "
                f"{grim.format_percent(k_exact, n_exact)} only by truncation (half-up gives "
                f"{grim.round_percent(k_exact, n_exact, grim.parse_percent(rate_text).decimals, 'half_up')}%)."
            )
    elif n_exact is not None and closed_range[0] is not None and k is None:
        closed_used, received_used, basis = _implied_count(rate_text, n_exact, closed_range), n_exact, "implied"
        lo, hi = closed_range
        span = (
            f"only {lo} fits"
            if lo == hi
            else f"{lo} to {hi} fit; the interval covers all of them, and the rate shown uses {closed_used}, "
            "the one nearest the reported rate"
        )
        notes.append(f"Closed count implied by the reported {rate_text}% of {n_exact} received: {span} (half-up rounding or truncation).")
    elif rate_text is not None:
        basis = "reported"
        if rate_text is not None and not share_of_received:
            notes.append(
                f"The reported {indicator_words(rate['indicator'])} {rate_text}% is a share of "
                f"{RATE_BASE_WORDS.get(str(rate.get('rate_base')), 'an unstated set')}, not of those received: it "
                "implies no closed count, so no interval."
            )
        elif n_exact is not None and closed_range[0] is None:
            notes.append(f"No whole number of closed matters out of {n_exact} gives the reported {rate_text}%.")
        elif n_exact is None:
            notes.append("No exact received count: the reported rate has no denominator, so no interval.")
    if bounded:
        notes.append(
            "A count is a bound ("
            + ", ".join(_show(c) for c in (received, closed) if c and c["bound"] != EXACT)
            + "), not a value: no rate is recomputed from it."
        )
    if rate_text is not None and k_exact is not None and n is None and share_of_received:
        if received_range[0] is None:
            notes.append(f"No whole number of received matters n gives {k_exact}/n = {rate_text}%.")
        else:
            notes.append(f"The received count is not reported; {k_exact}/n gives {rate_text}% for n = {_span(received_range)}.")

    if basis == "none" and rate_text is not None:
        basis = "reported"  # the counts cannot be used, but the article's own rate still stands as reported
    if basis == "none" and not notes:
        notes.append("Only a closed count is reported: without a received count or a rate there is no rate.")

    rate_pct = ci_low = ci_high = None
    ci_method = None
    if closed_used is not None:
        rate_pct = 100 * closed_used / received_used
        low_k, high_k = closed_range if basis == "implied" else (closed_used, closed_used)
        low = proportion_interval(low_k, received_used, ci_method=method, alpha=alpha)[0]
        high = proportion_interval(high_k, received_used, ci_method=method, alpha=alpha)[1]
        ci_low, ci_high, ci_method = 100 * low, 100 * high, method
    elif basis == "reported":
        rate_pct = float(rate["value"])

    return {
        "statistic_id": stat.statistic_id,
        "group_id": stat.group_id,
        "district_code": stat.first("district_code"),
        "subunit": stat.first("subunit"),
        "channel": stat.first("channel"),
        "channel_family": stat.first("channel_family"),
        "source_id": stat.first("source_id"),
        "period_start": stat.first("period_start"),
        "period_end": stat.first("period_end"),
        "received": n,
        "received_bound": received["bound"] if received else None,
        "unit_received": received["unit"] if received else None,
        "received_indicator": received["indicator"] if received else None,
        "received_claim_id": received["claim_id"] if received else None,
        "closed": k,
        "closed_bound": closed["bound"] if closed else None,
        "unit_closed": closed["unit"] if closed else None,
        "closed_claim_id": closed["claim_id"] if closed else None,
        "rate_indicator": rate["indicator"] if rate else None,
        "rate_claim_id": rate["claim_id"] if rate else None,
        "reported_rate_text": rate_text,
        "reported_rate_pct": float(rate["value"]) if rate else None,
        "rules_consistent": rules_text,
        "consistent_closed_min": closed_range[0],
        "consistent_closed_max": closed_range[1],
        "consistent_received_min": received_range[0],
        "consistent_received_max": received_range[1],
        "closed_used": closed_used,
        "received_used": received_used,
        "rate_pct": rate_pct,
        "ci_low_pct": ci_low,
        "ci_high_pct": ci_high,
        "ci_method": ci_method,
        "ci_level_pct": 100 * (1 - alpha) if ci_method else None,
        "rate_derivation": basis,
        "has_unit_mismatch": unit_mismatch,
        "has_closed_above_received": above,
        "has_bounded_count": bounded,
        "note": " ".join(notes) if notes else None,
    }


def reported_rate_text(value_text: str | None) -> str | None:
    """The digits of a reported rate as written ("89.9%" -> "89.9", "达100%" -> "100"); None when the text
    carries no single plain decimal number (then the caller falls back on the normalised value).

    >>> reported_rate_text("89.9%"), reported_rate_text("超90%以上"), reported_rate_text("百分之九十")
    ('89.9', '90', None)
    """
    if value_text is None:
        return None
    numbers = re.findall(r"\d+(?:\.\d+)?", str(value_text))
    return numbers[0] if len(numbers) == 1 else None


def _rate_text(rate: dict[str, Any], notes: list[str]) -> str | None:
    """The rate's text for exact arithmetic, or None (with a note) when the rate is a bound."""
    if rate["bound"] != EXACT:
        notes.append(f"The reported rate {rate['value_text']} is a bound, not a rounded value.")
        return None
    text = reported_rate_text(rate["value_text"])
    if text is None:
        # Written in words: the precision is then what the normalised value shows.
        text = f"{float(rate['value']):.10f}".rstrip("0").rstrip(".")
        notes.append(f"The rate {rate['value_text']} is not written in digits; its value {text} is used.")
    return text


def _union_bounds(bounds: list[tuple[int, int]]) -> tuple[int | None, int | None]:
    """Union of the per-rule intervals (contiguous: half-up covers [P-1/2, P+1/2), truncation [P, P+1))."""
    nonempty = [(lo, hi) for lo, hi in bounds if lo <= hi]
    if not nonempty:
        return None, None
    return min(lo for lo, _ in nonempty), max(hi for _, hi in nonempty)


def _received_range(rate_text: str, k: int) -> tuple[int | None, int | None]:
    found = [grim.denominator_bounds(rate_text, k, r) for r in grim.RULES]
    found = [b for b in found if b is not None and b[1] is not None]
    if not found:
        return None, None
    return min(lo for lo, _ in found), max(hi for _, hi in found)


def _implied_count(rate_text: str, n: int, closed_range: tuple[int | None, int | None]) -> int:
    """The consistent closed count nearest to ``reported% * n`` (ties go up; exact arithmetic)."""
    reported = grim.parse_percent(rate_text)
    target = Fraction(reported.scaled * n, 100 * 10**reported.decimals)
    nearest = (target + Fraction(1, 2)).__floor__()
    lo, hi = closed_range
    return min(max(nearest, lo), hi)


def _show(claim: dict[str, Any] | None) -> str:
    return "" if claim is None else f"{claim['value_text']}, {claim['indicator']}"


def _span(bounds: tuple[int | None, int | None]) -> str:
    lo, hi = bounds
    return str(lo) if lo == hi else f"{lo} to {hi}"
