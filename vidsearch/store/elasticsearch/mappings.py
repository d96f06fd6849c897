"""Index-create bodies from ``es_mappings`` and the checks that keep an existing index compatible with them.

The JSON files are the single field list; this module only fills in what depends on the installation: vector
``dims`` from the encoders in use, ``index_options`` from ``es.vector_index_type``, the nori user dictionary,
shard/replica counts, the bulk-friendly settings of an index being built, and ``_meta`` (encoders, versions).
A vector field whose encoder is not configured is left out of the mapping until its encoder is recorded: ES
fixes ``dims`` once set, so it is never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import es_mappings
from vidsearch import PIPELINE_VERSION, __version__
from vidsearch.errors import ConfigurationError
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

META_KEY = "vidsearch"
# Settings an index gets while a reindex fills it: no refreshes, no replicas; restored before the alias swap.
BUILD_SETTINGS = {"refresh_interval": "-1", "number_of_replicas": 0}
# Mapping parameters that decide how a field is indexed or searched; a difference is a conflict.
_COMPARED = ("type", "analyzer", "search_analyzer", "normalizer", "similarity", "element_type", "index", "dims")
# Minimum dims per quantisation (ES refuses smaller): bbq needs 64, int4 an even count.
_BBQ_MIN_DIMS = 64


@dataclass(frozen=True)
class FieldConflict:
    field: str
    parameter: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"field {self.field!r}: {self.parameter} is {self.actual!r} in the cluster, the mapping wants " \
               f"{self.expected!r}"


def vector_options(settings: ElasticsearchSettings, dims: int, field: str) -> dict[str, Any]:
    kind = settings.vector_index_type
    if kind.startswith("bbq") and dims < _BBQ_MIN_DIMS:
        raise ConfigurationError(f"{field}: {kind} needs at least {_BBQ_MIN_DIMS} dims, the encoder gives {dims}; "
                                 "set VIDSEARCH_ES__VECTOR_INDEX_TYPE=int8_hnsw")
    if kind.startswith("int4") and dims % 2:
        raise ConfigurationError(f"{field}: {kind} needs an even number of dims, the encoder gives {dims}")
    options: dict[str, Any] = {"type": kind}
    if kind.endswith("hnsw"):
        if settings.vector_m is not None:
            options["m"] = settings.vector_m
        if settings.vector_ef_construction is not None:
            options["ef_construction"] = settings.vector_ef_construction
    if settings.rescore_oversample is not None and kind not in ("hnsw", "flat"):
        options["rescore_vector"] = {"oversample": settings.rescore_oversample}
    return options


def vector_properties(index: IndexName, encoders: Mapping[str, Mapping[str, Any]],
                      settings: ElasticsearchSettings) -> dict[str, dict[str, Any]]:
    """The dense_vector mappings of fields whose encoder is known, dims filled in."""
    props = es_mappings.properties(index.value)
    out = {}
    for name, field in index_schema(index).vectors.items():
        info = encoders.get(field.encoder)
        if info is None:
            continue
        spec = dict(props[name])
        spec["dims"] = int(info["dims"])
        spec["index_options"] = vector_options(settings, spec["dims"], name)
        out[name] = spec
    return out


def user_dictionary(settings: ElasticsearchSettings) -> dict[str, Any]:
    """The nori tokenizer's user dictionary: inline rules (settings + a local file) or a path on the nodes."""
    if settings.nori_user_dictionary_path:
        return {"user_dictionary": settings.nori_user_dictionary_path}
    rules = list(settings.nori_user_dictionary_rules)
    if settings.nori_user_dictionary_file is not None:
        try:
            text = settings.nori_user_dictionary_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"nori user dictionary {settings.nori_user_dictionary_file}: {exc}") from exc
        rules += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {"user_dictionary_rules": list(dict.fromkeys(rules))} if rules else {}


