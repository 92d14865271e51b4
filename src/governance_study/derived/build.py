"""raw -> derived: verify the raw data, compute every derived table, write ``data/derived/`` atomically.

A build either replaces ``data/derived/`` whole or leaves it byte for byte as it was: all tables are
computed and validated in memory, written to a sibling temporary folder, and only then swapped in.
Two builds of the same raw data produce identical bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from governance_study.csvio import to_csv_bytes
from governance_study.derived import datapackage
from governance_study.paths import ProjectPaths
from governance_study.verify.claims import verified_claims
from governance_study.verify.reference import load_reference
from governance_study.verify.schemas import ClaimsSchema, CoverageSchema, DistrictsSchema, SourcesSchema
from governance_study.verify.sources import load_manifest
from governance_study.vocabulary import FAMILIES


@dataclass(frozen=True)
class Table:
    """A derived table: its name, the schema it is validated with, and its primary key."""

    name: str
    schema: pa.DataFrameSchema
    primary_key: list[str] | None


def sources_table(manifest: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """One row per source: the manifest plus ``claim_count``; ordered by publication date, then id."""
    counts = claims.groupby("source_id").size()
    out = manifest.copy()
    out["claim_count"] = out["source_id"].map(counts).fillna(0).astype("int64")
    for column in ("latest_figure_date", "url", "accessed", "notes"):
        out[column] = out[column].replace("", pd.NA)
    return SourcesSchema.validate(out.sort_values(["published", "source_id"], kind="stable").reset_index(drop=True))


def coverage_table(claims: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """One row per district (city first, then by code) per indicator family, zeros included, so gaps show."""
    grid = pd.MultiIndex.from_product([districts["district_code"], list(FAMILIES)], names=["district_code", "family"])
    stats = claims.groupby(["district_code", "family"]).agg(
        claim_count=("claim_id", "size"), indicator_count=("indicator", "nunique"), source_count=("source_id", "nunique")
    )
    out = stats.reindex(grid, fill_value=0).reset_index()
    names = districts.set_index("district_code")
    out.insert(1, "district_name_zh", out["district_code"].map(names["name_zh"]))
    out.insert(2, "district_pinyin", out["district_code"].map(names["name_pinyin"]))
    out["has_data"] = out["claim_count"] > 0
    return CoverageSchema.validate(out)


def compute_tables(paths: ProjectPaths) -> dict[str, tuple[Table, pd.DataFrame]]:
    """Every derived table, validated, in the order they are written; raises DataError on bad raw data."""
    claims = verified_claims(paths)  # raises DataError listing every problem
    reference = load_reference(paths)
    districts = reference["districts"].copy()
    districts["population_2020"] = districts["population_2020"].astype("int64")
    manifest = load_manifest(paths)
    tables: dict[str, tuple[Table, pd.DataFrame]] = {}

    def add(name: str, schema, primary_key, frame: pd.DataFrame) -> None:
        tables[name] = (Table(name, schema.to_schema() if hasattr(schema, "to_schema") else schema, primary_key), frame)

    add("districts", DistrictsSchema, ["district_code"], DistrictsSchema.validate(districts.replace({"aliases": {"": pd.NA}})))
    add("sources", SourcesSchema, ["source_id"], sources_table(manifest, claims))
    add("claims", ClaimsSchema, ["claim_id"], ClaimsSchema.validate(claims))
    add("coverage", CoverageSchema, ["district_code", "family"], coverage_table(claims, districts))
    for name, schema, primary_key, frame in metric_tables(claims, districts):
        add(name, schema, primary_key, frame)
    return tables


def metric_tables(claims: pd.DataFrame, districts: pd.DataFrame) -> list[tuple[str, object, list[str] | None, pd.DataFrame]]:
    """The metric tables written to ``data/derived/``, as ``(name, pandera model, primary key, frame)`` in build
    order: resolution, participation, ratios, audit, with the study's defaults (Wilson 95% intervals, per 10,000
    residents, half-up and truncation). Ratios and audit rows have no single-column key (a census side has no
    claim id; a grim row no related claim), so they carry none.

    >>> from governance_study.metrics.examples import heping_2023
    >>> districts = pd.DataFrame({"district_code": ["120101"], "name_zh": ["和平区"], "name_en": ["Heping"],
    ...                           "population_2020": [355000]})
    >>> [(name, len(frame)) for name, _, _, frame in metric_tables(heping_2023(), districts)]
    [('resolution', 5), ('participation', 1), ('ratios', 1), ('audit', 9)]
    """
    from governance_study import metrics

    return [
        ("resolution", metrics.ResolutionSchema, ["statistic_id"], metrics.resolution_table(claims)),
        ("participation", metrics.ParticipationSchema, ["claim_id"], metrics.participation_table(claims, districts)),
        ("ratios", metrics.RatioSchema, None, metrics.ratio_table(claims, districts)),
        ("audit", metrics.AuditSchema, None, metrics.audit_table(claims)),
    ]


def render(tables: dict[str, tuple[Table, pd.DataFrame]]) -> dict[str, bytes]:
    """File name -> bytes for every derived file, ``datapackage.json`` last."""
    files: dict[str, bytes] = {}
    resources = []
    for name, (table, frame) in tables.items():
        data = to_csv_bytes(frame)
        files[f"{name}.csv"] = data
        resources.append(datapackage.resource(name, data, table.schema, table.primary_key))
    files["datapackage.json"] = datapackage.package_bytes(resources)
    return files


def write_atomically(target: Path, files: dict[str, bytes]) -> None:
    """Replace folder ``target`` by one holding exactly ``files``; on any failure ``target`` is untouched."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        # a build killed between its two renames left the previous tables retired: put them back first
        for leftover in sorted(target.parent.glob(".derived-old-*")):
            os.replace(leftover, target)
            break
    for leftover in target.parent.glob(".derived-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # staging or retired folders of an interrupted build
    staging = Path(tempfile.mkdtemp(prefix=".derived-new-", dir=target.parent))
    umask = os.umask(0)  # mkdtemp makes the folder 0700; data/derived/ is as readable as any folder the user makes
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)
    retired = target.parent / f".derived-old-{os.getpid()}"
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
    except BaseException:
        if retired.exists() and not target.exists():
            os.replace(retired, target)  # put the previous build back
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def build_derived(paths: ProjectPaths | None = None, *, on_progress: Callable[[str], None] | None = None) -> list[Path]:
    """Verify raw data and rebuild ``data/derived/``; returns the files written. Raises DataError, writing nothing."""
    paths = paths or ProjectPaths.discover()
    tables = compute_tables(paths)
    files = render(tables)
    write_atomically(paths.derived, files)
    if on_progress:
        on_progress(f"built {len(tables)} tables into {paths.derived}")
    return [paths.derived / name for name in files]
