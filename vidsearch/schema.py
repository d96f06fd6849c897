"""Field tables derived from ``es_mappings``: what each index holds and how each field is searched.

The embedded store indexes text fields with the analyzer the mapping names (``vidsearch_ko`` → Kiwi morphemes,
``english`` → Porter stems, ``standard`` → lowercased words), filters on keyword/number/date fields and searches
``dense_vector`` fields; the Elasticsearch backend sends the same mapping. Neither hard-codes a field list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import es_mappings


class IndexName(StrEnum):
    VIDEOS = "videos"
    SEGMENTS = "segments"
    PERSONS = "persons"
    CREDITS = "credits"
    IDENTITY_EVENTS = "identity_events"  # archive identities: every name/merge/split/undo, so each can be undone


class FieldKind(StrEnum):
    TEXT = "text"
    KEYWORD = "keyword"
    NUMBER = "number"
    DATE = "date"
    VECTOR = "vector"
    STORED = "stored"  # kept in the source, neither searched nor filtered


_NUMBER_TYPES = {"integer", "long", "float", "double", "short", "byte", "half_float", "scaled_float"}


@dataclass(frozen=True)
class VectorField:
    name: str
    encoder: str  # the encoder role that fills it: "text", "image_text", "face"
    similarity: str


@dataclass(frozen=True)
class IndexSchema:
    name: IndexName
    kinds: dict[str, FieldKind]  # top-level field → kind (objects flattened to dotted names)
    analyzers: dict[str, str]  # searchable text field (incl. subfields such as "title.ko") → analyzer name
    vectors: dict[str, VectorField] = field(default_factory=dict)

    def text_fields(self, subfield: str | None = None) -> list[str]:
        """Searchable text fields; ``subfield="ko"`` gives ["title.ko", ...], None gives base fields."""
        if subfield is None:
            return [f for f in self.analyzers if "." not in f]
        return [f for f in self.analyzers if f.endswith("." + subfield)]

    def kind(self, name: str) -> FieldKind:
        try:
            return self.kinds[name]
        except KeyError:
            raise KeyError(f"index {self.name!s} has no field {name!r}") from None


def _walk(props: dict[str, Any], prefix: str, kinds: dict, analyzers: dict, vectors: dict) -> None:
    for name, spec in props.items():
        full = prefix + name
        ftype = spec.get("type", "object")
        if ftype == "text":
            kinds[full] = FieldKind.TEXT
            analyzers[full] = spec.get("analyzer", "standard")
            for sub, subspec in spec.get("fields", {}).items():
                if subspec.get("type") == "text":
                    analyzers[f"{full}.{sub}"] = subspec.get("analyzer", "standard")
        elif ftype == "keyword":
            indexed = spec.get("index", True)
            kinds[full] = FieldKind.KEYWORD if indexed else FieldKind.STORED
        elif ftype in _NUMBER_TYPES:
            kinds[full] = FieldKind.NUMBER
        elif ftype == "date":
            kinds[full] = FieldKind.DATE
        elif ftype == "dense_vector":
            kinds[full] = FieldKind.VECTOR
            vectors[full] = VectorField(full, spec.get("meta", {}).get("encoder", full), spec.get("similarity", "cosine"))
        elif ftype in ("object", "nested"):
            if spec.get("enabled", True) and "properties" in spec:
                kinds[full] = FieldKind.STORED
                _walk(spec["properties"], full + ".", kinds, analyzers, vectors)
            else:
                kinds[full] = FieldKind.STORED
        else:
            kinds[full] = FieldKind.STORED


@cache
def index_schema(name: IndexName | str) -> IndexSchema:
    index = IndexName(name)
    kinds: dict[str, FieldKind] = {}
    analyzers: dict[str, str] = {}
    vectors: dict[str, VectorField] = {}
    _walk(es_mappings.properties(index.value), "", kinds, analyzers, vectors)
    return IndexSchema(index, kinds, analyzers, vectors)
