"""The offline default: dlib's HOG face detector, 5-point landmarks and the ResNet 128-d face descriptor.

Weights come from the ``face_recognition_models`` package (CC0). Its ``__init__`` imports ``pkg_resources``,
which modern setuptools no longer ships, so the ``.dat`` files are located with ``importlib.util.find_spec``
without importing the package. Detection and landmarks run on the BGR frame (HOG takes the strongest gradient
over channels and the shape predictor averages them, so channel order does not matter); only the descriptor
network, trained on RGB, gets RGB chips.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vidsearch.errors import MissingDependency
from vidsearch.faces.models.base import Calibration, DetectedFace, normalised, yaw_from_points

PACKAGE = "face_recognition_models"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CHIP_SIZE = 150  # the descriptor network's input: dlib.get_face_chip(size=150, padding=0.25)
CHIP_PADDING = 0.25

# Chosen by bench/faces_calibrate.py on every dev identity (../shared/eval/dev/faces, 19 people, look-alikes
# among them: Damon/DiCaprio, Mayer/Johansson, Jolie/Perry), each photo cropped as videos show it and recorded
# four ways (lighting, colour, lost resolution, JPEG), at the level each threshold is applied: the largest
# distance at which at most 0.5 % of different-person pairs merge AND no single pair of different people
# merges in more than 5 % of its samples (an overall rate hid Mayer/Johansson, who then formed one person in
# every video casting both). Mean distance between two groups of faces (per-video average linkage): overall
# 0.425, worst pair 0.390 → 0.39. Centroid to centroid (identities across videos): 0.370 / 0.343 → 0.34.
# (With mirror_best_face, measured mirrored: linkage 0.420 / 0.388 → 0.39, centroid 0.373 / 0.349 → 0.35.)
# Track splits (checkpoint to checkpoint): worst pair 0.374 → 0.37 (0.40 let Johansson become Mayer at a
# cut on one backdrop; within a shot one person's checkpoints lie far closer than two photos do, and a false
# split is rejoined by clustering). Search stays at 0.40 (overall rule 0.396; the worst-pair rule, 0.371, would
# trade every unseen person's recall for one look-alike pair's precision). Not midpoints between
# same and different: dev's few portraits per person vary less than real footage (the first calibration, at
# dev's midpoints, split people of a public face set).
# Scale: dlib's documented 0.6 (and ENVIRONMENT.md's same 0.34-0.44 / others 0.76-0.87) are distances between
# its raw descriptors, whose norm is ~1.5; on our unit vectors 0.6 is ~0.40, where dev's photos separate best
# (bench/faces_embed_path.py: raw 0.61, unit 0.39). The pipeline's embedding equals dlib's own path exactly
# (tests/faces/test_face_models.py); composing, H.264 and face size cost no separation, lighting some.
CALIBRATION = Calibration(
    match_distance=0.40,
    cluster_distance=0.39,
    identity_distance=0.34,
    min_det_score=0.0,  # dlib's own HOG threshold; 0.2 drops marginal detections that are rarely faces
    split_distance=0.37,
    # a re-check compares two single (jittered) faces: the face level, whose worst dev pair is 0.374 (the split
    # distance). 0.36 cut one person's pictures apart under pose spread (bench/faces_broadcast.py --pose 1.5
    # --min-photos 4: three people split over 30 videos; 0.37: none, no person mixed; 0.39 with a 0.41 linkage
    # mixed one)
    recheck_distance=0.37,
    source="dev identities with recorded captures, bench/faces_calibrate.py (≤ 0.5 % false merges overall, "
           "≤ 5 % for any pair of people)",
)


def model_file(name: str) -> Path:
    """A weights file inside the installed ``face_recognition_models`` package (never imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(f"the {PACKAGE} package (dlib face weights)",
                                f"pip install {PACKAGE}==0.3.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise MissingDependency(
            f"{path}", f"reinstall {PACKAGE} (pip install --force-reinstall {PACKAGE}==0.3.0)"
        )
    return path


class DlibFaceModel:
    dims = 128
    identity = "dlib/dlib_face_recognition_resnet_model_v1"
    calibration = CALIBRATION

    def __init__(self, upsample: int = 1, detector: str = "hog") -> None:
        try:
            import dlib
        except ImportError:
            raise MissingDependency("dlib", "pip install dlib-bin==20.0.1.post1") from None
        self._dlib = dlib
        self.upsample = upsample
        self.detector_kind = detector
        if detector == "cnn":
            self._cnn = dlib.cnn_face_detection_model_v1(str(model_file(CNN_DETECTOR_FILE)))
        else:
            self._hog = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(model_file(LANDMARKS_FILE)))
        self._descriptor = dlib.face_recognition_model_v1(str(model_file(DESCRIPTOR_FILE)))
        self._lock = threading.Lock()  # dlib objects keep scratch state; the Serve API calls from threads

    def detect(self, image: np.ndarray, max_width: int | None = None) -> list[DetectedFace]:
        scale = 1.0
        small = image
        if max_width is not None and image.shape[1] > max_width:
            scale = max_width / image.shape[1]
            small = cv2.resize(
                image, (max_width, max(1, round(image.shape[0] * scale))), interpolation=cv2.INTER_AREA
            )
        small = np.ascontiguousarray(small)
        image = np.ascontiguousarray(image)
        with self._lock:
            rects, scores = self._run_detector(small)
            faces = []
            for rect, score in zip(rects, scores, strict=True):
                box = (
                    np.array([rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1], np.float32)
                    / scale
                )
                x1, y1 = max(0.0, box[0]), max(0.0, box[1])
                x2, y2 = min(float(image.shape[1]), box[2]), min(float(image.shape[0]), box[3])
                if x2 - x1 < 2 or y2 - y1 < 2:
                    continue
                full = self._dlib.rectangle(int(box[0]), int(box[1]), int(box[2]) - 1, int(box[3]) - 1)
                shape = self._landmarks(image, full)
                points = np.array([(p.x, p.y) for p in shape.parts()], np.float32)
                # 5-point order: right eye (0, 1), left eye (2, 3), base of the nose (4).
                yaw = yaw_from_points(points[2:4].mean(0), points[0:2].mean(0), points[4])
                faces.append(DetectedFace(np.array([x1, y1, x2, y2], np.float32), float(score), points, yaw))
        return faces

    def _run_detector(self, image: np.ndarray) -> tuple[list, list[float]]:
        if self.detector_kind == "cnn":
            found = self._cnn(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), self.upsample)  # a CNN trained on RGB
            return [d.rect for d in found], [float(d.confidence) for d in found]
        rects, scores, _ = self._hog.run(image, self.upsample, 0.0)
        return list(rects), list(scores)

    def align(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        dlib = self._dlib
        x1, y1, x2, y2 = (int(v) for v in face.box)
        parts = [dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks]
        shape = dlib.full_object_detection(dlib.rectangle(x1, y1, x2 - 1, y2 - 1), parts)
        details = dlib.get_face_chip_details(shape, CHIP_SIZE, CHIP_PADDING)
        return dlib.extract_image_chip(np.ascontiguousarray(image), details)

    def embed(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, self.dims), np.float32)
        rgb = [np.ascontiguousarray(cv2.cvtColor(chip, cv2.COLOR_BGR2RGB)) for chip in chips]
        with self._lock:
            vectors = self._descriptor.compute_face_descriptor(rgb)
        return normalised(np.array([np.asarray(v) for v in vectors], np.float32))

