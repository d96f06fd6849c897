"""Detection that spends its time where faces can be new.

Detecting small faces means detecting on a large frame, which is most of the faces stage's time. Between two
full passes a face is either already tracked or new, and a new one can only be found by a full pass. So a full
pass (``detect_width``) runs on the first frame, after every shot boundary and every ``full_detect_every``
sampled frames; the frames between get a pass on a downscaled copy (``coarse_detect_width``, which finds the
large faces) and, for each open track the coarse pass did not find again, a full-resolution pass over a small
region around its last box. A tracked face found by neither means the picture changed (a cut the shots stage
missed, a wide shot after a close-up): that frame gets a full pass at once. A small face that enters mid-shot is
therefore found up to ``full_detect_every`` samples late; a face present since a cut is found at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vidsearch.faces.models import DetectedFace, FaceModel
from vidsearch.faces.settings import FaceSettings

_ROI_SCALE = 2.6  # a region's side, in face sides: room for the face to move between two samples
_ROI_MIN_PX = 96  # regions never smaller: the detector needs context around a small face
_SAME_FACE_IOU = 0.3
_THUMB_MARGIN = 0.35  # thumbnails show a little hair and chin around the detector's box


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection-over-union of boxes (n, 4) and (m, 4)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def thumbnail_of(image: np.ndarray, box: np.ndarray, size: int) -> bytes:
    """A square JPEG around the face, with some margin, clipped to the frame."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * (1 + 2 * _THUMB_MARGIN)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    h, w = image.shape[:2]
    left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    right, bottom = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    crop = image[top:bottom, left:right]
    if crop.size == 0:
        crop = image
    scale = size / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return data.tobytes() if ok else b""


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class FaceFinder:
    """Runs the full, coarse and region passes; counts what each cost."""

    def __init__(self, model: FaceModel, settings: FaceSettings) -> None:
        self.model = model
        self.settings = settings
        self.full_passes = 0
        self.coarse_passes = 0
        self.region_passes = 0
        self.lost = False  # the last ``between`` lost a tracked face: the picture changed, search it in full

    @property
    def staged(self) -> bool:
        """Coarse passes between full ones (off when tracking is off: nothing to follow between them)."""
        s = self.settings
        return s.tracking and s.coarse_detect_width is not None and s.coarse_detect_width < s.detect_width

    def full(self, image: np.ndarray) -> list[DetectedFace]:
        self.full_passes += 1
        return self.model.detect(image, self.settings.detect_width)

    def between(self, image: np.ndarray, tracked: Sequence[np.ndarray]) -> list[DetectedFace]:
        """The coarse pass, plus a region pass for each tracked box the coarse pass did not find again. Sets
        ``lost`` when a tracked face is found by neither: a face that vanished between two samples means the
        picture changed (a cut the shots stage missed, a wide shot after a close-up), and faces too small
        for the coarse pass may have come with it."""
        self.coarse_passes += 1
        self.lost = False
        found = self.model.detect(image, self.settings.coarse_detect_width)
        for box in tracked:
            if any(iou(box, face.box) >= _SAME_FACE_IOU for face in found):
                continue
            again = [face for face in self._region(image, box)
                     if all(iou(face.box, other.box) < _SAME_FACE_IOU for other in found)]
            # a smaller face where the tracked one was (a wide shot after a close-up) is not it found again
            self.lost |= not any(iou(box, face.box) >= _SAME_FACE_IOU for face in again)
            found += again
        return found

    def _region(self, image: np.ndarray, box: np.ndarray) -> list[DetectedFace]:
        h, w = image.shape[:2]
        side = max(_ROI_MIN_PX, _ROI_SCALE * max(box[2] - box[0], box[3] - box[1]))
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        right, bottom = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
        if right - left < 16 or bottom - top < 16:
            return []
        self.region_passes += 1
        faces = self.model.detect(np.ascontiguousarray(image[top:bottom, left:right]), None)
        offset = np.array([left, top], np.float32)
        for face in faces:
            face.box = face.box + np.tile(offset, 2)
            face.landmarks = face.landmarks + offset
        return faces
