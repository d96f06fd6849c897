"""Index settings and mappings as Elasticsearch JSON: the single source of every index's field list.

Both backends read these files: Elasticsearch receives them as index-create bodies; the embedded store derives its
field table from them (``vidsearch.schema``). A change to a field bumps ``MAPPING_VERSION`` and adds a new folder.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

MAPPING_VERSION = 1
INDEX_NAMES = ("videos", "segments", "persons", "credits", "identity_events", "edits")


@cache
def _read(version: int, name: str) -> dict[str, Any]:
    text = resources.files(__name__).joinpath(f"v{version}", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def index_body(name: str, version: int = MAPPING_VERSION) -> dict[str, Any]:
    """The index-create body (settings with the shared analysis chain + mappings), as a fresh copy."""
    if name not in INDEX_NAMES:
        raise KeyError(f"unknown index {name!r}; known: {', '.join(INDEX_NAMES)}")
    body = copy.deepcopy(_read(version, name))
    body["settings"].update(copy.deepcopy(_read(version, "analysis")))
    return body


def properties(name: str, version: int = MAPPING_VERSION) -> dict[str, Any]:
    return index_body(name, version)["mappings"]["properties"]
