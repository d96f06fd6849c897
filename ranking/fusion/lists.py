"""Shared shapes for fusion: ranked input lists and the fused output with per-list scores for ``explain``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankedList:
    name: str
    ids: list[str]
    scores: np.ndarray  # float64, best first


@dataclass
class FusedRanking:
    ids: list[str]  # best first
    scores: np.ndarray  # fused score per id
    lists: list[str]  # list names, the columns below
    raw: np.ndarray  # (len(ids), len(lists)) raw score, NaN where the list did not return the id
    normalised: np.ndarray  # same shape: the value fusion used (normalised score or RRF term), 0 where absent

    def explain(self, position: int) -> dict[str, dict[str, float | None]]:
        out = {}
        for j, name in enumerate(self.lists):
            raw = self.raw[position, j]
            out[name] = {"raw": None if np.isnan(raw) else float(raw), "contribution": float(self.normalised[position, j])}
        return out


def as_ranked_lists(lists: Mapping[str, Sequence]) -> list[RankedList]:
    out = []
    for name, candidates in lists.items():
        ids = [c.id for c in candidates]
        scores = np.fromiter((c.score for c in candidates), dtype=np.float64, count=len(ids))
        out.append(RankedList(name, ids, scores))
    return out


def union_matrix(lists: Sequence[RankedList]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(union of ids, raw score matrix with NaN for absent, rank matrix with -1 for absent)."""
    position: dict[str, int] = {}
    for lst in lists:
        for doc_id in lst.ids:
            position.setdefault(doc_id, len(position))
    raw = np.full((len(position), len(lists)), np.nan)
    ranks = np.full((len(position), len(lists)), -1, dtype=np.int64)
    for j, lst in enumerate(lists):
        rows = np.fromiter((position[i] for i in lst.ids), dtype=np.int64, count=len(lst.ids))
        raw[rows, j] = lst.scores
        ranks[rows, j] = np.arange(len(lst.ids))
    return list(position), raw, ranks


def weights_for(lists: Sequence[RankedList], weights: Mapping[str, float] | None) -> np.ndarray:
    """Per-list weights; lists not named get 0 when weights are given, 1 otherwise."""
    if weights is None:
        return np.ones(len(lists))
    return np.array([float(weights.get(lst.name, 0.0)) for lst in lists])


def ordered(ids: list[str], scores: np.ndarray, raw: np.ndarray, contrib: np.ndarray, names: list[str]
            ) -> FusedRanking:
    order = np.lexsort((np.arange(len(ids)), -scores))
    return FusedRanking([ids[i] for i in order], scores[order], names, raw[order], contrib[order])
