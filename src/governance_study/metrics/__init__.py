"""The study's metrics: pure functions from the verified claims table to tidy, validated DataFrames.

- :mod:`.grouping`: claims grouped into statistics (the columns the metrics read).
- :mod:`.resolution`: one row per statistic, rate and interval (:func:`resolution_table`).
- :mod:`.participation`: counts per 10,000 residents, compared like for like across districts.
- :mod:`.ratios`: ratios within a district, with their comparability verdicts.
- :mod:`.audit` (arithmetic in :mod:`.grim`, shared counts in :mod:`.conflicts`): can the reported rates arise
  from the reported counts.
- :mod:`.compare` and :mod:`.glm`: pairwise differences between districts, a binomial GLM.
- :mod:`.schemas`: one pandera model per table; :mod:`.examples`: small hand-built claims tables.

No I/O and no plotting here; statsmodels is imported only inside the functions that use it.

Decisions (each explained where it is made):

- A *statistic* is a ``group_id``, or a claim without one; its key is ``statistic_id`` (the group_id, else the
  claim_id) and ``group_id`` stays as written (empty for a lone claim). What a rate means comes from the
  vocabulary (indicators.csv, carried on every claim): ``is_closing_rate`` marks closure, on-time closure and
  solution rates ("the" rate of a statistic); ``rate_base`` says what it is a share of, and only a closing rate
  whose base is the received count implies a closed count, is checked against it, or gets an interval.
- Rates keep their written precision: "89.9%" is audited as the text "89.9" with exact integer arithmetic.
- ``rate_derivation``: recomputed from counts, implied (closed counts implied by the rate and a known received
  count; the interval covers every consistent count), reported (no denominator, no interval), or none.
- Participation per resident is compared across districts only like for like: same indicator, channel and unit
  (:func:`comparable_across_districts`); indicators the vocabulary marks ``is_per_resident_comparable`` false
  get no intensity and enter no whole-district ratio.
- Intensities are per 10,000 census-2020 residents in a column ``per_10k``; ``per=`` renames it
  (``per_1k``, ``per_100k``, ...) and a ``per`` column records the choice. Bounds carry over to intensities
  and ratios (a lower bound over an exact number is a lower bound; over it, an upper bound).
- Comparisons use only statistics with counts, pair only different districts within one channel family, and
  raise :class:`ComparisonError` (never NaN) when asked for more than the data hold; the GLM raises when it is
  not identified (one district, too few statistics, confounding, separation) rather than returning nonsense.
"""

from __future__ import annotations

from governance_study.metrics.audit import audit_table
from governance_study.metrics.compare import ComparisonError, comparability_table, pairwise_differences, proportion_difference
from governance_study.metrics.glm import GlmResult, fit_glm
from governance_study.metrics.grim import consistent_denominators, consistent_numerators, min_denominator, rate_consistent
from governance_study.metrics.grouping import ClaimsError
from governance_study.metrics.participation import comparable_across_districts, participation_table
from governance_study.metrics.ratios import ratio_table
from governance_study.metrics.resolution import proportion_interval, resolution_table, wilson_interval
from governance_study.metrics.schemas import (
    AuditSchema,
    ComparabilitySchema,
    GlmTableSchema,
    PairwiseSchema,
    ParticipationSchema,
    RatioSchema,
    ResolutionSchema,
)

__all__ = [
    "AuditSchema",
    "ClaimsError",
    "ComparabilitySchema",
    "ComparisonError",
    "GlmResult",
    "GlmTableSchema",
    "PairwiseSchema",
    "ParticipationSchema",
    "RatioSchema",
    "ResolutionSchema",
    "audit_table",
    "comparability_table",
    "comparable_across_districts",
    "consistent_denominators",
    "consistent_numerators",
    "fit_glm",
    "min_denominator",
    "pairwise_differences",
    "participation_table",
    "proportion_difference",
    "proportion_interval",
    "rate_consistent",
    "ratio_table",
    "resolution_table",
    "wilson_interval",
]
