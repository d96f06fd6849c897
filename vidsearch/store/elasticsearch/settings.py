"""Elasticsearch connection and index settings. The URL itself is ``Settings.es_url`` (``VIDSEARCH_ES_URL``).

Everything here is reachable as ``VIDSEARCH_ES__<NAME>`` (e.g. ``VIDSEARCH_ES__API_KEY``,
``VIDSEARCH_ES__VECTOR_INDEX_TYPE=bbq_hnsw``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

VectorIndexType = Literal[
    "hnsw", "int8_hnsw", "int4_hnsw", "bbq_hnsw", "flat", "int8_flat", "int4_flat", "bbq_flat"
]


class ElasticsearchSettings(BaseModel):
    # -- connection -----------------------------------------------------------------------------------------
    api_key: SecretStr | None = Field(None, description="base64 'id:key' API key (preferred over basic auth)")
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = Field(None, description="PEM file of the CA that signed the cluster's certificate")
    verify_certs: bool = True
    request_timeout_s: float = Field(30.0, gt=0, description="per request; bulk requests use bulk_timeout_s")
    connect_check_timeout_s: float = Field(5.0, gt=0, description="first contact: fail fast when unreachable")
    bulk_timeout_s: float = Field(120.0, gt=0)
    http_compress: bool = Field(False, description="gzip request bodies (vectors compress ~2x)")

    # -- indices --------------------------------------------------------------------------------------------
    index_prefix: str = Field("vidsearch", pattern=r"^[a-z0-9][a-z0-9_.\-]*$",
                              description="aliases are <prefix>-<index>, indices <prefix>-<index>-v<N>")
    vector_index_type: VectorIndexType = "int8_hnsw"
    vector_m: int | None = Field(None, ge=2, le=512, description="HNSW graph degree (ES default 16)")
    vector_ef_construction: int | None = Field(None, ge=8, le=3200, description="ES default 100")
    rescore_oversample: float | None = Field(
        None, ge=1.0, le=10.0, description="quantized types: oversample then rescore with raw floats"
    )
    number_of_shards: dict[str, int] = Field(default_factory=dict, description="index → shards (default: mapping)")
    number_of_replicas: int | None = Field(None, ge=0, description="live replicas (default: mapping's)")
    nori_user_dictionary_rules: list[str] = Field(
        default_factory=list, description="extra nori dictionary lines, e.g. '김민수' or '촬영감독 촬영 감독'"
    )
    nori_user_dictionary_file: Path | None = Field(
        None, description="local UTF-8 file of dictionary lines, sent inline as user_dictionary_rules"
    )
    nori_user_dictionary_path: str | None = Field(
        None, description="dictionary file on the ES nodes (relative to their config dir): user_dictionary"
    )
    knn_candidates_factor: float = Field(
        5.0, ge=1.0, description="num_candidates = factor × k when a retriever does not set it (max 10,000)"
    )
    num_candidates: dict[str, int] = Field(default_factory=dict, description="vector field → num_candidates")
    min_swap_ratio: float = Field(
        0.9, ge=0.0, le=1.0, description="refuse an alias swap when the new index holds fewer docs than this share"
    )
    keep_versions: int = Field(2, ge=1, description="versions `es prune` keeps per index (the live one included)")
    swap_wait_for: Literal["green", "yellow"] = Field(
        "green", description="health a new version must reach before the alias moves to it (yellow: replicas may "
        "still be unassigned)")
    swap_health_timeout_s: float = Field(300.0, gt=0, description="how long the swap waits for that health")
    build_check_s: float = Field(
        5.0, ge=0, description="how long a writer trusts what it last read about versions being built; a reindex "
        "waits 2x this (plus 1 s) after creating its version before it starts copying")
    mirror_window: int = Field(2000, ge=1, description="documents written through the alias per batch while a "
                               "new version may be building (their bodies are kept to mirror them)")
    build_gc_deletes: str = Field("7d", pattern=r"^[0-9]+[smhd]$", description="index.gc_deletes of a version "
                                  "being built: how long a mirrored delete outranks an older copied document")
    force_merge_segments: int | None = Field(
        None, ge=1, description="force-merge a built version to this many segments before the swap (off: None)")
    reindex_slices: str = Field("auto", pattern=r"^(auto|[1-9][0-9]*)$", description="server-side _reindex slices")
    reindex_requests_per_second: float = Field(-1, description="server-side _reindex throttle (-1: none)")
    reindex_batch_size: int = Field(1000, ge=1, le=10_000, description="documents per _reindex scroll batch")
    reindex_poll_s: float = Field(5.0, gt=0, description="how often a server-side reindex task is polled")
    write_versions: dict[str, int] = Field(
        default_factory=dict, description="index → version writes go to while a reindex builds it (reads stay on "
        "the alias), e.g. VIDSEARCH_ES__WRITE_VERSIONS='{\"segments\": 2}'"
    )

    # -- writes ---------------------------------------------------------------------------------------------
    bulk_chunk_size: int = Field(500, ge=1)
    bulk_max_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="a bulk request never exceeds this")
    bulk_threads: int = Field(1, ge=1, le=32, description="concurrent bulk requests (each streams with retries)")
    max_retries: int = Field(8, ge=0, description="per chunk on 429/502/503/504; per request on a lost connection")
    initial_backoff_s: float = Field(1.0, ge=0, description="first retry wait; doubles each time")
    max_backoff_s: float = Field(60.0, ge=0)
    final_retry_passes: int = Field(2, ge=0, description="extra passes over documents still rejected at the end")
    max_deferred: int = Field(50_000, ge=0, description="rejected documents held for a final pass before failing")

    # -- search ---------------------------------------------------------------------------------------------
    scan_keep_alive: str = Field("2m", pattern=r"^[0-9]+[smh]$", description="PIT keep-alive between pages")
    meta_cache_s: float = Field(30.0, ge=0, description="how long recorded encoders are trusted before re-reading")

    @model_validator(mode="after")
    def _consistent(self) -> ElasticsearchSettings:
        if self.api_key is not None and (self.username or self.password):
            raise ValueError("es.api_key and es.username/password are exclusive: configure one")
        if (self.username is None) != (self.password is None):
            raise ValueError("es.username and es.password go together")
        if self.nori_user_dictionary_path and (self.nori_user_dictionary_rules or self.nori_user_dictionary_file):
            raise ValueError("nori takes user_dictionary or user_dictionary_rules, not both: "
                             "set nori_user_dictionary_path alone, or the rules/file")
        return self
