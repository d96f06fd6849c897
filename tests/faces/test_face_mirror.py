"""A track's best face counts with its mirror image: the same person turned left and turned right then lie
closer together, so fewer of one person's tracks stay apart at the cluster and identity distances."""

from __future__ import annotations

import numpy as np
import pytest

from testkit.faces.composer import CropCache, turned
from vidsearch.faces.analysis import analyse_frames
from vidsearch.faces.models import distance_of
from vidsearch.faces.settings import FaceSettings
from vidsearch.media.frames import Frame


def _frames(crop: np.ndarray, mirrored: bool) -> list[Frame]:
    """A still shot of one face (2 s at 2 fps) on a plain backdrop, or the same shot mirrored."""
    canvas = np.full((360, 640, 3), 90, np.uint8)
    s = crop.shape[0]
    canvas[100:100 + s, 200:200 + s] = crop
    image = np.ascontiguousarray(canvas[:, ::-1]) if mirrored else canvas
    return [Frame(k / 2, image.copy()) for k in range(4)]


def _track_vector(frames, model, limits, mirror: bool) -> np.ndarray:
    # one checkpoint per track (no periodic check within 2 s): the track's vector is that one face's
    settings = FaceSettings(mirror_best_face=mirror, track_check_s=1000.0)
    found = analyse_frames(frames, model, settings, limits, 2.0)
    (track,) = [t for t in found.tracks if t.vector is not None]
    assert found.stats.mirrored == (1 if mirror else 0)  # one more embedding per track, no more
    return track.vector


@pytest.mark.parametrize("name,yaw", [("Mark", 0.5), ("Angelina", -0.5), ("obama", 0.0)])
def test_a_face_and_its_mirror_image_give_one_track_vector(people, face_model, face_limits, name, yaw):
    crop = CropCache(face_model).get(people[name][1 if len(people[name]) > 1 else 0].path, 160)
    crop = turned(crop, yaw) if yaw else crop
    apart = {}
    for mirror in (False, True):
        a = _track_vector(_frames(crop, False), face_model, face_limits, mirror)
        b = _track_vector(_frames(crop, True), face_model, face_limits, mirror)
        apart[mirror] = float(distance_of(float(a @ b)))
    # alone, a face and its mirror image lie as far apart as two photos of one person often do
    assert apart[False] > 0.05, apart
    assert apart[True] < 0.7 * apart[False], apart  # measured 0.45-0.6: landmarks are not mirrored exactly
