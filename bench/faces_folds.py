"""Leave-people-out for the faces benches: split the dev people into folds, choose thresholds on some folds
(``faces_calibrate.py --exclude-fold i/k --out FILE``) and measure on the fold left out
(``faces_broadcast.py --fold i/k --thresholds FILE``).

Every shipped threshold was chosen on all 19 dev people and then measured on the same people: a bench that
only ever sees the people its thresholds came from cannot show what people never seen do to them (the held-out
set split one person into several). Folds are fixed by a hash of each name, not by anything the pipeline
measures, so a fold holds whatever look-alikes and spreads chance puts in it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

# a threshold file's keys → FaceSettings fields they override
THRESHOLD_FIELDS = {"match_distance": "match_distance", "cluster_distance": "cluster_distance",
                    "identity_distance": "identity_distance", "split_distance": "track_split_distance"}


def parse_fold(fold: str) -> tuple[int, int]:
    """'i/k' → (i, k) with 0 ≤ i < k, k ≥ 2."""
    try:
        i, k = (int(x) for x in fold.split("/"))
    except ValueError:
        raise ValueError(f"fold {fold!r} is not 'i/k' (e.g. 0/2)") from None
    if k < 2 or not 0 <= i < k:
        raise ValueError(f"fold {fold!r}: need k ≥ 2 and 0 ≤ i < k")
    return i, k


def fold_of(name: str, k: int) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % k


def in_fold(people: Mapping[str, T], fold: str) -> dict[str, T]:
    """The people of fold 'i/k'."""
    i, k = parse_fold(fold)
    return {name: value for name, value in people.items() if fold_of(name, k) == i}


def out_of_fold(people: Mapping[str, T], fold: str) -> dict[str, T]:
    """Everyone but the people of fold 'i/k' (where its thresholds are chosen)."""
    i, k = parse_fold(fold)
    return {name: value for name, value in people.items() if fold_of(name, k) != i}


def with_thresholds(settings, chosen: Mapping[str, float]):
    """``settings`` with the faces thresholds of ``chosen`` (keys of ``THRESHOLD_FIELDS``) set."""
    unknown = sorted(set(chosen) - set(THRESHOLD_FIELDS) - {"chosen_on", "left_out"})
    if unknown:
        raise ValueError(f"unknown thresholds {unknown}; known: {sorted(THRESHOLD_FIELDS)}")
    update = {THRESHOLD_FIELDS[k]: float(v) for k, v in chosen.items() if k in THRESHOLD_FIELDS}
    return settings.model_copy(update={"faces": settings.faces.model_copy(update=update)})
