"""Tracks → persons within one video: average-linkage agglomerative clustering cut at a calibrated distance.

Average linkage (UPGMA) over track vectors is robust to one odd track and needs no cluster count. Two tracks
seen in the same frame are two people: a hard cannot-link. Two clusters holding such a pair never merge,
however close the rest of their members are (a soft penalty — the pair's distance set to the maximum — was
outvoted once a cluster held enough close members, and look-alikes sharing a frame became one person).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from vidsearch.faces.tracks import FaceTrack

def cluster_vectors(
    vectors: np.ndarray, distance: float, apart: Sequence[tuple[int, int]] = (),
    measured: Mapping[tuple[int, int], float] | None = None,
) -> np.ndarray:
    """Cluster labels 0..k-1 (numbered by first member), merging while the average distance ≤ ``distance``.
    ``measured``: pairs (i, j) whose distance was measured better than their vectors' (a re-check)."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, np.int64)
    if n == 1:
        return np.zeros(1, np.int64)
    vectors = np.asarray(vectors, np.float64)
    dots = np.clip(vectors @ vectors.T, -1.0, 1.0)
    square = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * dots))
    np.fill_diagonal(square, 0.0)
    for (i, j), d in (measured or {}).items():
        square[i, j] = square[j, i] = d
    if not apart:
        tree = linkage(squareform(square, checks=False), method="average")
        raw = fcluster(tree, t=distance, criterion="distance")
    else:
        blocked = np.zeros((n, n), bool)
        for i, j in apart:
            blocked[i, j] = blocked[j, i] = True
        raw = np.zeros(n, np.int64)
        for label, members in enumerate(average_linkage([[i] for i in range(n)], square, blocked, distance)):
            raw[members] = label
    relabel: dict[int, int] = {}
    return np.array([relabel.setdefault(int(label), len(relabel)) for label in raw], np.int64)


def average_linkage(clusters: list[list[int]], square: np.ndarray, blocked: np.ndarray,
                    distance: float) -> list[list[int]]:
    """Average linkage with cannot-links, from starting ``clusters`` (item indices into ``square``, the items'
    pairwise distances): the closest pair of clusters by mean distance merges while that mean is ≤ ``distance``
    and no cannot-link joins them (``blocked``, between the starting clusters; a merged cluster inherits its
    parts' links). Ties go to the lowest cluster indices, so equal inputs give equal clusters."""
    m = len(clusters)
    if m < 2:
        return [sorted(c) for c in clusters]
    sums = np.zeros((m, m))
    for a in range(m):
        for b in range(a + 1, m):
            sums[a, b] = sums[b, a] = float(square[np.ix_(clusters[a], clusters[b])].sum())
    sizes = np.array([len(c) for c in clusters], np.float64)
    blocked = np.array(blocked, bool)
    mean = sums / np.outer(sizes, sizes)
    mean[blocked] = np.inf
    np.fill_diagonal(mean, np.inf)
    alive = np.ones(m, bool)
    while True:
        a, b = np.unravel_index(int(np.argmin(mean)), mean.shape)
        if not np.isfinite(mean[a, b]) or mean[a, b] > distance:
            break
        a, b = min(a, b), max(a, b)
        clusters[a] = clusters[a] + clusters[b]
        sums[a, :] += sums[b, :]
        sums[:, a] = sums[a, :]
        blocked[a, :] |= blocked[b, :]
        blocked[:, a] = blocked[a, :]
        sizes[a] += sizes[b]
        alive[b] = False
        row = sums[a, :] / (sizes[a] * sizes)
        row[blocked[a, :] | ~alive] = np.inf
        row[a] = np.inf
        mean[a, :] = row
        mean[:, a] = row
        mean[b, :] = np.inf
        mean[:, b] = np.inf
    return [sorted(clusters[k]) for k in range(m) if alive[k]]


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


def cluster_tracks(tracks: Sequence[FaceTrack], distance: float,
                   apart_ids: Collection[tuple[int, int]] = (),
                   steady: Mapping[tuple[int, int], float] | None = None) -> np.ndarray:
    """Person label per track (tracks must all have vectors). Tracks seen in one frame never share a person,
    nor do the pairs of track ids in ``apart_ids`` (kept apart by a re-check); a pair of track ids in ``steady``
    is as far apart as the re-check measured."""
    if not tracks:
        return np.zeros(0, np.int64)
    index = {t.id: k for k, t in enumerate(tracks)}
    apart = set(co_occurring(tracks))
    apart |= {tuple(sorted((index[a], index[b]))) for a, b in apart_ids if a in index and b in index}
    measured = {(index[a], index[b]): d for (a, b), d in (steady or {}).items() if a in index and b in index}
    return cluster_vectors(np.stack([t.vector for t in tracks]), distance, sorted(apart), measured)
