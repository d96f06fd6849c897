"""The quality gate: tiny, blurred, unconfident and profile faces are not embedded."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidsearch.faces.models import DetectedFace
from vidsearch.faces.quality import QualityGate, sharpness
from vidsearch.faces.settings import FaceSettings


@pytest.fixture(scope="module")
def real_face(face_model, people):
    image = cv2.imread(str(people["Jennifer"][1].path))
    face = max(face_model.detect(image, 800), key=lambda f: f.area)
    return face, face_model.align(image, face)


@pytest.fixture(scope="module")
def gate(face_limits) -> QualityGate:
    return QualityGate.from_settings(FaceSettings(), face_limits)


def _with(face: DetectedFace, **changes) -> DetectedFace:
    values = {"box": face.box, "score": face.score, "landmarks": face.landmarks, "yaw": face.yaw, **changes}
    return DetectedFace(**values)


def test_a_clear_frontal_face_passes(gate, real_face):
    face, chip = real_face
    assert gate.judge(face, chip).passed


def test_a_blurred_face_is_refused(gate, real_face):
    face, chip = real_face
    blurred = cv2.GaussianBlur(chip, (0, 0), 6.0)  # features gone: below the dev-chosen floor
    verdict = gate.judge(face, blurred)
    assert not verdict.passed and "blurry" in verdict.rejected
    assert sharpness(blurred) < sharpness(chip) / 4


def test_a_tiny_face_is_refused(gate, real_face):
    face, chip = real_face
    tiny = _with(face, box=np.array([10, 10, 30, 30], np.float32))
    verdict = gate.judge(tiny, chip)
    assert not verdict.passed and "20 px" in verdict.rejected


def test_an_unconfident_detection_is_refused(gate, real_face):
    face, chip = real_face
    verdict = gate.judge(_with(face, score=-0.5), chip)
    assert not verdict.passed and "score" in verdict.rejected


def test_a_profile_is_refused(gate, real_face):
    face, chip = real_face
    verdict = gate.judge(_with(face, yaw=0.95), chip)
    assert not verdict.passed and "pose" in verdict.rejected


def test_rank_prefers_large_sharp_frontal_faces(gate, real_face):
    face, chip = real_face
    good = gate.judge(face, chip)
    turned = gate.judge(_with(face, yaw=0.6), chip)
    soft = gate.judge(face, cv2.GaussianBlur(chip, (0, 0), 1.5))
    assert good.rank > turned.rank and good.rank > soft.rank
