"""EAST text detector through OpenCV dnn (the seed's detector), as a heatmap.

EAST predicts, every 4 input pixels, a text score and a rotated box (distances to its four sides and an angle).
Its score map only covers the shrunk core of each word, so the heatmap paints every decoded box that survives
non-maximum suppression with its score, over the upsampled score map: the map then covers whole words like DB's
does after padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidsearch.errors import ConfigurationError
from vidsearch.ocr.heatmap import Heatmap, detector_input_size

SCORE_LAYER = "feature_fusion/Conv_7/Sigmoid"
GEOMETRY_LAYER = "feature_fusion/concat_3"
_MEAN_RGB = (123.68, 116.78, 103.94)


@dataclass(frozen=True)
class RotatedBoxes:
    centers: np.ndarray  # (n, 2) x, y in input pixels
    sizes: np.ndarray  # (n, 2) width, height
    angles_deg: np.ndarray  # (n,) OpenCV RotatedRect convention
    scores: np.ndarray  # (n,)

    def __len__(self) -> int:
        return len(self.scores)

    def polygons(self) -> list[np.ndarray]:
        return [cv2.boxPoints(((float(c[0]), float(c[1])), (float(s[0]), float(s[1])), float(a)))
                for c, s, a in zip(self.centers, self.sizes, self.angles_deg)]


def decode_east(scores: np.ndarray, geometry: np.ndarray, min_score: float = 0.5) -> RotatedBoxes:
    """Decode EAST's (1, 1, H, W) scores and (1, 5, H, W) geometry into rotated boxes in input pixels
    (the same arithmetic as OpenCV's ``text_detection`` sample, vectorised)."""
    if scores.ndim != 4 or geometry.ndim != 4 or geometry.shape[1] != 5 or scores.shape[2:] != geometry.shape[2:]:
        raise ValueError(f"EAST outputs of unexpected shapes: scores {scores.shape}, geometry {geometry.shape}")
    score = scores[0, 0]
    ys, xs = np.nonzero(score >= min_score)
    if len(ys) == 0:
        empty = np.zeros((0, 2), np.float32)
        return RotatedBoxes(empty, empty, np.zeros(0, np.float32), np.zeros(0, np.float32))
    d_top, d_right, d_bottom, d_left, angle = (geometry[0, k, ys, xs] for k in range(5))
    cos, sin = np.cos(angle), np.sin(angle)
    heights = d_top + d_bottom
    widths = d_right + d_left
    offset_x = xs * 4.0 + cos * d_right + sin * d_bottom
    offset_y = ys * 4.0 - sin * d_right + cos * d_bottom
    p1 = np.stack([-sin * heights + offset_x, -cos * heights + offset_y], axis=1)
    p3 = np.stack([-cos * widths + offset_x, sin * widths + offset_y], axis=1)
    centers = (p1 + p3) / 2
    return RotatedBoxes(centers.astype(np.float32), np.stack([widths, heights], axis=1).astype(np.float32),
                        (-angle * 180.0 / np.pi).astype(np.float32), score[ys, xs].astype(np.float32))


def suppress(boxes: RotatedBoxes, min_score: float, nms_threshold: float = 0.4) -> RotatedBoxes:
    if len(boxes) == 0:
        return boxes
    rects = [((float(c[0]), float(c[1])), (float(s[0]), float(s[1])), float(a))
             for c, s, a in zip(boxes.centers, boxes.sizes, boxes.angles_deg)]
    keep = np.asarray(cv2.dnn.NMSBoxesRotated(rects, boxes.scores.tolist(), min_score, nms_threshold)).reshape(-1)
    return RotatedBoxes(boxes.centers[keep], boxes.sizes[keep], boxes.angles_deg[keep], boxes.scores[keep])


def paint_heatmap(scores: np.ndarray, boxes: RotatedBoxes, width: int, height: int) -> np.ndarray:
    """The score map at input resolution, with each kept box filled at its score."""
    prob = cv2.resize(scores[0, 0].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    painted = np.zeros_like(prob)
    polygons = boxes.polygons()
    for i in np.argsort(boxes.scores):  # ascending: where boxes overlap the higher score is painted last
        cv2.fillPoly(painted, [np.round(polygons[i]).astype(np.int32)], float(boxes.scores[i]))
    return np.maximum(prob, painted)


class EastTextDetector:
    name = "east"
    shrunk_boxes = False

    def __init__(self, model: Path, max_side: int = 960, threads: int = 1, min_score: float = 0.5) -> None:
        model = Path(model)
        if not model.is_file():
            raise ConfigurationError(f"ocr.east_model {model} does not exist (expected frozen_east_text_detection.pb)")
        cv2.setNumThreads(threads)
        try:
            self.net = cv2.dnn.readNet(str(model))
        except cv2.error as exc:
            raise ConfigurationError(f"ocr.east_model {model} is not a readable EAST graph: {exc}") from None
        names = set(self.net.getLayerNames())
        missing = [n for n in (SCORE_LAYER, GEOMETRY_LAYER) if n not in names]
        if missing:
            raise ConfigurationError(f"ocr.east_model {model} lacks EAST output layers {missing}")
        self.max_side = max_side
        self.min_score = min_score

    def heatmaps(self, images: Sequence[np.ndarray]) -> list[Heatmap]:
        out = []
        for image in images:
            height, width = image.shape[:2]
            size = detector_input_size(width, height, self.max_side)
            blob = cv2.dnn.blobFromImage(image, 1.0, size, _MEAN_RGB, swapRB=True, crop=False)
            self.net.setInput(blob)
            scores, geometry = self.net.forward([SCORE_LAYER, GEOMETRY_LAYER])
            boxes = suppress(decode_east(scores, geometry, self.min_score), self.min_score)
            out.append(Heatmap(paint_heatmap(scores, boxes, size[0], size[1]), width, height))
        return out
