"""Reciprocal rank fusion: score = Σ weight / (k + rank), rank counted from 1 (Cormack et al. 2009).

Scores are ignored, only positions count, so no normalisation is needed; a list that did not return a document
adds nothing for it; a list weighted 0 is left out. Without weights every list weighs 1 (the textbook form); given weights are normalised to
sum to 1, which rescales the fused scores but not their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ranking.errors import InvalidWeights
from ranking.fusion.lists import Contributions, FusedRanking, RankedList, clean_lists, ranked_output, union
from ranking.fusion.weights import weighted_lists


def rrf_terms(length: int, k: float) -> np.ndarray:
    """1 / (k + rank) for ranks 1..length."""
    return 1.0 / (k + np.arange(1, length + 1))


def fuse_rrf(lists: Sequence[RankedList], weights: Mapping[str, float] | None = None, k: int = 60
             ) -> FusedRanking:
    if not k >= 0:
        raise InvalidWeights(f"rrf_k must be >= 0, got {k!r}")
    lists, notices, excluded = clean_lists(lists)
    lists, w, weight_notices = weighted_lists(lists, weights, unweighted=1.0)
    if not lists:
        return FusedRanking.empty("rrf", notices + weight_notices, excluded)
    joined = union(lists, notices)
    terms = [rrf_terms(r.size, float(k)) for r in joined.rows]
    scores = np.zeros(len(joined))
    for j, r in enumerate(joined.rows):
        scores[r] += w[j] / (k + np.arange(1, r.size + 1))  # w / (k + rank), rounded as the reference rounds
    parts = Contributions(joined, terms, w, np.zeros(len(terms)))
    return ranked_output(parts, scores, "rrf", None, notices + weight_notices, excluded)
