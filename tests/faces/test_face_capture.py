"""The composer's recorded captures (testkit): the stress of lighting can be raised without recording faces so
small that nothing is left to identify (a bench that mixed the two blamed clustering for lost pixels)."""

from __future__ import annotations

import random

import numpy as np

from testkit.faces.composer import Capture, Placement, captured


def test_resolution_strength_changes_only_the_lost_resolution():
    first = Capture.random(random.Random(3), 2.0)
    rng_a, rng_b = random.Random(12), random.Random(12)
    default = [Capture.random(rng_a, 2.0) for _ in range(200)]
    bounded = [Capture.random(rng_b, 2.0, 1.0) for _ in range(200)]
    for a, b in zip(default, bounded, strict=True):
        assert (a.gain, a.gamma, a.cast, a.side_light, a.jpeg) == (b.gain, b.gamma, b.cast, b.side_light, b.jpeg)
        assert b.resolution >= 0.35 - 1e-9  # strength 1's range: at most 65 % of the size lost
        assert abs((1.0 - a.resolution) - 2.0 * (1.0 - b.resolution)) < 1e-9  # one draw, scaled
    # at strength 2 the loss passes the whole picture for a share of entrances (clamped to a 12 px crop)
    assert sum(a.resolution <= 0 for a in default) > 20
    assert first == Capture.random(random.Random(3), 2.0, None)  # default: the lighting's strength


def test_recorded_face_px_counts_what_the_capture_kept(tmp_path):
    from bench.faces_broadcast import recorded_face_px
    from testkit.faces.devdata import LabelledPhoto

    photo = LabelledPhoto(tmp_path / "x.jpg", "x", "deepface")
    assert recorded_face_px(Placement(photo, 0.5, 0.5, 140)) == 70
    gone = Placement(photo, 0.5, 0.5, 140, capture=Capture(resolution=-0.2))
    assert recorded_face_px(gone) == 6  # a 12 px crop: a face 6 px wide
    crop = np.full((140, 140, 3), 128, np.uint8)
    crop[40:100, 40:100] = 30
    soft = captured(crop, Capture(resolution=-0.2))
    assert soft.shape == crop.shape and np.abs(soft.astype(int) - crop).max() > 20  # detail really lost


def test_lookalike_apart_never_casts_a_pair_together_and_shows_every_double(people):
    """The bench condition must not share the search rule's assumption (a look-alike always beside its
    double): no video holds both of a pair, and across the videos each double is on screen somewhere."""
    from testkit.faces.broadcast import LOOKALIKES, plan_condition

    videos = plan_condition(people, "lookalike_apart", 3, duration_s=30.0, cast=6, seed=11, lookalikes=True)
    shown = [set(video.truth()) for video in videos]
    for pair in LOOKALIKES:
        assert not any(set(pair) <= cast for cast in shown), pair
    doubles = {n for pair in LOOKALIKES for n in pair}
    assert doubles <= set().union(*shown)
    assert all(len(video.shots[0].faces) == 1 for video in videos)  # the newsreader set, one face a shot


def test_pose_is_drawn_apart_so_seeds_without_it_keep_their_pictures(people):
    """``--pose`` adds a pose per entrance from its own draws: the same seed without pose plans the very same
    videos as before, and with pose every entrance is posed (and some mirrored, tilted and turned)."""
    from testkit.faces.broadcast import plan_condition

    plain = plan_condition(people, "same_background", 2, 30.0, cast=4, seed=11, capture_strength=1.0)
    again = plan_condition(people, "same_background", 2, 30.0, cast=4, seed=11, capture_strength=1.0, pose=0.0)
    posed = plan_condition(people, "same_background", 2, 30.0, cast=4, seed=11, capture_strength=1.0, pose=1.0)
    faces = [[f for s in v.shots for f in s.faces] for v in (plain, again, posed) for v in [v[0]]]
    assert faces[0] == faces[1]
    assert [f.photo for f in faces[0]] == [f.photo for f in faces[2]]  # same casting and photos
    lit = [(f.capture.gain, f.capture.gamma) for f in faces[0]]
    assert lit == [(f.capture.gain, f.capture.gamma) for f in faces[2]]  # same lighting draws
    poses = [f.capture for f in faces[2]]
    assert any(c.mirrored for c in poses) and any(not c.mirrored for c in poses)
    assert all(abs(c.roll) <= 10 and abs(c.turn) <= 0.3 for c in poses) and any(abs(c.roll) > 1 for c in poses)


def test_a_posed_capture_changes_the_picture_and_keeps_its_size():
    crop = np.zeros((140, 140, 3), np.uint8)
    crop[30:110, 20:60] = 200  # something on the left
    mirrored = captured(crop, Capture(mirrored=True))
    assert mirrored.shape == crop.shape and mirrored[:, 80:120].mean() > mirrored[:, 20:60].mean()
    tilted = captured(crop, Capture(roll=9.0, turn=0.3))
    assert tilted.shape == crop.shape and np.abs(tilted.astype(int) - crop).mean() > 5


def test_leave_people_out_folds_split_every_person_once_and_thresholds_override():
    from bench.faces_folds import in_fold, out_of_fold, parse_fold, with_thresholds
    from vidsearch.config import Settings

    people = {f"p{k}": k for k in range(40)}
    folds = [in_fold(people, f"{i}/3") for i in range(3)]
    assert sorted(n for f in folds for n in f) == sorted(people) and all(folds)
    assert set(out_of_fold(people, "1/3")) == set(people) - set(folds[1])
    for bad in ("2/2", "1", "a/b", "0/1"):
        try:
            parse_fold(bad)
        except ValueError as e:
            assert repr(bad) in str(e)
        else:
            raise AssertionError(bad)
    changed = with_thresholds(Settings(), {"cluster_distance": 0.41, "split_distance": 0.4, "chosen_on": []})
    assert changed.faces.cluster_distance == 0.41 and changed.faces.track_split_distance == 0.4
    try:
        with_thresholds(Settings(), {"clusterdistance": 0.41})
    except ValueError as e:
        assert "clusterdistance" in str(e)
    else:
        raise AssertionError("unknown threshold accepted")
