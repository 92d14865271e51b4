"""The Frictionless ``datapackage.json`` of ``data/derived/``, generated from the pandera schemas.

One resource per derived table; field types, descriptions and required flags come from the table's schema,
so the package cannot drift from what the build enforces. Deterministic: no timestamps, sorted keys.
"""

from __future__ import annotations

import hashlib
import json

import pandera.pandas as pa

from governance_study import __version__

_TYPES = {
    "str": "string",
    "string": "string",
    "int64": "integer",
    "Int64": "integer",
    "float64": "number",
    "Float64": "number",
    "bool": "boolean",
    "boolean": "boolean",
}


def table_schema(schema: pa.DataFrameSchema, primary_key: list[str] | None) -> dict:
    """Frictionless Table Schema for a pandera schema."""
    fields = []
    for name, column in schema.columns.items():
        entry = {"name": name, "type": _TYPES.get(str(column.dtype), "string")}
        if column.description:
            entry["description"] = column.description
        if not column.nullable:
            entry["constraints"] = {"required": True}
        fields.append(entry)
    out: dict = {"fields": fields}
    if primary_key:
        out["primaryKey"] = primary_key
    return out


def resource(name: str, data: bytes, schema: pa.DataFrameSchema, primary_key: list[str] | None) -> dict:
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": " ".join((schema.description or "").split()),
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "schema": table_schema(schema, primary_key),
    }


def package_bytes(resources: list[dict]) -> bytes:
    package = {
        "profile": "tabular-data-package",
        "name": "governance-study",
        "title": "Tianjin party-building-led grassroots governance figures, curated from news articles",
        "version": __version__,
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 (curated data and derived tables)"}],
        "sources": [{"title": "News articles listed in the sources table (data/raw/sources.csv)"}],
        "resources": resources,
    }
    return (json.dumps(package, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")
