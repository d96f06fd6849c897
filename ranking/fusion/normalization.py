"""Score normalisation, one small function per method, applied to one list's scores (all finite) at a time.

Scores from BM25 (unbounded, query-dependent) and from dot products (roughly -1..1) are not comparable until
mapped onto a common scale; Bruch et al. (TOIS 2023) find min-max with a convex combination robust.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ranking.errors import UnknownFusionOption


def minmax(scores: np.ndarray) -> np.ndarray:
    """(s - min) / (max - min) onto [0, 1]. A list whose scores are all equal maps to 1: every candidate is as
    good as the list's best."""
    lo, hi = scores.min(), scores.max()
    if hi > lo:
        return (scores - lo) / (hi - lo)
    return np.ones_like(scores)


def zscore(scores: np.ndarray) -> np.ndarray:
    """(s - mean) / std; all-equal scores map to 0."""
    std = scores.std()
    if std > 0:
        return (scores - scores.mean()) / std
    return np.zeros_like(scores)


def max_scaled(scores: np.ndarray) -> np.ndarray:
    """s / max|s|: keeps zero at zero, so an absent list (contributing 0) and a zero score agree."""
    top = np.abs(scores).max()
    if top > 0:
        return scores / top
    return np.zeros_like(scores)


NORMALISERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "minmax": minmax,
    "zscore": zscore,
    "max": max_scaled,
}


def normaliser(name: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return NORMALISERS[str(name)]
    except KeyError:
        raise UnknownFusionOption(f"unknown normalisation {name!r}; use one of {', '.join(NORMALISERS)}") from None
