"""Weighted linear fusion over normalised scores (a convex combination, Bruch et al. 2023)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ranking.fusion.lists import FusedRanking, RankedList, ordered, union_matrix, weights_for


def normalise(raw: np.ndarray, method: str) -> np.ndarray:
    """Column-wise normalisation ignoring NaN (absent); absent entries become 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "minmax":
            lo, hi = np.nanmin(raw, axis=0), np.nanmax(raw, axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            out = np.where(hi > lo, (raw - lo) / span, 1.0)
        elif method == "zscore":
            mean, std = np.nanmean(raw, axis=0), np.nanstd(raw, axis=0)
            out = (raw - mean) / np.where(std > 0, std, 1.0)
        elif method == "max":
            hi = np.nanmax(np.abs(raw), axis=0)
            out = raw / np.where(hi > 0, hi, 1.0)
        else:
            raise ValueError(f"unknown normalisation {method!r}; use minmax, zscore or max")
    return np.where(np.isnan(raw), 0.0, out)


def fuse_weighted(lists: Sequence[RankedList], weights: Mapping[str, float] | None = None,
                  normalization: str = "minmax") -> FusedRanking:
    lists = [lst for lst in lists if lst.ids]
    if not lists:
        return FusedRanking([], np.zeros(0), [], np.zeros((0, 0)), np.zeros((0, 0)))
    ids, raw, _ = union_matrix(lists)
    w = weights_for(lists, weights)
    contrib = normalise(raw, normalization) * w
    return ordered(ids, contrib.sum(axis=1), raw, contrib, [lst.name for lst in lists])
