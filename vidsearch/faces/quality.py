"""The quality gate every face passes before it is embedded: big enough, sharp enough, confidently detected
and not in profile. Faces that fail still count as sightings (a blurry frame of a tracked person is still
screen time) but their embeddings would be noise, so they are never embedded.

Sharpness is the variance of the Laplacian of the aligned face, resized to a fixed 112 px so that the number
means the same for every backend's chip size; a face upscaled from a few pixels is blurry by this measure too.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidsearch.faces.models import DetectedFace, Thresholds
from vidsearch.faces.settings import FaceSettings

_SHARPNESS_SIZE = 112


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian over the central part of an aligned face (hair and background excluded)."""
    h, w = chip.shape[:2]
    centre = chip[h // 6: h - h // 6, w // 6: w - w // 6]
    grey = cv2.cvtColor(centre, cv2.COLOR_BGR2GRAY) if centre.ndim == 3 else centre
    grey = cv2.resize(grey, (_SHARPNESS_SIZE, _SHARPNESS_SIZE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@dataclass(frozen=True, slots=True)
class FaceQuality:
    side: float  # smaller box side, pixels of the original frame
    sharpness: float
    score: float
    yaw: float
    rejected: str | None  # why the gate refused it, or None

    @property
    def passed(self) -> bool:
        return self.rejected is None

    @property
    def rank(self) -> float:
        """Which faces of a track to embed: large, sharp, frontal, confident."""
        size = min(self.side, 160.0) / 160.0
        sharp = min(self.sharpness, 400.0) / 400.0
        return size + sharp + (1.0 - abs(self.yaw)) + 0.1 * self.score


@dataclass(frozen=True)
class QualityGate:
    min_face_px: float
    min_sharpness: float
    min_det_score: float
    max_yaw: float

    @classmethod
    def from_settings(cls, settings: FaceSettings, limits: Thresholds) -> QualityGate:
        return cls(settings.min_face_px, settings.min_sharpness, limits.min_det_score, settings.max_yaw)

    def judge(self, face: DetectedFace, chip: np.ndarray) -> FaceQuality:
        sharp = sharpness(chip)
        reason = None
        if face.side < self.min_face_px:
            reason = f"face {face.side:.0f} px, smaller than {self.min_face_px:.0f} px"
        elif face.score < self.min_det_score:
            reason = f"detector score {face.score:.2f} below {self.min_det_score:.2f}"
        elif abs(face.yaw) > self.max_yaw:
            reason = f"pose too far from frontal (yaw {face.yaw:+.2f}, limit {self.max_yaw:.2f})"
        elif sharp < self.min_sharpness:
            reason = f"too blurry (sharpness {sharp:.0f}, needs {self.min_sharpness:.0f})"
        return FaceQuality(face.side, sharp, face.score, face.yaw, reason)
