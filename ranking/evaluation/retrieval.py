"""Candidate runs from an index: every query through every retriever, one ``Run`` per retriever, so fusion can
be tuned offline on exactly the candidates the searcher would fuse.

The default retrievers are the searcher's own (``vidsearch.search``: BM25 over the Korean- and English-analysed
segment fields with its field boosts, and the text encoder's kNN), so an evaluation measures the product, not a
look-alike. Custom retrievers name other fields or indices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ranking.evaluation.runs import Run
from ranking.fusion.lists import RankedList
from vidsearch.errors import InvalidQuery
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.base import IndexBackend, Retriever, SearchFilters, TextRetriever, VectorRetriever


class RetrieverSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["bm25", "vector"]
    fields: list[str] = Field(default_factory=list, description="bm25: text fields, e.g. caption.ko")
    boosts: dict[str, float] = Field(default_factory=dict)
    field: str | None = Field(None, description="vector: the dense_vector field, e.g. text_vec")


def product_specs(names: Sequence[str] | None = None) -> list[RetrieverSpec]:
    """The searcher's retrievers over segments (all of them, or those named)."""
    from vidsearch.search import FIELD_BOOSTS, TEXT_RETRIEVERS

    schema = index_schema(IndexName.SEGMENTS)
    specs = []
    for name, language in TEXT_RETRIEVERS.items():
        fields = schema.text_fields(language)
        specs.append(RetrieverSpec(name=name, kind="bm25", fields=fields,
                                   boosts={f: FIELD_BOOSTS.get(f.split(".")[0], 1.0) for f in fields}))
    specs.append(RetrieverSpec(name="text_vec", kind="vector", field="text_vec"))
    if names is None:
        return specs
    known = {s.name: s for s in specs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidQuery(f"unknown retrievers {unknown}; the searcher has {list(known)}")
    return [known[n] for n in names]


def collect_runs(store: IndexBackend, queries: Mapping[str, str], specs: Sequence[RetrieverSpec], k: int = 100,
                 encode: Callable[[list[str]], np.ndarray] | None = None, encoder_id: str | None = None,
                 index: IndexName = IndexName.SEGMENTS, filters: SearchFilters | None = None,
                 query_vectors: np.ndarray | None = None, progress: Callable[[int], None] | None = None,
                 batch: int = 64) -> dict[str, Run]:
    """One run per retriever. Vector retrievers need ``encode`` (texts → L2-normalised query vectors, e.g. a
    TextEncoder's ``encode_queries``) or precomputed ``query_vectors`` aligned with ``queries``."""
    ids = list(queries)
    texts = [queries[q] for q in ids]
    needs_vectors = any(s.kind == "vector" for s in specs)
    if needs_vectors and query_vectors is None and encode is None:
        raise InvalidQuery("vector retrievers need a query encoder")
    rankings: dict[str, dict[str, RankedList]] = {s.name: {} for s in specs}
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        vectors = None
        if needs_vectors:
            vectors = query_vectors[start:start + batch] if query_vectors is not None else \
                encode(texts[start:start + batch])
        for row, query_id in enumerate(chunk):
            retrievers: list[Retriever] = []
            for spec in specs:
                if spec.kind == "bm25":
                    retrievers.append(TextRetriever(spec.name, queries[query_id], tuple(spec.fields), k,
                                                    spec.boosts))
                else:
                    retrievers.append(VectorRetriever(spec.name, spec.field or "text_vec",
                                                      np.asarray(vectors[row], dtype=np.float32), k,
                                                      encoder=encoder_id))
            found = store.search(index, retrievers, filters)
            for spec in specs:
                candidates = found.get(spec.name, [])
                rankings[spec.name][query_id] = RankedList(
                    spec.name, [c.id for c in candidates], np.array([c.score for c in candidates], np.float64))
        if progress is not None:
            progress(len(chunk))
    return {name: Run(name, r) for name, r in rankings.items()}
