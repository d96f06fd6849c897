"""Weighted linear fusion over normalised scores (a convex combination, Bruch et al. 2023).

Where a list did not return a document, ``missing`` says what that list contributes:

- ``zero``: 0 on the normalised scale (Elasticsearch's linear retriever does this). With min-max that is the
  list's worst score; with z-score it is the list's *mean*, which flatters documents the list did not find.
- ``min``: the list's lowest normalised score among what it returned ("no better than its worst"). Same as
  ``zero`` for min-max; the safe choice for z-score.
- ``skip``: the list is left out for that document and the remaining weights renormalised, so a document is
  judged only by the lists that returned it (a strong single-list hit can outrank broad agreement).

A list weighted 0 takes no part at all: its candidates are not added to the ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np

from ranking.errors import UnknownFusionOption
from ranking.fusion.lists import Contributions, FusedRanking, RankedList, clean_lists, ranked_output, union
from ranking.fusion.normalization import normaliser
from ranking.fusion.weights import weighted_lists


class MissingPolicy(StrEnum):
    ZERO = "zero"
    MIN = "min"
    SKIP = "skip"


def missing_policy(value: str) -> MissingPolicy:
    try:
        return MissingPolicy(str(value))
    except ValueError:
        raise UnknownFusionOption(
            f"unknown missing-score policy {value!r}; use one of {', '.join(m.value for m in MissingPolicy)}"
        ) from None


def combine_weighted(rows: Sequence[np.ndarray], columns: Sequence[np.ndarray], weights: np.ndarray, size: int,
                     missing: MissingPolicy) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(fused scores, fill value per list, covered weight per row or None) for ``size`` union rows, where list
    j gave ``columns[j]`` to ``rows[j]``."""
    scores = np.zeros(size)
    fill = np.zeros(len(columns))
    covered = np.zeros(size) if missing is MissingPolicy.SKIP else None
    for j, (r, values) in enumerate(zip(rows, columns, strict=True)):
        w = weights[j]
        if missing is MissingPolicy.MIN:
            fill[j] = values.min()
            added = np.full(size, w * fill[j])
            added[r] = w * values
            scores += added
        else:
            scores[r] += w * values
        if covered is not None:
            covered[r] += w
    if covered is not None:
        scores = np.divide(scores, covered, out=np.zeros(size), where=covered > 0)
    return scores, fill, covered


def fuse_weighted(lists: Sequence[RankedList], weights: Mapping[str, float] | None = None,
                  normalization: str = "minmax", missing: str = "zero") -> FusedRanking:
    normalise = normaliser(normalization)
    policy = missing_policy(missing)
    lists, notices, excluded = clean_lists(lists)
    lists, w, weight_notices = weighted_lists(lists, weights, unweighted=1 / max(len(lists), 1))
    if not lists:
        return FusedRanking.empty("weighted", notices + weight_notices, excluded)
    joined = union(lists, notices)
    columns = [normalise(lst.scores) for lst in joined.lists]
    scores, fill, covered = combine_weighted(joined.rows, columns, w, len(joined), policy)
    parts = Contributions(joined, columns, w, fill, covered)
    return ranked_output(parts, scores, "weighted", str(normalization), notices + weight_notices, excluded)