def index_meta(index: IndexName, encoders: Mapping[str, Mapping[str, Any]], settings: ElasticsearchSettings,
               state: str, live_settings: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "index": index.value,
        "mapping_version": es_mappings.MAPPING_VERSION,
        "pipeline_version": PIPELINE_VERSION,
        "package_version": __version__,
        "encoders": {role: {"id": str(info["id"]), "dims": int(info["dims"])} for role, info in encoders.items()},
        "vector_index_type": settings.vector_index_type,
        "state": state,
        "live_settings": dict(live_settings),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def live_index_settings(index: IndexName, settings: ElasticsearchSettings) -> dict[str, Any]:
    """refresh_interval / shards / replicas a serving index has (the mapping's, overridden by settings)."""
    base = es_mappings.index_body(index.value)["settings"]
    live = {k: base[k] for k in ("number_of_shards", "number_of_replicas", "refresh_interval") if k in base}
    if index.value in settings.number_of_shards:
        live["number_of_shards"] = settings.number_of_shards[index.value]
    if settings.number_of_replicas is not None:
        live["number_of_replicas"] = settings.number_of_replicas
    return live


def create_body(index: IndexName, encoders: Mapping[str, Mapping[str, Any]], settings: ElasticsearchSettings,
                *, building: bool = False, alias: str | None = None) -> dict[str, Any]:
    """The PUT /<index> body. ``building``: bulk-friendly settings until ``finish`` restores the live ones."""
    body = es_mappings.index_body(index.value)
    live = live_index_settings(index, settings)
    body["settings"].update(live)
    if building:  # tombstones outlive the build: a mirrored delete must outrank the older copy of the document
        body["settings"].update({**BUILD_SETTINGS, "gc_deletes": settings.build_gc_deletes})
    body["settings"]["analysis"]["tokenizer"]["vidsearch_nori"].pop("user_dictionary_rules", None)
    body["settings"]["analysis"]["tokenizer"]["vidsearch_nori"].update(user_dictionary(settings))
    props = body["mappings"]["properties"]
    for name in index_schema(index).vectors:
        props.pop(name)
    props.update(vector_properties(index, encoders, settings))
    body["mappings"]["_meta"] = {
        META_KEY: index_meta(index, encoders, settings, "building" if building else "live", live)
    }
    if alias is not None:
        body["aliases"] = {alias: {}}
    return body


def recorded_meta(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The ``_meta.vidsearch`` record of one index's GET _mapping entry ({} when the index is not ours)."""
    return dict(mapping.get("mappings", mapping).get("_meta", {}).get(META_KEY, {}))


def _compare(expected: Mapping[str, Any], actual: Mapping[str, Any], path: str, out: list[FieldConflict],
             missing: list[str]) -> None:
    for name, want in expected.items():
        full = f"{path}{name}"
        have = actual.get(name)
        if have is None:
            missing.append(full)
            continue
        want_type, have_type = want.get("type", "object"), have.get("type", "object")
        if want_type != have_type:
            out.append(FieldConflict(full, "type", want_type, have_type))
            continue
        for param in _COMPARED[1:]:
            if param in want and param != "dims" and want[param] != have.get(param, _default(want_type, param)):
                out.append(FieldConflict(full, param, want[param], have.get(param)))
        if "dims" in want and have.get("dims") is not None and want["dims"] != have["dims"]:
            out.append(FieldConflict(full, "dims", want["dims"], have["dims"]))
        if "fields" in want:
            _compare(want["fields"], have.get("fields", {}), full + ".", out, missing)
        if "properties" in want:
            _compare(want["properties"], have.get("properties", {}), full + ".", out, missing)


def _default(field_type: str, param: str) -> Any:
    """What GET _mapping omits because it is ES's default."""
    if param == "analyzer" and field_type == "text":
        return "standard"
    if param == "index":
        return True
    return None


def mapping_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]
                        ) -> tuple[list[FieldConflict], list[str]]:
    """(conflicts, missing fields) of an existing index's properties against the expected ones."""
    conflicts: list[FieldConflict] = []
    missing: list[str] = []
    _compare(expected, actual, "", conflicts, missing)
    return conflicts, missing
