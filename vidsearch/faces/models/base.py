"""What every face backend provides: detection with landmarks, alignment, and L2-normalised embeddings.

Distances throughout ``vidsearch.faces`` are Euclidean distances between L2-normalised embeddings (``sqrt(2 -
2 cos)``, 0 = identical, 2 = opposite), the same scale for every backend, so one rule — "within the calibrated
distance" — serves search, clustering and identity linking. Each backend carries its own calibrated thresholds
(``Calibration``) because the scales of 128-d dlib and 512-d ArcFace embeddings differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Backend thresholds (distances on unit vectors) and where they were measured."""

    match_distance: float  # a query photo's face ↔ a person's centroid
    cluster_distance: float  # track ↔ track within one video (average linkage)
    identity_distance: float  # a new person ↔ a person already in an archive identity
    min_det_score: float  # detector score floor of the quality gate
    source: str
    # checkpoint ↔ checkpoint within a track; None: the match distance. A false split costs one embedding and
    # a track clustering rejoins, a missed one a person holding two people, so it may sit lower than match
    split_distance: float | None = None
    # two tracks whose distance lies near the cluster distance are embedded again as the mean over jittered
    # copies of their best face (``vidsearch.faces.recheck``: steadier than one pass); beyond this jittered
    # distance they never join one person. None: not calibrated for this backend, no re-check
    recheck_distance: float | None = None


@dataclass(slots=True)
class DetectedFace:
    box: np.ndarray  # x1, y1, x2, y2 in the pixels of the image given to ``detect``
    score: float  # the detector's confidence (backend scale; see Calibration.min_det_score)
    landmarks: np.ndarray  # (n, 2) in image pixels, the backend's own point order (used by ``align``)
    yaw: float  # pose proxy in [-1, 1]: 0 frontal, ±1 nose at an eye (profile)

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    @property
    def side(self) -> float:
        return min(self.width, self.height)

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)


@runtime_checkable
class FaceModel(Protocol):
    identity: str  # recorded by the index for the "face" encoder role
    dims: int
    calibration: Calibration

    def detect(self, image: np.ndarray, max_width: int | None = None) -> list[DetectedFace]:
        """Faces in a BGR uint8 image; ``max_width`` lets a backend detect on a smaller copy (boxes and
        landmarks are always returned in the given image's pixels)."""

    def align(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The aligned face crop (BGR) the embedder expects."""

    def embed(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dims) float32, each row L2-normalised."""


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def distance_of(similarity: np.ndarray | float) -> np.ndarray | float:
    """Euclidean distance between unit vectors from their dot product."""
    return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * np.asarray(similarity, dtype=np.float64)))


def distance_of_score(score: float) -> float:
    """Distance from an index kNN score, which both backends report as Elasticsearch's ``(1 + dot) / 2``."""
    return float(distance_of(2.0 * score - 1.0))


def yaw_from_points(eye_a: np.ndarray, eye_b: np.ndarray, nose: np.ndarray) -> float:
    """Where the nose sits along the line between the eyes: 0 midway (frontal), ±1 at an eye (profile)."""
    axis = eye_b - eye_a
    length2 = float(axis @ axis)
    if length2 < 1e-6:
        return 1.0
    t = float((nose - eye_a) @ axis) / length2
    return float(np.clip(2.0 * t - 1.0, -1.0, 1.0))
