"""Grain: one Zenodo deposit description per release, generated from CITATION.cff (never edited by hand).

``.zenodo.json`` is what Zenodo reads when a maintainer uploads a release archive (or when its GitHub
integration archives a tag). It is written only inside the archive, so it cannot drift from CITATION.cff.

Zenodo takes one licence id per deposit: the deposit is the data and the reports, so it is ``cc-by-4.0``, and
``notes`` says that the code is MIT.

>>> cff = {"title": "T", "abstract": "A.", "version": "1.0.0", "date-released": "2025-02-03",
...        "authors": [{"family-names": "Li", "given-names": "Wei"}, {"name": "Team X"}],
...        "license": ["CC-BY-4.0", "MIT"], "keywords": ["k"],
...        "references": [{"title": "R", "url": "http://example.org/r"}, {"title": "No URL"}]}
>>> meta = zenodo_metadata(cff)
>>> [c["name"] for c in meta["creators"]], meta["license"], meta["upload_type"]
(['Li, Wei', 'Team X'], 'cc-by-4.0', 'dataset')
>>> meta["related_identifiers"]
[{'identifier': 'http://example.org/r', 'relation': 'references', 'scheme': 'url'}]
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

#: The deposit's licence (Zenodo's lowercase id of SPDX CC-BY-4.0): the archive holds data and reports.
DEPOSIT_LICENSE = "cc-by-4.0"
#: The SPDX id CITATION.cff must list for the data, and the one for the code.
DATA_LICENSE_SPDX = "CC-BY-4.0"
CODE_LICENSE_SPDX = "MIT"


def _creator(author: dict[str, Any]) -> dict[str, str]:
    if author.get("family-names"):
        particle = f"{author['name-particle']} " if author.get("name-particle") else ""
        given = str(author.get("given-names", "")).strip()
        name = f"{particle}{author['family-names']}" + (f", {given}" if given else "")
    else:
        name = str(author.get("name", "Anonymous"))
    creator = {"name": name}
    if author.get("affiliation"):
        creator["affiliation"] = str(author["affiliation"])
    if author.get("orcid"):  # CFF holds the full URL; Zenodo wants the bare id
        creator["orcid"] = str(author["orcid"]).rsplit("/", 1)[-1]
    return creator


def _licenses(cff: dict[str, Any]) -> list[str]:
    value = cff.get("license")
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []


def zenodo_metadata(cff: dict[str, Any]) -> dict[str, Any]:
    """The ``.zenodo.json`` deposit metadata for CITATION.cff ``cff`` (as loaded by ``citation.load_citation``).

    ValueError when CITATION.cff does not declare CC-BY-4.0 (the licence the deposit is published under).
    """
    licenses = _licenses(cff)
    if DATA_LICENSE_SPDX not in licenses:
        raise ValueError(
            f"CITATION.cff, field license: {licenses or 'missing'} does not list {DATA_LICENSE_SPDX}, the licence of the data and "
            f"reports a release deposits; write `license: [{DATA_LICENSE_SPDX}, {CODE_LICENSE_SPDX}]`"
        )
    released = cff.get("date-released")
    code = (
        f"The code that builds the data and reports is licensed {CODE_LICENSE_SPDX} (LICENSE in the archive)"
        if CODE_LICENSE_SPDX in licenses
        else "The code is not part of this deposit"
    )
    meta: dict[str, Any] = {
        "upload_type": "dataset",
        "title": str(cff["title"]).strip(),
        "description": str(cff.get("abstract") or cff["title"]).strip(),
        "creators": [_creator(a) for a in cff.get("authors") or [{"name": "Anonymous"}]],
        "version": str(cff.get("version", "")),
        "license": DEPOSIT_LICENSE,
        "access_right": "open",
        "notes": (
            f"The data (data/derived/) and the reports (reports/) are licensed {DATA_LICENSE_SPDX} (LICENSE-DATA). {code}. "
            "SHA256SUMS in the archive lists the sha256 of every other file."
        ),
        "keywords": [str(k) for k in cff.get("keywords") or []],
        # only references with a URL can be related identifiers; the others stay in CITATION.cff
        "related_identifiers": [
            {"identifier": str(ref["url"]), "relation": "references", "scheme": "url"}
            for ref in cff.get("references") or []
            if ref.get("url")
        ],
    }
    if released:
        meta["publication_date"] = released.isoformat() if isinstance(released, date) else str(released)
    # no "doi": Zenodo mints one per version; a DOI in CITATION.cff belongs to an earlier version
    return meta


def zenodo_json(cff: dict[str, Any]) -> str:
    """``zenodo_metadata`` as stable text: two-space indent, Chinese kept readable, one final newline."""
    return json.dumps(zenodo_metadata(cff), indent=2, ensure_ascii=False) + "\n"
