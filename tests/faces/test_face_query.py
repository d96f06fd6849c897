"""The query photo's face embedded as the mean over the re-check's fixed jittered copies: one photo's single
pass is the noisiest side of a photo-to-person comparison (a person's vector averages several faces)."""

from __future__ import annotations

import numpy as np
import pytest

from vidsearch.config import Settings
from vidsearch.faces.models import distance_of, normalised
from vidsearch.faces.recheck import embed_steady, jittered
from vidsearch.faces.photos import read_photo
from vidsearch.faces.search import encode_photo, faces_in_photo, query_vector
from vidsearch.faces.settings import FaceSettings


def _chip(model, photo) -> np.ndarray | None:
    image, faces, _ = faces_in_photo(read_photo(photo.path, 1 << 25, 50_000_000, photo.path.name), model)
    return model.align(image, max(faces, key=lambda f: f.area)) if faces else None


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(distance_of(float(np.clip(a @ b, -1.0, 1.0))))


def test_the_query_face_is_the_mean_of_its_jittered_copies_unless_set_to_one_pass(face_model, people):
    photo = people["Scarlett"][0]
    chip = _chip(face_model, photo)
    single = face_model.embed([chip])[0]
    by_hand = normalised(np.mean(face_model.embed(jittered(chip, 4)), axis=0, keepdims=True))[0]
    steady = encode_photo(photo.path, Settings(), model=face_model).vector
    once = encode_photo(photo.path, Settings(faces=FaceSettings(query_jitters=0)), model=face_model).vector
    assert np.allclose(steady, by_hand, atol=1e-5)
    assert np.allclose(once, single, atol=1e-6)
    assert 0.005 < _distance(steady, single) < 0.2  # a steadier version of the same face, not another face


def test_one_pass_only_where_the_backend_has_no_jittered_calibration(face_model, people):
    chip = _chip(face_model, people["Mark"][0])
    assert np.allclose(query_vector(face_model, chip, 4, False), face_model.embed([chip])[0], atol=1e-6)
    steady = embed_steady(face_model, [chip], 4)[0]
    assert np.allclose(query_vector(face_model, chip, 4, True), steady, atol=1e-6)


@pytest.mark.slow
def test_a_steady_query_lies_nearer_its_own_person_and_no_nearer_to_others(face_model, people):
    """Each dev photo as the query against every person's other photos (one pass each, averaged, as a person
    vector is): the jittered query lies nearer its own person on average (dev: 0.216 → 0.206) and its margin
    to the nearest other person shrinks for none on average (0.243 → 0.247)."""
    found = {(who, n): _chip(face_model, p) for who, photos in people.items() for n, p in enumerate(photos)}
    chips = {k: chip for k, chip in found.items() if chip is not None}
    keys = list(chips)
    single = dict(zip(keys, face_model.embed([chips[k] for k in keys]), strict=True))
    steady = dict(zip(keys, embed_steady(face_model, [chips[k] for k in keys], 4, [single[k] for k in keys]),
                      strict=True))
    own = {False: [], True: []}
    margin = {False: [], True: []}
    for who, n in keys:
        centres = {}
        for other in people:
            rest = [single[k] for k in keys if k[0] == other and k != (who, n)]
            if rest:
                centres[other] = normalised(np.mean(rest, axis=0, keepdims=True))[0]
        if who not in centres:
            continue
        for jittered_query, query in ((False, single[(who, n)]), (True, steady[(who, n)])):
            near = _distance(query, centres[who])
            own[jittered_query].append(near)
            nearest_other = min(_distance(query, c) for o, c in centres.items() if o != who)
            margin[jittered_query].append(nearest_other - near)
    assert len(own[True]) >= 50
    assert np.mean(own[True]) < np.mean(own[False]) - 0.005
    assert np.mean(margin[True]) >= np.mean(margin[False])
    assert min(margin[True]) > 0.05  # no dev photo is nearer another person
