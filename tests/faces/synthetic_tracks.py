"""Face tracks built straight from vectors, for tests of grouping rules that need exact distances."""
from __future__ import annotations

import numpy as np

from vidsearch.faces.tracks import FaceCandidate, FaceTrack, Sighting


def track_of(ident: int, frames: list[int], vector: np.ndarray) -> FaceTrack:
    """A track seen at `frames` (0.5 s apart) whose every face embeds to `vector`."""
    track = FaceTrack(ident, [Sighting(f * 0.5, f, np.zeros(4, np.float32), None) for f in frames])
    track.candidates = [FaceCandidate(f * 0.5, 1.0, None, b"", vector) for f in frames[:3]]
    track.vector = vector
    return track


def unit_pair(seed: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Two orthonormal vectors: a centre and a direction to move away from it along the unit sphere."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=dim)
    centre /= np.linalg.norm(centre)
    side = rng.normal(size=dim)
    side -= (side @ centre) * centre
    return centre, side / np.linalg.norm(side)


def at_angle(angle: float, centre: np.ndarray, side: np.ndarray) -> np.ndarray:
    """The unit vector `angle` radians from `centre`, towards `side`."""
    return np.cos(angle) * centre + np.sin(angle) * side


def at_distance(distance: float, centre: np.ndarray, side: np.ndarray) -> np.ndarray:
    """The unit vector whose Euclidean (chord) distance from `centre` is `distance`."""
    return at_angle(2 * np.arcsin(distance / 2), centre, side)
