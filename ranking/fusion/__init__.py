"""Fusion of candidate lists (one per retriever) into one ranking.

``fuse`` is what the search path calls; each method lives in its own module as a small vectorised function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ranking.fusion.lists import FusedRanking, RankedList, as_ranked_lists
from ranking.fusion.rrf import fuse_rrf
from ranking.fusion.weighted import fuse_weighted

__all__ = ["FusedRanking", "RankedList", "fuse", "fuse_rrf", "fuse_weighted"]


def fuse(
    lists: Mapping[str, Sequence],
    *,
    method: str = "weighted",
    weights: Mapping[str, float] | None = None,
    normalization: str = "minmax",
    rrf_k: int = 60,
) -> FusedRanking:
    """Fuse ``{retriever name: [candidate with .id and .score, best first]}`` into one ranking."""
    ranked = as_ranked_lists(lists)
    if method == "rrf":
        return fuse_rrf(ranked, weights=weights, k=rrf_k)
    if method == "weighted":
        return fuse_weighted(ranked, weights=weights, normalization=normalization)
    raise ValueError(f"unknown fusion method {method!r}; use 'weighted' or 'rrf'")
