"""The searcher's second pass for a profile with dense pseudo-relevance feedback (``ranking/feedback.py``): the
query vector moved toward the stored vectors of the first fusion's top documents, the vector list searched again.
Shared by ``Searcher.execute`` (CLI, Serve) and the relevance tooling's ``feedback_run``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from ranking.feedback import FeedbackSettings, rocchio
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend, Retriever, SearchFilters, VectorRetriever


def feedback_vector(store: IndexBackend, feedback: FeedbackSettings, query: np.ndarray,
                    first_pass: Sequence[str]) -> np.ndarray:
    """``query`` moved toward the stored vectors of the first pass's top ``feedback.depth`` documents; documents
    without that vector (or deleted since) are skipped."""
    top = list(first_pass[: feedback.depth])
    stored = store.get(IndexName.SEGMENTS, top, with_vectors=True) if top else {}
    docs = [stored[d][feedback.retriever] for d in top if stored.get(d, {}).get(feedback.retriever) is not None]
    return rocchio(query, docs, feedback.weight)


def search_again(store: IndexBackend, feedback: FeedbackSettings, retrievers: Sequence[Retriever],
                 first_pass: Sequence[str], lists: Mapping[str, list], filters: SearchFilters | None = None
                 ) -> dict[str, list]:
    """``lists`` with the feedback retriever's list searched again (same k, field and filters) with the moved
    query vector."""
    [first] = [r for r in retrievers if r.name == feedback.retriever and isinstance(r, VectorRetriever)]
    moved = replace(first, vector=feedback_vector(store, feedback, first.vector, first_pass))
    return {**lists, **store.search(IndexName.SEGMENTS, [moved], filters)}
