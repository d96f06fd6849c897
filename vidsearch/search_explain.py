"""How a search explains its hits: a scale-free relevance per hit and each fused list's lift ("why it matched").

Kept apart from the query path (``vidsearch.search``) because it reads only the fusion's output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def relative_scores(scores: np.ndarray) -> np.ndarray:
    """Fused scores min-max rescaled over every fused candidate (best first). Z-scores are negative below the
    mean and BM25-heavy fusions run past 1, so a share of the top score means nothing in general; this rescaling is
    unchanged by any shift or scale of the scores, which is all that tells the normalisations apart."""
    if not len(scores):
        return scores
    top, bottom = float(scores[0]), float(scores[-1])
    if top <= bottom:
        return np.ones_like(scores, dtype=float)
    return (scores - bottom) / (top - bottom)


def list_floors(fused) -> dict[str, float]:
    """Each list's lowest normalised value among its candidates (0 under min-max, below 0 under z-score)."""
    normalised = fused.normalised
    if not normalised.size:
        return {}
    return {name: float(np.nanmin(normalised[:, j])) for j, name in enumerate(fused.lists)
            if not np.isnan(normalised[:, j]).all()}


def with_lift(explained: dict[str, dict], weights: Mapping[str, float], floors: Mapping[str, float]) -> dict:
    """``lift``: what a list raised the hit above that list's weakest candidate, weight × (normalised − the list's
    lowest), 0 where the list did not return the hit. Never negative under any normalisation (a z-scored
    contribution is negative for a hit below the list's mean, however well it matched), so "why it matched" can
    show each list's share of it."""
    for name, values in explained.items():
        norm = values.get("normalised")
        values["lift"] = (weights.get(name, 0.0) * (norm - floors.get(name, 0.0))
                          if norm is not None and not math.isnan(norm) else 0.0)
    return explained
