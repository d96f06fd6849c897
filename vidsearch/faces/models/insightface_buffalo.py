"""The production backend: insightface's model packs (buffalo_l: SCRFD-10GF detector + ArcFace R50 512-d).

``FaceAnalysis(name=..., root=...)`` loads a pack from ``<root>/models/<name>/`` (or ``name`` given as a
folder) and downloads it from insightface's model zoo when the folder is missing — which only works online, so
with ``local_files_only`` a missing pack is reported before insightface tries. Only the detection and
recognition models are loaded (buffalo_l's landmark and gender/age models are not needed). Detection and
alignment follow insightface's own path (SCRFD boxes + 5 keypoints, ``face_align.norm_crop`` to the
recogniser's input size).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidsearch.errors import ConfigurationError, MissingDependency
from vidsearch.faces.models.base import Calibration, DetectedFace, normalised, yaw_from_points

# No insightface weights can be downloaded on the machines this project is built on, so these are not measured
# here: 1.0 on unit vectors is cosine distance 0.5, Immich's default maxDistance for buffalo_l face clustering
# (immich-app/immich machine-learning). bench/faces_verification.py --backend insightface recalibrates on the
# deepface dev pairs wherever the pack is present; write the result into faces.match_distance etc.
CALIBRATION = Calibration(
    match_distance=1.0,
    cluster_distance=0.95,
    identity_distance=0.95,
    min_det_score=0.5,  # SCRFD scores are probabilities; 0.5 is insightface's default det_thresh
    source="Immich's buffalo_l default (cosine distance 0.5); not calibrated offline",
)


def pack_folder(name: str, root: str | None) -> Path | None:
    """Where FaceAnalysis will look for the pack, if it is on disk."""
    direct = Path(name).expanduser()
    if direct.is_dir():
        return direct
    base = Path(root or "~/.insightface").expanduser() / "models" / name
    return base if base.is_dir() else None


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        digest.update(fh.read(1 << 20))  # the first MiB names the weights well enough and reads fast
    return digest.hexdigest()[:12]


class InsightFaceModel:
    calibration = CALIBRATION

    def __init__(self, name: str = "buffalo_l", root: str | None = None, det_size: int = 640,
                 local_files_only: bool = True, gpu: bool = False, threads: int = 1, det_thresh: float = 0.3
                 ) -> None:
        try:
            import onnxruntime
            from insightface.app import FaceAnalysis
        except ImportError as exc:
            raise MissingDependency("insightface", f"pip install insightface==2.1 ({exc})") from None
        folder = pack_folder(name, root)
        if folder is None and local_files_only:
            where = Path(root or "~/.insightface").expanduser() / "models" / name
            raise MissingDependency(f"insightface model pack {name!r}",
                                    f"unpack it into {where} (or set faces.model to its folder), or allow "
                                    "downloads with models.local_files_only=false")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if gpu else ["CPUExecutionProvider"]
        app = FaceAnalysis(name=str(folder) if folder is not None else name, root=root or "~/.insightface",
                           allowed_modules=["detection", "recognition"], providers=providers,
                           sess_options=options)
        if "recognition" not in app.models:
            raise ConfigurationError(f"insightface pack {name!r} has no recognition model")
        app.prepare(ctx_id=0 if gpu else -1, det_thresh=det_thresh,
                    det_size=(det_size, det_size))
        self._detector = app.det_model
        self._recogniser = app.models["recognition"]
        self.dims = int(self._recogniser.output_shape[-1])
        self.chip_size = int(self._recogniser.input_size[0])
        model_name = Path(self._recogniser.model_file).name
        self.identity = f"insightface/{name if folder is None else folder.name}/{model_name}" \
                        f"@{_file_digest(self._recogniser.model_file)}"
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray, max_width: int | None = None) -> list[DetectedFace]:
        # SCRFD letterboxes to det_size itself; max_width does not apply.
        with self._lock:
            boxes, keypoints = self._detector.detect(image)
        faces = []
        for i in range(boxes.shape[0]):
            box = boxes[i, :4].astype(np.float32)
            box[[0, 2]] = np.clip(box[[0, 2]], 0, image.shape[1])
            box[[1, 3]] = np.clip(box[[1, 3]], 0, image.shape[0])
            if box[2] - box[0] < 2 or box[3] - box[1] < 2:
                continue
            points = keypoints[i].astype(np.float32) if keypoints is not None else None
            if points is None:
                continue  # alignment needs the keypoints
            # keypoint order: left eye, right eye (as seen), nose, left and right mouth corners
            yaw = yaw_from_points(points[0], points[1], points[2])
            faces.append(DetectedFace(box, float(boxes[i, 4]), points, yaw))
        return faces

    def align(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        from insightface.utils import face_align

        return face_align.norm_crop(image, landmark=face.landmarks, image_size=self.chip_size)

    def embed(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, self.dims), np.float32)
        with self._lock:
            vectors = self._recogniser.get_feat(list(chips))
        return normalised(vectors)
