"""Re-check the track pairs clustering cannot decide: embed each one's best face again as the mean over jittered
copies, and forbid the pair from forming one person where that steadier embedding puts them apart.

With dlib, look-alikes (Mayer/Johansson) and one person's different pictures overlap around the cluster
distance (0.36–0.42 single pass). Averaging the embeddings of slightly shifted, rotated, scaled and mirrored
copies of the aligned face removes much of the single pass's noise: on dev captures it pulls one person's
faces together (p95 0.35 → 0.32) while look-alikes stay as far apart as they were. Only tracks in a pair
within ``band`` of the cluster distance are re-embedded (a few per video), and a re-check only ever adds a
cannot-link, never a merge. The copies are a fixed set (no random draw), so a re-indexed video gives the same
answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vidsearch.faces.models import FaceModel, Thresholds, distance_of, normalised
from vidsearch.faces.settings import FaceSettings
from vidsearch.faces.tracks import FaceTrack, TrackingStats

# (rotation degrees, scale, shift x, shift y in pixels of a 150 px chip, mirrored): small changes of the
# alignment the descriptor should not care about; the first is the face as it is
_JITTERS = ((0.0, 1.0, 0, 0, False), (0.0, 1.0, 0, 0, True), (-4.0, 1.03, 2, 0, False), (4.0, 0.97, -2, 1, True),
            (3.0, 1.02, 0, -2, False), (-3.0, 0.98, 1, 2, True), (-2.0, 1.05, -1, -1, False),
            (2.0, 0.95, 2, 1, True))


def jittered(chip: np.ndarray, count: int) -> list[np.ndarray]:
    """``count`` fixed jittered copies of an aligned face (at most ``len(_JITTERS)``), the first unchanged."""
    h, w = chip.shape[:2]
    copies = []
    for angle, scale, dx, dy, mirror in _JITTERS[:max(1, count)]:
        scale_px = w / 150.0
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        matrix[:, 2] += (dx * scale_px, dy * scale_px)
        copy = cv2.warpAffine(chip, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        copies.append(cv2.flip(copy, 1) if mirror else copy)
    return copies


def embed_steady(model: FaceModel, chips: Sequence[np.ndarray], jitters: int,
                 known: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Each chip's embedding as the normalised mean over its jittered copies; ``known``: the chips' own
    embeddings (the first copy is the face as it is), so they are not computed again."""
    if not chips:
        return np.zeros((0, model.dims), np.float32)
    skip = 1 if known is not None else 0
    copies = [jittered(chip, jitters)[skip:] for chip in chips]
    vectors = model.embed([c for group in copies for c in group])
    out, k = [], 0
    for n, group in enumerate(copies):
        parts = list(vectors[k:k + len(group)]) + ([known[n]] if known is not None else [])
        out.append(np.mean(parts, axis=0))
        k += len(group)
    return normalised(np.array(out, np.float32))


_ABOVE = 0.02  # pairs this far above the cluster distance are re-checked too: average linkage can outvote them


def uncertain_pairs(vectors: np.ndarray, distance: float, band: float) -> list[tuple[int, int]]:
    """Pairs (i < j) whose distance lies from ``band`` below ``distance`` to a little above it: farther
    pairs never decide a merge, nearer ones are one person for any embedding."""
    if len(vectors) < 2:
        return []
    square = np.asarray(distance_of(np.clip(vectors @ vectors.T, -1.0, 1.0)))
    inside = (square >= distance - band) & (square <= distance + min(band, _ABOVE))
    i, j = np.nonzero(np.triu(inside, k=1))
    return list(zip(i.tolist(), j.tolist(), strict=True))


def steady_distances(model: FaceModel, chips: Sequence[np.ndarray | None], vectors: np.ndarray, distance: float,
                     band: float, jitters: int, known: Sequence[np.ndarray | None] | None = None,
                     ) -> tuple[dict[tuple[int, int], float], int]:
    """The steadier distance of every uncertain pair (i, j) among tracks given by their best face's chip (and, in
    ``known``, that face's embedding) and their vector, and how many faces were embedded for it. Tracks without a
    chip are not re-checked."""
    pairs = [(i, j) for i, j in uncertain_pairs(vectors, distance, band)
             if chips[i] is not None and chips[j] is not None]
    involved = sorted({k for pair in pairs for k in pair})
    if not involved:
        return {}, 0
    reuse = known is not None and all(known[k] is not None for k in involved)
    steady = dict(zip(involved, embed_steady(model, [chips[k] for k in involved], jitters,
                                             [known[k] for k in involved] if reuse else None), strict=True))
    found = {(i, j): float(distance_of(float(np.clip(steady[i] @ steady[j], -1.0, 1.0)))) for i, j in pairs}
    return found, len(involved) * (max(1, min(jitters, len(_JITTERS))) - (1 if reuse else 0))


def recheck(model: FaceModel, chips: Sequence[np.ndarray | None], vectors: np.ndarray, distance: float,
            band: float, recheck_distance: float, jitters: int,
            known: Sequence[np.ndarray | None] | None = None) -> tuple[list[tuple[int, int]], int]:
    """Cannot-links (i, j): the uncertain pairs whose steadier distance lies beyond ``recheck_distance``, and how
    many faces were embedded for it (``steady_distances``)."""
    found, embedded = steady_distances(model, chips, vectors, distance, band, jitters, known)
    return [pair for pair, d in found.items() if d > recheck_distance], embedded


def recheck_tracks(tracks: Sequence[FaceTrack], model: FaceModel, settings: FaceSettings, limits: Thresholds,
                   stats: TrackingStats) -> tuple[set[tuple[int, int]], dict[tuple[int, int], float]]:
    """Pairs of track ids the re-check keeps apart, and the steadier distance of every pair it re-checked (the
    clustering uses it for that pair instead of the single pass: one person's blurry and sharp tracks lay 0.395
    apart single pass, 0.351 steady, and stayed two persons); frees every kept chip. Only tracks seen in more
    than one sample (one alone never forms a person) whose best face is at least ``recheck_min_face_px`` are
    checked."""
    apart: set[tuple[int, int]] = set()
    steady: dict[tuple[int, int], float] = {}
    if limits.recheck_distance is not None and settings.recheck_jitters:
        usable = [t for t in tracks if t.vector is not None and len(t.sightings) > 1 and t.best_face is not None
                  and t.best_face.side >= settings.recheck_min_face_px]
        if len(usable) > 1:
            best = [t.best_face for t in usable]
            found, embedded = steady_distances(model, [b.chip for b in best], np.stack([t.vector for t in usable]),
                                               limits.cluster_distance, settings.recheck_band,
                                               settings.recheck_jitters, [b.embedding for b in best])
            steady = {(usable[i].id, usable[j].id): d for (i, j), d in found.items()}
            apart = {pair for pair, d in steady.items() if d > limits.recheck_distance}
            stats.rechecked += embedded
            stats.cannot_links += len(apart)
    for track in tracks:
        for candidate in track.candidates:
            candidate.chip = None
    return apart, steady
