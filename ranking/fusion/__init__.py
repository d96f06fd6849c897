"""Fusion of candidate lists (one per retriever: bm25_ko, bm25_en, text_vec, clip_vec, face, credits...) into one
ranking.

``fuse`` is what the search path calls; each method lives in its own module as a small vectorised function, and
``reference`` holds the plain-Python versions they are tested against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ranking.errors import UnknownFusionOption
from ranking.fusion.lists import FusedRanking, RankedList, as_ranked_lists
from ranking.fusion.normalization import NORMALISERS
from ranking.fusion.rrf import fuse_rrf
from ranking.fusion.weighted import MissingPolicy, fuse_weighted
from ranking.fusion.weights import checked_weights

__all__ = [
    "METHODS",
    "NORMALISERS",
    "FusedRanking",
    "MissingPolicy",
    "RankedList",
    "as_ranked_lists",
    "checked_weights",
    "fuse",
    "fuse_rrf",
    "fuse_weighted",
]

METHODS = ("weighted", "rrf")


def fuse(
    lists: Mapping[str, Any],
    *,
    method: str = "weighted",
    weights: Mapping[str, float] | None = None,
    normalization: str = "minmax",
    rrf_k: int = 60,
    missing: str = "zero",
) -> FusedRanking:
    """Fuse ``{retriever name: [candidate with .id and .score, best first]}`` into one ranking.

    ``weights`` name lists (missing names weigh 0); they are normalised to sum to 1 with a notice in
    ``FusedRanking.notices``; negative weights raise ``InvalidWeights``. Candidates with NaN scores are
    excluded and listed in ``FusedRanking.excluded``. ``missing`` (weighted only): what an absent list
    contributes — ``zero``, ``min`` or ``skip`` (see ``ranking.fusion.weighted``).
    """
    ranked = as_ranked_lists(lists)
    if method == "rrf":
        return fuse_rrf(ranked, weights=weights, k=rrf_k)
    if method == "weighted":
        return fuse_weighted(ranked, weights=weights, normalization=normalization, missing=missing)
    raise UnknownFusionOption(f"unknown fusion method {method!r}; use one of {', '.join(METHODS)}")
