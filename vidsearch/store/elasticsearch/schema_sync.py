"""Keep one index in step with ``es_mappings`` and the encoders in use, or refuse with the reason.

New index → created as ``v1`` behind its alias. Existing index → its ``_meta`` must come from vidsearch, record
the same encoder (id and dims) for every role both know, and every field must be mapped as the JSON says;
fields the JSON has and the index lacks (a newer additive mapping, the vectors of an encoder configured since) are
added with one PUT _mapping, together with the updated encoder record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import es_mappings
from vidsearch.errors import EncoderMismatch, MappingConflict, StoreError
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.elasticsearch.client import translated
from vidsearch.store.elasticsearch.indices import IndexVersions
from vidsearch.store.elasticsearch.mappings import (
    META_KEY,
    create_body,
    mapping_differences,
    vector_properties,
)
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

log = logging.getLogger(__name__)


class IndexSchemaSync:
    def __init__(self, versions: IndexVersions, settings: ElasticsearchSettings) -> None:
        self.versions = versions
        self.settings = settings

    def expected_properties(self, index: IndexName, encoders: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        props = es_mappings.properties(index.value)
        for name in index_schema(index).vectors:
            props.pop(name)
        props.update(vector_properties(index, encoders, self.settings))
        return props

    def ensure(self, index: IndexName, target: str, encoders: Mapping[str, Mapping[str, Any]],
               building: bool = False) -> str:
        """The concrete index behind ``target``, created or brought up to date. Raises on conflicts."""
        found = self.versions.describe(target)
        if found is None:
            if building:
                raise StoreError(f"{target} does not exist: start the reindex (vidsearch es reindex-begin) first")
            return self._create(index, encoders)
        name, mapping = found
        if name == self.versions.alias(index):
            raise MappingConflict(f"an index named {name} exists and is not a vidsearch alias; rename or delete "
                                  "it, or set VIDSEARCH_ES__INDEX_PREFIX to another prefix")
        self._update(index, name, mapping, encoders)
        return name

    def _create(self, index: IndexName, encoders: Mapping[str, Mapping[str, Any]]) -> str:
        alias = self.versions.alias(index)
        name = self.versions.concrete(index, 1)
        if not self.versions.create(name, create_body(index, encoders, self.settings, alias=alias)):
            found = self.versions.describe(alias)  # another process created it first: check theirs
            if found is None:
                raise StoreError(f"{name} exists but {alias} does not point at it: restore the alias with "
                                 f"`vidsearch es rollback --index {index.value} --to N` (`vidsearch es status` lists "
                                 "the versions)")
            self._update(index, found[0], found[1], encoders)
            return found[0]
        return name

    def _update(self, index: IndexName, name: str, mapping: Mapping[str, Any],
                encoders: Mapping[str, Mapping[str, Any]]) -> None:
        meta = dict(mapping.get("_meta", {}).get(META_KEY, {}))
        if not meta:
            raise MappingConflict(f"{name} was not created by vidsearch (no _meta.{META_KEY}); refusing to write "
                                  "into it")
        version = int(meta.get("mapping_version", 0))
        if version > es_mappings.MAPPING_VERSION:
            raise MappingConflict(f"{name} has mapping version {version}, newer than this vidsearch's "
                                  f"{es_mappings.MAPPING_VERSION}: upgrade vidsearch")
        recorded: dict[str, Any] = dict(meta.get("encoders", {}))
        for role, info in encoders.items():
            old = recorded.get(role)
            if old is not None and (old["id"] != info["id"] or int(old["dims"]) != int(info["dims"])):
                raise EncoderMismatch(
                    f"the {role} vectors in {name} were built by {old['id']} ({old['dims']}-d); the configured "
                    f"encoder is {info['id']} ({info['dims']}-d). Reindex into a new version (vidsearch es "
                    "reindex-begin) or configure the original encoder."
                )
        merged = {**recorded, **{r: {"id": str(i["id"]), "dims": int(i["dims"])} for r, i in encoders.items()}}
        expected = self.expected_properties(index, merged)
        conflicts, missing = mapping_differences(expected, mapping.get("properties", {}))
        if conflicts:
            more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
            raise MappingConflict(f"{name}: {conflicts[0]}{more}. The index must be rebuilt: vidsearch es "
                                  "reindex-begin, then reindex-finish")
        if not missing and merged == recorded and version == es_mappings.MAPPING_VERSION:
            return
        top = sorted({path.split(".")[0] for path in missing})
        body: dict[str, Any] = {"_meta": {META_KEY: {**meta, "encoders": merged,
                                                     "mapping_version": es_mappings.MAPPING_VERSION}}}
        if top:
            body["properties"] = {field: expected[field] for field in top}
        with translated(self.versions.url, f"adding {', '.join(top) or 'encoder records'} to {name}"):
            self.versions.client.indices.put_mapping(index=name, body=body)
        log.info("updated %s: fields %s, encoders %s", name, top, sorted(merged))
