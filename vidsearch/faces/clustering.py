"""Tracks → persons within one video: average-linkage agglomerative clustering cut at a calibrated distance.

Average linkage (UPGMA) over track vectors is robust to one odd track and needs no cluster count. Two tracks
seen in the same frame are two people, so their distance is set to the maximum (2.0 on unit vectors) before
linking: a soft cannot-link that keeps look-alikes sharing a frame apart without forbidding a merge the rest
of the evidence strongly supports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from vidsearch.faces.tracking import FaceTrack

_APART = 2.0  # the largest distance between unit vectors


def cluster_vectors(
    vectors: np.ndarray, distance: float, apart: Sequence[tuple[int, int]] = ()
) -> np.ndarray:
    """Cluster labels 0..k-1 (numbered by first member), merging while the average distance ≤ ``distance``."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, np.int64)
    if n == 1:
        return np.zeros(1, np.int64)
    vectors = np.asarray(vectors, np.float64)
    dots = np.clip(vectors @ vectors.T, -1.0, 1.0)
    square = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * dots))
    for i, j in apart:
        square[i, j] = square[j, i] = _APART
    np.fill_diagonal(square, 0.0)
    tree = linkage(squareform(square, checks=False), method="average")
    raw = fcluster(tree, t=distance, criterion="distance")
    relabel: dict[int, int] = {}
    return np.array([relabel.setdefault(int(label), len(relabel)) for label in raw], np.int64)


def co_occurring(tracks: Sequence[FaceTrack]) -> list[tuple[int, int]]:
    """Pairs of tracks seen in the same sampled frame."""
    by_frame: dict[int, list[int]] = {}
    for i, track in enumerate(tracks):
        for frame in track.frames:
            by_frame.setdefault(frame, []).append(i)
    pairs = {
        (a, b) for members in by_frame.values() for ai, a in enumerate(members) for b in members[ai + 1 :]
    }
    return sorted(pairs)


def cluster_tracks(tracks: Sequence[FaceTrack], distance: float) -> np.ndarray:
    """Person label per track (tracks must all have vectors)."""
    if not tracks:
        return np.zeros(0, np.int64)
    return cluster_vectors(np.stack([t.vector for t in tracks]), distance, co_occurring(tracks))
