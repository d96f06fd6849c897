"""Candidate runs from an index: every query through every retriever, one ``Run`` per retriever, so fusion can
be tuned offline on exactly the candidates the searcher would fuse.

The retrievers come from the searcher itself (``Searcher.retrievers_for``: BM25 over the Korean- and
English-analysed segment fields with its field boosts, the text encoder's kNN, CLIP where configured), so an
evaluation measures the product, not a look-alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ranking.evaluation.runs import Run
from ranking.fusion.lists import RankedList
from ranking.profiles import FusionProfile
from vidsearch.schema import IndexName
from vidsearch.search_feedback import search_again
from vidsearch.store.base import IndexBackend, Retriever, SearchFilters


def collect_runs(store: IndexBackend, queries: Mapping[str, str], retrievers_for: Callable[[str], list[Retriever]],
                 index: IndexName = IndexName.SEGMENTS, filters: SearchFilters | None = None,
                 progress: Callable[[int], None] | None = None) -> dict[str, Run]:
    """One run per retriever: ``retrievers_for(query text)`` gives the retrievers for one query."""
    rankings: dict[str, dict[str, RankedList]] = {}
    for query_id, text in queries.items():
        found = store.search(index, retrievers_for(text), filters)
        for name, candidates in found.items():
            rankings.setdefault(name, {})[query_id] = RankedList.ordered(  # ties in trec_eval's order
                name, [c.id for c in candidates], [c.score for c in candidates])
        if progress is not None:
            progress(1)
    return {name: Run(name, r) for name, r in rankings.items()}


if TYPE_CHECKING:
    from vidsearch.search import Searcher


def feedback_run(searcher: Searcher, queries: Mapping[str, str], runs: Mapping[str, Run], profile: FusionProfile,
                 candidates: int, progress: Callable[[int], None] | None = None) -> Run:
    """The profile's feedback list (``profile.feedback.retriever``) searched again as the searcher does it: each
    query's ``runs`` fused with ``profile`` (the first pass), the query vector moved toward the fused top
    documents, the vector list searched again. Fusing ``runs`` with this run in place of the feedback retriever's
    own gives the searcher's answer for a profile with feedback."""
    feedback = profile.feedback
    if feedback is None:
        raise ValueError(f"profile {profile.name!r} has no feedback settings")
    rankings: dict[str, RankedList] = {}
    for query_id, text in queries.items():
        first = profile.fuse({name: run.get(query_id) for name, run in runs.items()}, text)
        retrievers = searcher.retrievers_for(text, [feedback.retriever], candidates)
        found = search_again(searcher.store, feedback, retrievers, first.ids, {})[feedback.retriever]
        rankings[query_id] = RankedList.ordered(feedback.retriever, [c.id for c in found], [c.score for c in found])
        if progress is not None:
            progress(1)
    return Run(feedback.retriever, rankings)


class QueryVectorLookup:
    """A text encoder whose query vectors were computed earlier (benchmarks cache them): hand it to the
    ``Searcher`` so its own retrievers run without re-encoding."""

    def __init__(self, identity: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.identity = identity
        self.dims = int(vectors.shape[1])
        self._rows = {text: i for i, text in enumerate(texts)}
        self._vectors = vectors

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors[[self._rows[t] for t in texts]]

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - queries only
        raise NotImplementedError("QueryVectorLookup only holds query vectors")
