"""Straightforward pure-Python fusion: the oracle the vectorised methods are tested against and the baseline the
speed benchmark compares with. Same semantics, no numpy, no cleverness; expects clean input (finite scores,
unique ids per list, best first)."""

from __future__ import annotations

import math
from collections.abc import Mapping


def _normalise(scores: list[float], method: str) -> list[float]:
    if method == "minmax":
        lo, hi = min(scores), max(scores)
        return [(s - lo) / (hi - lo) if hi > lo else 1.0 for s in scores]
    if method == "zscore":
        mean = sum(scores) / len(scores)
        std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
        return [(s - mean) / std if std > 0 else 0.0 for s in scores]
    if method == "max":
        top = max(abs(s) for s in scores)
        return [s / top if top > 0 else 0.0 for s in scores]
    raise ValueError(method)


def _weights(names: list[str], weights: Mapping[str, float] | None, unweighted: float) -> dict[str, float]:
    if weights is None:
        return {n: unweighted for n in names}
    total = sum(weights.values())
    if abs(total - 1.0) <= 1e-6:  # weights that already sum to 1 are used as given
        total = 1.0
    return {n: weights.get(n, 0.0) / total for n in names}


def reference_weighted(lists: Mapping[str, list[tuple[str, float]]], weights: Mapping[str, float] | None = None,
                       normalization: str = "minmax", missing: str = "zero") -> list[tuple[str, float]]:
    lists = {name: _sorted(items, []) for name, items in sorted(lists.items()) if items}
    if not lists:
        return []
    w = _weights(list(lists), weights, 1.0 / len(lists))
    lists = {name: items for name, items in lists.items() if w[name] > 0}
    normalised: dict[str, dict[str, float]] = {}
    seen: dict[str, None] = {}
    for name, items in lists.items():
        values = _normalise([s for _, s in items], normalization)
        normalised[name] = {doc: v for (doc, _), v in zip(items, values, strict=True)}
        for doc, _ in items:
            seen.setdefault(doc, None)
    order = list(seen)
    fused = []
    for doc in order:
        total, covered = 0.0, 0.0
        for name in lists:
            if doc in normalised[name]:
                total += w[name] * normalised[name][doc]
                covered += w[name]
            elif missing == "min":
                total += w[name] * min(normalised[name].values())
        if missing == "skip":
            total = total / covered if covered > 0 else 0.0
        fused.append((doc, total))
    return _sorted(fused, order)


def reference_rrf(lists: Mapping[str, list[tuple[str, float]]], weights: Mapping[str, float] | None = None,
                  k: int = 60) -> list[tuple[str, float]]:
    lists = {name: _sorted(items, []) for name, items in sorted(lists.items()) if items}
    w = _weights(list(lists), weights, 1.0)
    lists = {name: items for name, items in lists.items() if w[name] > 0}
    scores: dict[str, float] = {}
    for name, items in lists.items():
        for rank, (doc, _) in enumerate(items, start=1):
            scores[doc] = scores.get(doc, 0.0) + w[name] / (k + rank)
    return _sorted(list(scores.items()), list(scores))


def _sorted(fused: list[tuple[str, float]], first_seen: list[str]) -> list[tuple[str, float]]:
    """Score descending, ties by document id descending (trec_eval's comp_sim_docno)."""
    by_id = sorted(fused, key=lambda item: item[0], reverse=True)
    return sorted(by_id, key=lambda item: -item[1])
