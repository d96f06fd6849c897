"""Checks of a read against the ink it came from: letters the picture cannot hold.

A thin serif font binarised at one size breaks an "m" into strokes, and Tesseract reads them surely as "im" or
"in" (Colma → Colima at 0.83). Such a read names an i (or j) where the picture has no dot above the letters; the
line is then given the second look (other binarisations and sizes), whose reads outvote it.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from vidsearch.ocr.engine import OcrLine

_DOTTED = re.compile(r"[ij]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'.-]*")


def _dots(image: np.ndarray) -> tuple[list[float], float, float] | None:
    """Centres (x) of the small blobs above the x-height, with the ink's top row and height; None without ink."""
    gray = image if image.ndim == 2 else image.min(axis=2)
    ink = (gray < 128).astype(np.uint8)
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) == 0:
        return None
    top, height = float(rows[0]), float(rows[-1] - rows[0] + 1)
    count, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    dots = []
    for k in range(1, count):
        x, y, w, h, _ = stats[k]
        if w <= 0.3 * height and h <= 0.3 * height and y + h <= top + 0.45 * height:
            dots.append(float(centres[k][0]))
    return dots, top, height


def _dotted_latin_words(line: OcrLine) -> list:
    return [w for w in line.words if _LATIN_WORD.fullmatch(w.text) and _DOTTED.search(w.text)]


def names_dotted_latin(line: OcrLine) -> bool:
    """The read has a Latin word with an i or j (only such reads are checked against their picture)."""
    return bool(_dotted_latin_words(line))


def dotless_i(line: OcrLine, image: np.ndarray) -> bool:
    """A Latin word of the read holds more i/j than the picture has dots above its letters. ``image``: the picture
    as read, with its small marks kept (``binarize_for_ocr(..., keep_marks=True)``, or a grey look)."""
    words = _dotted_latin_words(line)
    if not words:
        return False
    found = _dots(image)
    if found is None:
        return False
    dots = found[0]
    for word in words:
        inside = sum(1 for x in dots if word.x0 - 2 <= x <= word.x1 + 2)
        if inside < len(_DOTTED.findall(word.text)):
            return True
    return False


def unread_ink(line: OcrLine, image: np.ndarray, min_glyph: float = 0.5) -> bool:
    """Ink as wide as a glyph that none of the read's words covers: the engine dropped letters. Tesseract read a
    cleanly binarised 분장·미용 as 장·미용 at 0.95, its first word boxed where 장 starts, 분's ink left of every box.
    ``image``: the picture as read (dark text on light). Reads without word boxes are not judged."""
    words = [w for w in line.words if w.x1 > w.x0]
    if not words:
        return False
    gray = image if image.ndim == 2 else image.min(axis=2)
    ink = gray < 128
    profile = ink.sum(axis=1)
    if profile.max() == 0:
        return False
    # the line's own rows (a neighbouring line's sliver at the crop's edge is no lost letter)
    dense = np.flatnonzero(profile >= max(1, 0.1 * profile.max()))
    top, bottom = int(dense[0]), int(dense[-1]) + 1
    height = float(max(4, bottom - top))
    columns = ink[top:bottom].sum(axis=0) >= 2
    covered = np.zeros_like(columns)
    pad = int(round(0.15 * height))
    for word in words:
        covered[max(0, int(word.x0) - pad):max(0, int(np.ceil(word.x1)) + pad)] = True
    lost = np.flatnonzero(columns & ~covered)
    if len(lost) == 0:
        return False
    # lost columns closer than a letter gap are one glyph; the widest such run decides
    breaks = np.flatnonzero(np.diff(lost) > 0.3 * height)
    starts = np.concatenate(([lost[0]], lost[breaks + 1]))
    ends = np.concatenate((lost[breaks], [lost[-1]]))
    return bool(((ends - starts + 1) >= min_glyph * height).any())
