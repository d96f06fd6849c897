"""A track none of whose faces passed the quality gate (small, soft, turned) carries a noisy embedding: it joins
the nearest person only when that person is clearly the nearest."""

from __future__ import annotations

import numpy as np

from tests.faces.synthetic_tracks import at_distance, track_of, unit_pair
from vidsearch.faces.persons import STRAY_MARGIN, group_persons
from vidsearch.faces.tracks import FaceCandidate


def _stray(ident: int, frames: list[int], vector: np.ndarray):
    track = track_of(ident, frames, vector)
    track.candidates, track.vector, track.stray_vector = [], None, vector
    track.stray_face = FaceCandidate(frames[0] * 0.5, 0.5, None, b"", vector)
    return track


def _people(seed: int):
    """Two look-alike persons 0.42 apart (two tracks each, far apart in time) and a point between them."""
    a, side = unit_pair(seed, 128)
    b = at_distance(0.42, a, side)
    between = a + b
    between /= np.linalg.norm(between)
    tracks = [track_of(0, [0, 1, 2], a), track_of(1, [10, 11, 12], b), track_of(2, [20, 21, 22], a),
              track_of(3, [30, 31, 32], b)]
    return a, b, between, side, tracks


def test_a_stray_between_two_look_alikes_joins_neither():
    _, _, between, _, tracks = _people(3)
    persons = group_persons([*tracks, _stray(9, [40, 41, 42, 43], between)], 0.39, 0.5, 2.0)
    held = [sorted(t.id for t in p.tracks) for p in persons]
    assert [0, 2] in held and [1, 3] in held  # the look-alikes stay two persons, neither takes the stray
    assert [9] in held  # seen for 4 samples: a person of its own (stray_persons), not a mixed one


def test_a_stray_clearly_nearest_one_person_joins_it():
    a, b, _, side, tracks = _people(5)
    near_a = at_distance(0.2, a, -side)  # away from b: 0.2 from a, ~0.5 from b
    persons = group_persons([*tracks, _stray(9, [40, 41, 42, 43], near_a)], 0.39, 0.5, 2.0)
    held = [sorted(t.id for t in p.tracks) for p in persons]
    assert [0, 2, 9] in held and [1, 3] in held
    assert STRAY_MARGIN > 0
