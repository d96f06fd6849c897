"""Request bodies for searches, counts and exports, in the canonical forms of Elastic's OpenAPI description.

Each retriever becomes its own search (sent together in one ``_msearch``), so the caller gets one candidate list
per retriever and fuses on the client — what the embedded store returns too. ES's own ``rrf`` / ``linear``
retrievers (Enterprise licence) are offered by ``fused_body``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vidsearch.errors import InvalidQuery
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.base import SearchFilters, TextRetriever, VectorRetriever

MAX_KNN_CANDIDATES = 10_000


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def filter_clauses(index: IndexName, filters: SearchFilters | None) -> list[dict[str, Any]]:
    """SearchFilters as ES ``filter`` clauses (the same restrictions the embedded store's mask applies)."""
    if filters is None or filters.is_empty():
        return []
    try:
        terms, ranges = filters.clauses(index)
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from None
    clauses: list[dict[str, Any]] = []
    for name, values in terms.items():
        values = [str(v) for v in values]
        clauses.append({"ids": {"values": values}} if name == "_id" else {"terms": {name: values}})
    for name, rng in ranges.items():
        bounds = {k: _json_value(v) for k, v in (("gte", rng.gte), ("lte", rng.lte)) if v is not None}
        if bounds:
            clauses.append({"range": {name: bounds}})
    return clauses


def _boosted(name: str, boosts: Mapping[str, float]) -> str:
    boost = boosts.get(name)
    return name if boost is None or boost == 1.0 else f"{name}^{boost:g}"


def text_query(index: IndexName, retriever: TextRetriever) -> dict[str, Any] | None:
    """``multi_match`` best_fields: per document the best field's BM25 score, like the embedded store."""
    schema = index_schema(index)
    unknown = [f for f in retriever.fields if f not in schema.analyzers]
    if unknown:
        raise InvalidQuery(f"index {index!s} has no text fields {unknown}")
    if not retriever.query.strip() or not retriever.fields:
        return None
    return {"multi_match": {"query": retriever.query, "type": "best_fields",
                            "fields": [_boosted(f, retriever.boosts) for f in retriever.fields]}}


def text_body(index: IndexName, retriever: TextRetriever, filters: list[dict[str, Any]]) -> dict[str, Any] | None:
    query = text_query(index, retriever)
    if query is None:
        return None
    bool_query: dict[str, Any] = {"must": [query]}
    if filters:
        bool_query["filter"] = filters
    return {"size": retriever.k, "_source": False, "track_total_hits": False, "query": {"bool": bool_query}}


def num_candidates(retriever: VectorRetriever, per_field: Mapping[str, int], factor: float) -> int:
    wanted = retriever.num_candidates or per_field.get(retriever.field) or int(np.ceil(factor * retriever.k))
    return int(min(MAX_KNN_CANDIDATES, max(retriever.k, wanted)))


def knn_section(index: IndexName, retriever: VectorRetriever, filters: list[dict[str, Any]], candidates: int
                ) -> dict[str, Any]:
    if retriever.field not in index_schema(index).vectors:
        raise InvalidQuery(f"index {index!s} has no vector field {retriever.field!r}")
    if retriever.k > MAX_KNN_CANDIDATES:
        raise InvalidQuery(f"k={retriever.k} exceeds Elasticsearch's limit of {MAX_KNN_CANDIDATES}")
    vector = np.asarray(retriever.vector, dtype=np.float32)
    if vector.ndim != 1 or not np.isfinite(vector).all():
        raise InvalidQuery(f"query vector for {retriever.field} must be one finite row, got shape {vector.shape}")
    section: dict[str, Any] = {"field": retriever.field, "query_vector": vector.tolist(), "k": retriever.k,
                               "num_candidates": candidates}
    if filters:
        section["filter"] = filters
    return section


def knn_body(index: IndexName, retriever: VectorRetriever, filters: list[dict[str, Any]], candidates: int
             ) -> dict[str, Any]:
    return {"size": retriever.k, "_source": False, "track_total_hits": False,
            "knn": knn_section(index, retriever, filters, candidates)}


def fused_body(index: IndexName, retrievers: Sequence[TextRetriever | VectorRetriever],
               filters: list[dict[str, Any]], method: str, k: int, candidates: Mapping[str, int],
               weights: Mapping[str, float], rank_constant: int = 60, window: int = 100,
               normalizer: str = "minmax") -> dict[str, Any]:
    """One search fused on the cluster by an ``rrf`` or ``linear`` retriever (Enterprise licence)."""
    inner: list[dict[str, Any]] = []
    for retriever in retrievers:
        if isinstance(retriever, TextRetriever):
            query = text_query(index, retriever)
            if query is None:
                continue
            standard: dict[str, Any] = {"query": query}
            if filters:
                standard["filter"] = filters
            inner.append({"standard": standard})
        else:
            inner.append({"knn": knn_section(index, retriever, filters, candidates[retriever.name])})
    names = [r.name for r in retrievers if not (isinstance(r, TextRetriever) and text_query(index, r) is None)]
    if method == "rrf":
        weighted = any(weights.get(n, 1.0) != 1.0 for n in names)  # weighted entries need ES 9.2+
        entries = [{"retriever": r, "weight": float(weights.get(n, 1.0))} if weighted else r
                   for r, n in zip(inner, names, strict=True)]
        fusion = {"rrf": {"retrievers": entries, "rank_constant": rank_constant, "rank_window_size": window}}
    elif method == "linear":
        entries = [{"retriever": r, "weight": float(weights.get(n, 1.0)), "normalizer": normalizer}
                   for r, n in zip(inner, names, strict=True)]
        fusion = {"linear": {"retrievers": entries, "rank_window_size": window}}
    else:
        raise InvalidQuery(f"unknown server fusion {method!r}: use rrf or linear")
    return {"size": k, "_source": False, "track_total_hits": False, "retriever": fusion}


def count_body(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"query": {"bool": {"filter": filters}}} if filters else {"query": {"match_all": {}}}


def source_filter(index: IndexName, with_vectors: bool, exclude_vectors_flag: bool) -> dict[str, Any]:
    """``_source`` without vectors (what the embedded store returns), or with them (9.2+ hides them unless
    asked with ``exclude_vectors: false``)."""
    if with_vectors:
        return {"exclude_vectors": False} if exclude_vectors_flag else {"includes": ["*"]}
    vectors = sorted(index_schema(index).vectors)
    return {"excludes": vectors} if vectors else {"includes": ["*"]}


def page_body(filters: list[dict[str, Any]], pit_id: str, keep_alive: str, size: int,
              search_after: list[Any] | None, source: dict[str, Any] | bool) -> dict[str, Any]:
    """One page of a point-in-time export, in ``_shard_doc`` order (the cheapest stable order)."""
    body: dict[str, Any] = {
        "size": size,
        "pit": {"id": pit_id, "keep_alive": keep_alive},
        "sort": ["_shard_doc"],
        "track_total_hits": False,
        "_source": source,
        "query": count_body(filters)["query"],
    }
    if search_after is not None:
        body["search_after"] = search_after
    return body


def video_term(video_id: str) -> dict[str, Any]:
    return {"term": {"video_id": {"value": video_id}}}


def owned_ids_query(video_id: str, keep: Sequence[str]) -> dict[str, Any]:
    """Documents of one video except ``keep``: the stale ones a re-analysis replaces."""
    bool_query: dict[str, Any] = {"filter": [video_term(video_id)]}
    if keep:
        bool_query["must_not"] = [{"ids": {"values": list(keep)}}]
    return {"bool": bool_query}
