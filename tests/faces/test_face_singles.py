"""A track seen in one sample only (in a dissolve, the blend of two people) joins a person only when its face
lies within the single-sample distance of that person; it never clusters at the looser track-to-track
distance (under a doubled lighting spread such a blend clustered at 0.385 into another person of a crossfade)."""

from __future__ import annotations

import numpy as np

from vidsearch.faces.persons import group_persons
from tests.faces.synthetic_tracks import at_distance, track_of, unit_pair
from vidsearch.faces.tracks import FaceCandidate, FaceTrack, Sighting


def _person_and_a_blend(blend_distance: float) -> list[FaceTrack]:
    centre, side = unit_pair(11, 64)
    return [track_of(0, [0, 1, 2, 3], centre), track_of(1, [10, 11, 12], centre),
            track_of(2, [20], at_distance(blend_distance, centre, side))]


def test_a_one_sample_blend_beyond_the_single_distance_joins_nobody():
    tracks = _person_and_a_blend(0.385)
    before = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=2)  # clustered like any track: a mixed person
    assert [sorted(t.id for t in p.tracks) for p in before] == [[0, 1, 2]]
    after = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=2, single_distance=0.37)
    assert [sorted(t.id for t in p.tracks) for p in after] == [[0, 1]]  # alone, one sample: dropped
    kept = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=1, single_distance=0.37)
    assert sorted(sorted(t.id for t in p.tracks) for p in kept) == [[0, 1], [2]]


def test_a_one_sample_track_of_the_person_still_joins_them():
    tracks = _person_and_a_blend(0.30)
    persons = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=2, single_distance=0.37)
    assert [sorted(t.id for t in p.tracks) for p in persons] == [[0, 1, 2]]


def test_a_one_sample_track_never_joins_a_person_seen_in_its_frame():
    tracks = _person_and_a_blend(0.10)
    tracks[2].sightings[0] = Sighting(0.0, 0, np.zeros(4, np.float32), None)  # same frame as track 0
    persons = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=1, single_distance=0.37)
    by_track = {t.id: p.cluster for p in persons for t in p.tracks}
    assert by_track[2] != by_track[0]


def _person_and_a_soft_track(stray_distance: float) -> list[FaceTrack]:
    """A person of two tracks and a track of four samples none of whose faces passed the gate."""
    centre, side = unit_pair(13, 64)
    soft = FaceTrack(2, [Sighting(f * 0.5, f, np.zeros(4, np.float32), None) for f in (20, 21, 22, 23)])
    soft.stray_vector = at_distance(stray_distance, centre, side)
    soft.stray_face = FaceCandidate(10.0, 1.0, None, b"", soft.stray_vector)
    return [track_of(0, [0, 1, 2, 3], centre), track_of(1, [10, 11, 12], centre), soft]


def test_a_softly_filmed_track_beyond_the_single_distance_stays_someone_else():
    """Its one refused face against a person's centroid is the search level: at the cluster distance a blurry
    track of someone else (0.382 from a look-alike's person) joined that person."""
    tracks = _person_and_a_soft_track(0.382)
    before = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=2)
    assert [sorted(t.id for t in p.tracks) for p in before] == [[0, 1, 2]]
    after = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=2, single_distance=0.37)
    assert sorted(sorted(t.id for t in p.tracks) for p in after) == [[0, 1], [2]]


def test_a_softly_filmed_track_of_the_person_still_joins_them():
    tracks = _person_and_a_soft_track(0.33)
    persons = group_persons(tracks, 0.39, 0.5, 2.0, min_faces=2, single_distance=0.37)
    assert [sorted(t.id for t in p.tracks) for p in persons] == [[0, 1, 2]]
