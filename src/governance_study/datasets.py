"""Read the derived tables, typed as their ``datapackage.json`` describes them.

This is how notebooks and users get data: ``datasets.load("resolution")``. Nothing is recomputed here.
"""

from __future__ import annotations

import json

import pandas as pd

from governance_study.paths import ProjectPaths

_DTYPES = {"string": "str", "integer": "Int64", "number": "float64", "boolean": "boolean"}


def _package(paths: ProjectPaths) -> dict:
    path = paths.derived / "datapackage.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `governance-study build` first")
    return json.loads(path.read_text(encoding="utf-8"))


def names(paths: ProjectPaths | None = None) -> list[str]:
    """The derived tables available, in build order."""
    return [r["name"] for r in _package(paths or ProjectPaths.discover())["resources"]]


def describe(name: str, paths: ProjectPaths | None = None) -> pd.DataFrame:
    """One row per column of a derived table: name, type, description (the data dictionary)."""
    resource = _resource(name, paths or ProjectPaths.discover())
    return pd.DataFrame(
        [(f["name"], f["type"], f.get("description", "")) for f in resource["schema"]["fields"]], columns=["column", "type", "description"]
    )


def _resource(name: str, paths: ProjectPaths) -> dict:
    resources = {r["name"]: r for r in _package(paths)["resources"]}
    if name not in resources:
        raise KeyError(f"no derived table {name!r}; available: {', '.join(resources)}")
    return resources[name]


def load(name: str, paths: ProjectPaths | None = None) -> pd.DataFrame:
    """A derived table as a DataFrame; empty cells are missing values, codes stay strings.

    >>> claims = load("claims")
    >>> bool(claims["district_code"].str.len().eq(6).all())
    True
    """
    paths = paths or ProjectPaths.discover()
    resource = _resource(name, paths)
    dtypes = {f["name"]: _DTYPES.get(f["type"], "str") for f in resource["schema"]["fields"]}
    return pd.read_csv(paths.derived / resource["path"], dtype=dtypes, keep_default_na=False, na_values=[""], encoding="utf-8")
