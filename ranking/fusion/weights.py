"""Fusion weights: validated once, normalised to sum to 1 with a notice, negative ones refused."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ranking.errors import InvalidWeights

SUM_TOLERANCE = 1e-6


def checked_weights(weights: Mapping[str, float]) -> tuple[dict[str, float], list[str]]:
    """Weights that sum to 1, and a notice when they had to be rescaled. Negative, non-finite or all-zero
    weights raise ``InvalidWeights`` naming the list."""
    out: dict[str, float] = {}
    for name, value in weights.items():
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise InvalidWeights(f"weight for {name!r} is not a number: {value!r}") from None
        if not math.isfinite(w):
            raise InvalidWeights(f"weight for {name!r} is not finite: {value!r}")
        if w < 0:
            raise InvalidWeights(f"weight for {name!r} is negative ({w:g}); weights must be >= 0")
        out[str(name)] = w
    total = sum(out.values())
    if not out or total <= 0:
        raise InvalidWeights(f"fusion weights {dict(weights)!r} are all zero; at least one must be positive")
    if abs(total - 1.0) <= SUM_TOLERANCE:
        return out, []
    notice = f"weights summed to {total:.6g}, not 1; normalised to " + ", ".join(
        f"{k}={v / total:.4g}" for k, v in out.items())
    return {k: v / total for k, v in out.items()}, [notice]


def list_weights(names: Sequence[str], weights: Mapping[str, float] | None, unweighted: float
                 ) -> tuple[np.ndarray, list[str]]:
    """One weight per list in ``names``. With no weights every list gets ``unweighted``. Lists the weights do
    not name get 0, with a notice; weights for lists absent from this query simply go unused."""
    if weights is None:
        return np.full(len(names), unweighted), []
    checked, notices = checked_weights(weights)
    unnamed = [n for n in names if n not in checked]
    if unnamed:
        notices.append(f"no weight for list(s) {', '.join(unnamed)}; left out")
    return np.array([checked.get(n, 0.0) for n in names]), notices


def weighted_lists(lists: Sequence, weights: Mapping[str, float] | None, unweighted: float
                   ) -> tuple[list, np.ndarray, list[str]]:
    """The lists that take part (weight > 0) and their weights. A list weighted 0 is left out entirely — its
    candidates too — as the searcher does not even run a retriever it gives no weight."""
    w, notices = list_weights([lst.name for lst in lists], weights, unweighted)
    keep = w > 0
    if not keep.all() and keep.any():
        return [lst for lst, k in zip(lists, keep, strict=True) if k], w[keep], notices
    if not keep.any() and len(lists):
        notices.append("every list returned has weight 0; nothing to fuse")
        return [], w[:0], notices
    return list(lists), w, notices
