"""Reciprocal rank fusion: score = Σ weight / (k + rank), rank counted from 1 (Cormack et al. 2009)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ranking.fusion.lists import FusedRanking, RankedList, ordered, union_matrix, weights_for


def fuse_rrf(lists: Sequence[RankedList], weights: Mapping[str, float] | None = None, k: int = 60) -> FusedRanking:
    lists = [lst for lst in lists if lst.ids]
    if not lists:
        return FusedRanking([], np.zeros(0), [], np.zeros((0, 0)), np.zeros((0, 0)))
    ids, raw, ranks = union_matrix(lists)
    w = weights_for(lists, weights)
    contrib = np.where(ranks >= 0, w / (k + ranks + 1.0), 0.0)
    return ordered(ids, contrib.sum(axis=1), raw, contrib, [lst.name for lst in lists])
