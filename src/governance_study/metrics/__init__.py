"""The study's metrics: pure functions from the verified claims table to tidy, validated DataFrames.

- :mod:`.resolution`: one row per statistic, rate and interval (:func:`resolution_table`).
- :mod:`.participation`: counts per 10,000 residents and ratios within a district.
- :mod:`.audit` (arithmetic in :mod:`.grim`): can the reported rates arise from the reported counts.
- :mod:`.compare`: pairwise differences between districts, a binomial GLM, comparability of each pair.
- :mod:`.schemas`: one pandera model per table.

No I/O and no plotting here; statsmodels is imported only inside the functions that use it.
"""

from __future__ import annotations

import pandas as pd

from .audit import audit_table
from .compare import (
    ComparisonError,
    GlmResult,
    comparability_table,
    fit_glm,
    pairwise_differences,
    proportion_difference,
)
from .grim import (
    consistent_denominators,
    consistent_numerators,
    min_denominator,
    rate_consistent,
)
from .grouping import ClaimsError
from .participation import participation_table, ratio_table
from .resolution import proportion_interval, resolution_table, wilson_interval
from .schemas import (
    AuditSchema,
    ComparabilitySchema,
    GlmTableSchema,
    PairwiseSchema,
    ParticipationSchema,
    RatioSchema,
    ResolutionSchema,
)

__all__ = [
    "AuditSchema", "ClaimsError", "ComparabilitySchema", "ComparisonError", "GlmResult", "GlmTableSchema",
    "PairwiseSchema", "ParticipationSchema", "RatioSchema", "ResolutionSchema", "audit_table",
    "comparability_table", "consistent_denominators", "consistent_numerators", "derived_tables", "fit_glm",
    "min_denominator", "pairwise_differences", "participation_table", "proportion_difference",
    "proportion_interval", "rate_consistent", "ratio_table", "resolution_table", "wilson_interval",
]


def derived_tables(claims: pd.DataFrame, districts: pd.DataFrame) -> list[tuple[str, type, list[str] | None, pd.DataFrame]]:
    """The metric tables written to ``data/derived/``, as ``(name, pandera model, primary key, frame)`` in
    build order: resolution, participation, ratios, audit (defaults: Wilson 95% intervals, per 10,000
    residents, half-up and truncation). Ratios and audit rows have no single-column key (a census side has no
    claim id; a grim row no related claim), so they carry none.

    >>> from governance_study.metrics.examples import heping_2023
    >>> districts = pd.DataFrame({"district_code": ["120101"], "name_zh": ["和平区"], "name_en": ["Heping"],
    ...                           "population_2020": [355000]})
    >>> [(name, len(frame)) for name, _, _, frame in derived_tables(heping_2023(), districts)]
    [('resolution', 5), ('participation', 1), ('ratios', 1), ('audit', 9)]
    """
    return [
        ("resolution", ResolutionSchema, ["statistic_id"], resolution_table(claims)),
        ("participation", ParticipationSchema, ["claim_id"], participation_table(claims, districts)),
        ("ratios", RatioSchema, None, ratio_table(claims, districts)),
        ("audit", AuditSchema, None, audit_table(claims)),
    ]
