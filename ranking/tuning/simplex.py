"""Candidate weight vectors on the probability simplex (non-negative, summing to 1): a grid with a step, or
seeded random points. Linear fusion is scale-invariant, so the simplex covers every distinct ranking."""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np

from ranking.errors import InvalidWeights

MAX_POINTS = 200_000


def simplex_grid(lists: int, step: float) -> np.ndarray:
    """Every weight vector whose parts are multiples of ``step`` (which must divide 1), rows summing to 1."""
    if lists < 1:
        raise InvalidWeights("a weight grid needs at least one list")
    parts = round(1.0 / step) if step > 0 else 0
    if parts < 1 or abs(parts * step - 1.0) > 1e-9:
        raise InvalidWeights(f"grid step {step!r} must divide 1 (e.g. 0.1, 0.05, 0.25)")
    count = comb(parts + lists - 1, lists - 1)
    if count > MAX_POINTS:
        raise InvalidWeights(f"a step of {step} over {lists} lists gives {count:,} points; use a coarser step "
                             f"or random search")
    points = np.empty((count, lists))
    for row, bars in enumerate(combinations(range(parts + lists - 1), lists - 1)):
        edges = (-1, *bars, parts + lists - 1)
        points[row] = [edges[i + 1] - edges[i] - 1 for i in range(lists)]
    return points / parts


def simplex_random(lists: int, samples: int, seed: int = 0) -> np.ndarray:
    """``samples`` points drawn uniformly from the simplex (Dirichlet(1)), after its corners (each list alone)
    and its centre (equal weights), so the baselines are always among the candidates."""
    if lists < 1 or samples < 0:
        raise InvalidWeights("random weight search needs at least one list and a non-negative sample count")
    rng = np.random.default_rng(seed)
    fixed = np.vstack([np.eye(lists), np.full((1, lists), 1.0 / lists)])
    return np.vstack([fixed, rng.dirichlet(np.ones(lists), size=samples)]) if samples else fixed
