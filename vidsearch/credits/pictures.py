"""Is this the same picture? Matching line pieces seen at two moments (a logo that stays, a line carried by the
roll), by box overlap and by their strokes, so that a colour change behind the text does not count."""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from vidsearch.ocr.geometry import Box


class Piece(Protocol):
    """A detected line piece: where it was and what it showed."""
    box: Box
    crop: np.ndarray


def _box_iou(a: Box, b: Box) -> float:
    inter = a.x_overlap(b) * a.y_overlap(b)
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def _strokes(image: np.ndarray) -> np.ndarray:
    """Gradient magnitude: the text's strokes, not the picture behind it (which may be a moving colour field)."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1))


def _same_picture(a: np.ndarray, b: np.ndarray, min_correlation: float = 0.7, slack: int = 4) -> bool:
    """Two crops show the same text (not two different lines that happen to sit at the same place), allowing
    the few pixels two detections of one line differ by."""
    inner = a[slack:-slack, slack:-slack] if min(a.shape[:2]) > 4 * slack else a
    padded = cv2.copyMakeBorder(b, slack, slack, slack, slack, cv2.BORDER_REPLICATE)
    if inner.shape[0] > padded.shape[0] or inner.shape[1] > padded.shape[1] or min(inner.shape[:2]) < 2:
        return False
    template = _strokes(inner)
    if float(template.std()) < 1.0:
        return False
    score = cv2.matchTemplate(_strokes(padded), template, cv2.TM_CCOEFF_NORMED)
    return float(score.max()) >= min_correlation


def _alike_throughout(a: Piece, b: Piece, parts: int = 3, min_correlation: float = 0.6) -> bool:
    """Two pieces are one picture across their whole width, not only in part: boxes of one size, and each third of
    one found again in the other near the same place. A logo seen twice is; "연출" and "조연출", or "음악" and "음향"
    (a syllable shared, at one place on two cards), are not — the whole-picture correlation passes those. Both
    ways: a strip of one glyph can be found in a richer glyph of the other ("편집" in "편곡", 0.63 one way, 0.49 the
    other), never the other way round as well."""
    slack = max(4, round(0.08 * max(a.box.width, b.box.width)))
    if abs(a.box.width - b.box.width) > slack or abs(a.box.height - b.box.height) > max(4, 0.15 * a.box.height):
        return False
    return _strips_found(a, b, parts, min_correlation, slack) and _strips_found(b, a, parts, min_correlation, slack)


def _strips_found(a: Piece, b: Piece, parts: int, min_correlation: float, slack: int) -> bool:
    """Each of ``parts`` vertical strips of ``a`` is found in ``b`` near the same place."""
    h, w = min(a.crop.shape[0], b.crop.shape[0]), min(a.crop.shape[1], b.crop.shape[1])
    if w < 3 * parts:
        return True
    edges = np.linspace(0, w, parts + 1).astype(int)
    for x0, x1 in zip(edges, edges[1:]):
        strip = a.crop[:h, x0:x1]
        near = cv2.copyMakeBorder(b.crop[:, max(0, x0 - slack):min(b.crop.shape[1], x1 + slack)], 4, 4, 0, 0,
                                  cv2.BORDER_REPLICATE)  # detections of one logo differ by a few pixels
        template = _strokes(strip)
        if float(template.std()) < 1.0:
            continue  # a blank strip (between words) says nothing
        if near.shape[1] < strip.shape[1]:
            return False
        score = cv2.matchTemplate(_strokes(near), template, cv2.TM_CCOEFF_NORMED)
        if float(score.max()) < min_correlation:
            return False
    return True
