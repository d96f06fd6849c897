"""The Elasticsearch store: the IndexBackend protocol over four aliased, versioned indices.

It behaves like the embedded store: the same document checks before anything is sent, the same encoder record
(in each index's mapping ``_meta``) and ``EncoderMismatch``, ``commit_video`` writing the video document last as
the checkpoint after removing the stale documents of the indices it owns, and per-retriever candidate lists with
BM25 and ``dot_product`` scores as Elasticsearch reports them. Writes (``writes.WritePath``) go to the alias and
are mirrored into a version a reindex is building, or go straight into that version (``es.write_versions``);
reads always go to the alias.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from vidsearch.config import Settings
from vidsearch.errors import InvalidQuery, StoreError
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.base import (
    Candidate,
    Retriever,
    SearchFilters,
    StoreStats,
    TextRetriever,
    VectorRetriever,
    check_query_encoder,
)
from vidsearch.store.elasticsearch import queries
from vidsearch.store.elasticsearch.bulk import BulkWriter
from vidsearch.store.elasticsearch.client import RETRY_STATUSES, connect, translated, with_status_retries
from vidsearch.store.elasticsearch.indices import IndexVersions
from vidsearch.store.elasticsearch.mirror import BuildWatch
from vidsearch.store.elasticsearch.schema_sync import IndexSchemaSync
from vidsearch.store.elasticsearch.writes import WritePath

log = logging.getLogger(__name__)

_ENTERPRISE = ("enterprise", "trial")


class ElasticsearchStore(WritePath):
    backend = "elasticsearch"

    def __init__(self, settings: Settings, client: Elasticsearch | None = None) -> None:
        self.url = settings.es_url or ""
        self.settings = settings.es.model_copy(deep=True)  # reindexing changes write_versions
        self.client = client or connect(settings.es_url, settings.es)
        self.versions = IndexVersions(self.client, self.settings, self.url)
        self.writer = BulkWriter(self.client, self.settings, self.url)
        self.schema_sync = IndexSchemaSync(self.versions, self.settings)
        self.watch = BuildWatch(self.versions, self.settings)
        self._reader = with_status_retries(self.client)
        self._info: dict[str, Any] | None = None
        self._meta_cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    # -- cluster --------------------------------------------------------------------------------------------
    def cluster_info(self) -> dict[str, Any]:
        """GET / once, fast: an unreachable cluster or wrong credentials fail here, before anything is written."""
        if self._info is None:
            probe = self.client.options(request_timeout=self.settings.connect_check_timeout_s, max_retries=0)
            with translated(self.url, "connecting"):
                self._info = dict(probe.info().body)
        return self._info

    def version(self) -> tuple[int, int]:
        number = str(self.cluster_info().get("version", {}).get("number", "0.0"))
        major, minor = (number.split(".") + ["0"])[:2]
        return int(major), int("".join(c for c in minor if c.isdigit()) or 0)

    def licence(self) -> str:
        with translated(self.url, "reading the licence"):
            return str(self._reader.license.get().body.get("license", {}).get("type", "basic"))

    def read_target(self, index: IndexName) -> str:
        return self.versions.alias(IndexName(index))

    def write_target(self, index: IndexName) -> str:
        index = IndexName(index)
        version = self.settings.write_versions.get(index.value)
        return self.versions.concrete(index, version) if version else self.versions.alias(index)

    # -- encoders -------------------------------------------------------------------------------------------
    def _recorded(self, target: str, fresh: bool = False) -> dict[str, Any]:
        """``_meta.vidsearch`` of the index behind ``target`` ({} when missing), cached for meta_cache_s."""
        now = time.monotonic()
        with self._lock:
            cached = self._meta_cache.get(target)
        if cached is not None and not fresh and now - cached[0] < self.settings.meta_cache_s:
            return cached[1]
        self.cluster_info()
        found = self.versions.describe(target)
        meta = dict(found[1].get("_meta", {}).get("vidsearch", {})) if found else {}
        with self._lock:
            self._meta_cache[target] = (now, meta)
        return meta

    def forget_meta(self) -> None:
        with self._lock:
            self._meta_cache.clear()

    def encoders(self) -> dict[str, dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for index in IndexName:
            for role, info in self._recorded(self.read_target(index)).get("encoders", {}).items():
                merged.setdefault(role, dict(info))
        return merged

    def ensure_indices(self, encoders: Mapping[str, Mapping[str, Any]]) -> None:
        """Create missing indices (v1 behind the alias); check existing ones against the mapping and the
        encoders, add fields that are new (a newly configured encoder's vectors). Refuses conflicts."""
        self.cluster_info()
        for index in IndexName:
            self.schema_sync.ensure(index, self.write_target(index), encoders,
                                    building=index.value in self.settings.write_versions)
        self.forget_meta()

    def _dims(self, index: IndexName) -> dict[str, int]:
        recorded = self._recorded(self.write_target(index)).get("encoders", {})
        return {name: int(recorded[f.encoder]["dims"]) for name, f in index_schema(index).vectors.items()
                if f.encoder in recorded}

    # -- reads ----------------------------------------------------------------------------------------------
    def _with_vectors_flag(self) -> bool:
        return self.version() >= (9, 2)

    def get(self, index: IndexName, ids: Sequence[str], with_vectors: bool = False) -> dict[str, dict[str, Any]]:
        index = IndexName(index)
        if not ids:
            return {}
        self.cluster_info()
        source = queries.source_filter(index, with_vectors, self._with_vectors_flag())
        target = self.read_target(index)
        body = {"docs": [{"_id": str(i), "_source": source} for i in ids]}
        with translated(self.url, f"reading documents from {target}"):
            try:
                response = self._reader.mget(index=target, body=body)
            except NotFoundError:
                return {}
        return {d["_id"]: d.get("_source", {}) for d in response["docs"] if d.get("found")}

    def count(self, index: IndexName, filters: SearchFilters | None = None) -> int:
        index = IndexName(index)
        self.cluster_info()
        body = queries.count_body(queries.filter_clauses(index, filters))
        target = self.read_target(index)
        with translated(self.url, f"counting {target}"):
            try:
                return int(self._reader.count(index=target, body=body)["count"])
            except NotFoundError:
                return 0

    def scan(self, index: IndexName, filters: SearchFilters | None = None, batch_size: int = 1000,
             with_vectors: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every matching document through a point in time with search_after: consistent and unbounded."""
        index = IndexName(index)
        self.cluster_info()
        clauses = queries.filter_clauses(index, filters)
        source = queries.source_filter(index, with_vectors, self._with_vectors_flag())
        target = self.read_target(index)
        keep_alive = self.settings.scan_keep_alive
        with translated(self.url, f"opening a point in time on {target}"):
            try:
                pit_id = self._reader.open_point_in_time(index=target, keep_alive=keep_alive)["id"]
            except NotFoundError:
                return
        try:
            after = None
            while True:
                body = queries.page_body(clauses, pit_id, keep_alive, batch_size, after, source)
                with translated(self.url, f"exporting {target}"):
                    response = self._reader.search(body=body)
                pit_id = response.get("pit_id", pit_id)
                hits = response["hits"]["hits"]
                for hit in hits:
                    yield hit["_id"], hit.get("_source", {})
                if len(hits) < batch_size:
                    break
                after = hits[-1]["sort"]
        finally:
            try:
                self.client.close_point_in_time(body={"id": pit_id})
            except Exception as exc:  # noqa: BLE001 - a PIT left open expires after keep_alive anyway
                log.debug("closing point in time failed: %s", exc)

    # -- search ---------------------------------------------------------------------------------------------
    def _check_encoder(self, index: IndexName, retriever: VectorRetriever, recorded: Mapping[str, Any]) -> bool:
        """Refuse a query vector from another encoder; False when the field holds no vectors yet."""
        field = index_schema(index).vectors.get(retriever.field)
        if field is None:
            raise InvalidQuery(f"index {index!s} has no vector field {retriever.field!r}")
        return check_query_encoder(retriever, field.encoder, recorded)

    def _candidates(self, retriever: VectorRetriever) -> int:
        return queries.num_candidates(retriever, self.settings.num_candidates, self.settings.knn_candidates_factor)

    def search(self, index: IndexName, retrievers: Sequence[Retriever], filters: SearchFilters | None = None
               ) -> dict[str, list[Candidate]]:
        index = IndexName(index)
        target = self.read_target(index)
        clauses = queries.filter_clauses(index, filters)
        recorded = self._recorded(target).get("encoders", {})
        results: dict[str, list[Candidate]] = {r.name: [] for r in retrievers}
        searches: list[dict[str, Any]] = []
        names: list[str] = []
        for retriever in retrievers:
            if isinstance(retriever, TextRetriever):
                body = queries.text_body(index, retriever, clauses)
            elif isinstance(retriever, VectorRetriever):
                ready = self._check_encoder(index, retriever, recorded)
                body = queries.knn_body(index, retriever, clauses, self._candidates(retriever)) if ready else None
            else:  # pragma: no cover - the Retriever union is closed
                raise TypeError(retriever)
            if body is not None:
                searches += [{}, body]
                names.append(retriever.name)
        if not searches:
            return results
        responses = self._msearch(target, searches)
        for name, response in zip(names, responses, strict=True):
            if "error" in response:
                error = response["error"]
                reason = error.get("reason", error) if isinstance(error, dict) else error
                raise StoreError(f"retriever {name!r} failed on {target}: {reason}")
            results[name] = [Candidate(h["_id"], float(h["_score"])) for h in response["hits"]["hits"]]
        return results

    def _msearch(self, target: str, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One ``_msearch``; searches answered 429/5xx inside it are sent again (only those), with the bulk
        writer's backoff, so one busy shard does not fail the whole query."""
        s = self.settings
        answers: dict[int, dict[str, Any]] = {}
        pending = list(range(len(searches) // 2))
        for attempt in range(s.max_retries + 1):
            body = [line for n in pending for line in searches[2 * n: 2 * n + 2]]
            with translated(self.url, f"searching {target}"):
                responses = self._reader.msearch(index=target, body=body)["responses"]
            retry = [n for n, r in zip(pending, responses, strict=True)
                     if "error" in r and int(r.get("status", 500)) in RETRY_STATUSES and attempt < s.max_retries]
            answers.update((n, r) for n, r in zip(pending, responses, strict=True) if n not in retry)
            if not retry:
                break
            log.info("msearch: %d of %d searches busy (%s); retrying", len(retry), len(pending),
                     responses[pending.index(retry[0])].get("status"))
            time.sleep(min(s.max_backoff_s, s.initial_backoff_s * 2 ** attempt))
            pending = retry
        return [answers[n] for n in range(len(searches) // 2)]

    def search_fused(self, index: IndexName, retrievers: Sequence[Retriever], filters: SearchFilters | None = None,
                     method: str = "rrf", k: int = 10, weights: Mapping[str, float] | None = None,
                     rank_constant: int = 60, window: int = 100) -> list[Candidate]:
        """One list fused on the cluster by ES's ``rrf``/``linear`` retriever: needs an Enterprise licence, and
        is not on the search path (which fuses on the client, on every licence). For comparing the two."""
        index = IndexName(index)
        if method not in ("rrf", "linear"):
            raise InvalidQuery(f"unknown server fusion {method!r}: use rrf or linear")
        licence = self.licence()
        if licence not in _ENTERPRISE:
            raise InvalidQuery(f"server-side {method} fusion needs an Enterprise licence; {self.url} has "
                               f"{licence!r}; search() with client-side fusion needs none")
        target = self.read_target(index)
        recorded = self._recorded(target).get("encoders", {})
        usable = [r for r in retrievers if isinstance(r, TextRetriever) or self._check_encoder(index, r, recorded)]
        candidates = {r.name: self._candidates(r) for r in usable if isinstance(r, VectorRetriever)}
        body = queries.fused_body(index, usable, queries.filter_clauses(index, filters), method, k, candidates,
                                  weights or {}, rank_constant, window)
        with translated(self.url, f"searching {target} with {method} fusion"):
            hits = self._reader.search(index=target, body=body)["hits"]["hits"]
        return [Candidate(h["_id"], float(h["_score"])) for h in hits]

    # -- maintenance ----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        targets = sorted({self.read_target(i) for i in IndexName} | {self.write_target(i) for i in IndexName})
        with translated(self.url, "refreshing"):
            self.client.indices.refresh(index=",".join(targets), ignore_unavailable=True)

    def stats(self) -> StoreStats:
        counts = {index.value: self.count(index) for index in IndexName}
        aliases = {}
        for index in IndexName:
            found = self.versions.describe(self.read_target(index))
            aliases[self.read_target(index)] = found[0] if found else None
        major, minor = self.version()
        return StoreStats(
            backend=self.backend, location=self.url, counts=counts, encoders=self.encoders(),
            extra={"aliases": aliases, "cluster_version": f"{major}.{minor}",
                   "cluster_name": self.cluster_info().get("cluster_name"),
                   "vector_index_type": self.settings.vector_index_type,
                   "write_versions": dict(self.settings.write_versions)},
        )

    def edit_log(self):
        """Human edits: their own plain index, outside the blue/green versions (``elasticsearch.edits``)."""
        if getattr(self, "_edit_log", None) is None:
            from vidsearch.store.elasticsearch.edits import ElasticsearchEditLog

            self._edit_log = ElasticsearchEditLog(self)
        return self._edit_log

    def close(self) -> None:
        self.client.close()
