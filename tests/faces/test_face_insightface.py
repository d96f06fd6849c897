"""The insightface backend's real loading and inference path (FaceAnalysis with a local model root → SCRFD and
ArcFaceONNX), on tiny ONNX graphs built here with buffalo_l's input/output layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.faces.tiny_insightface import BOX_HALF, build_pack
from vidsearch.errors import MissingDependency
from vidsearch.faces.models import load_face_model
from vidsearch.faces.models.insightface_buffalo import InsightFaceModel
from vidsearch.faces.settings import FaceSettings


@pytest.fixture(scope="module")
def pack_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("insightface")
    build_pack(root)
    return root


@pytest.fixture(scope="module")
def model(pack_root) -> InsightFaceModel:
    return load_face_model(FaceSettings(backend="insightface", model_root=str(pack_root)))


def _bright_square(x: int, y: int, shape=(640, 640)) -> np.ndarray:
    image = np.zeros((*shape, 3), np.uint8)
    image[y:y + 32, x:x + 32] = 255
    return image


def test_pack_loads_from_a_local_root(model, pack_root):
    assert model.dims == 512
    assert model.chip_size == 112
    assert model.identity.startswith("insightface/buffalo_l/w600k_r50.onnx@")


def test_a_pack_given_as_a_folder_loads_too(pack_root):
    folder = pack_root / "models" / "buffalo_l"
    model = InsightFaceModel(str(folder))
    assert model.dims == 512


def test_detection_decodes_scrfd_boxes_and_keypoints(model):
    faces = model.detect(_bright_square(320, 160))
    assert len(faces) == 1
    (face,) = faces
    assert face.score > 0.99
    half = BOX_HALF * 16
    np.testing.assert_allclose(face.box, [320 - half, 160 - half, 320 + half, 160 + half], atol=1)
    assert face.landmarks.shape == (5, 2)
    assert abs(face.yaw) < 0.05  # nose midway between the eyes


def test_letterboxed_non_square_frames_map_back_to_frame_pixels(model):
    (face,) = model.detect(_bright_square(64, 96, shape=(480, 640)))
    centre = (face.box[:2] + face.box[2:]) / 2
    np.testing.assert_allclose(centre, [64, 96], atol=1)


def test_embeddings_are_unit_512d_and_tell_crops_apart(model):
    first = _bright_square(320, 160)
    first[300:400, 100:200] = (0, 128, 255)
    second = _bright_square(320, 160)
    second[130:150, 300:360] = (40, 200, 40)  # different content inside the aligned crop
    chips = [model.align(image, model.detect(image)[0]) for image in (first, first, second)]
    assert chips[0].shape == (112, 112, 3)
    vectors = model.embed(chips)
    assert vectors.shape == (3, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > 0.9999
    assert float(vectors[0] @ vectors[2]) < 0.999


def test_a_missing_pack_is_reported_without_a_download_attempt(tmp_path):
    with pytest.raises(MissingDependency, match="unpack it into"):
        InsightFaceModel("buffalo_l", root=str(tmp_path), local_files_only=True)
