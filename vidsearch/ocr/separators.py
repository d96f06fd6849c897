"""Middle dots between names, found on the line image itself.

Credits often list names joined by a spaced middle dot ("Gustav Adolf · Peter Seamus"). Tesseract reads that dot
as "-", ":", "ㆍ" or nothing, or glues it to the word before ("Coal:"), and a dot it drops leaves only two
space-wide gaps, so two names read as one. The dot itself is unmistakable on the binarised line: a small compact
blob at mid-height with no other ink above or below it. Spaced (blank on both sides as wide as a space) it sets
two names apart; tight ("윌리엄·셰익스피어") it is part of one name. ``place_separator_dots`` puts a "·" word where
each such dot is and removes what the engine made of it. ``find_dropped_slashes`` restores a "/" (role / names)
the engine left out altogether.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from vidsearch.ocr.engine import INK_SPACE, OcrWord

# what an engine makes of a middle dot: punctuation alone, or glued to a neighbouring word
_DOT_READS = "-:·ㆍ.•∙・‧⋅~_'`,;=*°"
# blank on each side of a spaced dot, in ink heights (measured on Nanum Gothic/Myeongjo: spaced dots 0.39-0.61,
# tight 0.10-0.25); the same as a space between words, so ``join_words`` spaces exactly the spaced dots
SPACED_DOT_GAP = INK_SPACE
# a dot a single blank pixel column off a letter, level with that letter's top, is part of it: small serif type
# over busy footage binarised the ball of each r a pixel apart from its stem, and titles were read
# 'Computer· Programmer', 'Plaster· Foreman' (fuzz side 1706). A tight dot in small bold type is a pixel off its
# letters too (음향·믹싱), but level with their middle
GLYPH_PART_GAP_PX = 2
GLYPH_PART_TOP = 0.3  # the blob's centre in this top share of the letter beside it


@dataclass(frozen=True)
class SeparatorDot:
    x0: int
    x1: int  # exclusive
    spaced: bool


def _ink_band(ink: np.ndarray) -> tuple[int, int] | None:
    profile = ink.sum(axis=1)
    if not profile.any():
        return None
    dense = np.flatnonzero(profile >= max(1, 0.1 * profile.max()))
    return int(dense[0]), int(dense[-1]) + 1


def _blank_run(columns: np.ndarray, start: int, step: int) -> int:
    run, x = 0, start
    while 0 <= x < len(columns) and not columns[x]:
        run, x = run + 1, x + step
    return run


def is_dot_blob(width: int, height: int, centre_y: float, top: int, ink_height: int) -> bool:
    """Small, compact, at mid-height: not a period (baseline), a hyphen (flat) or a letter."""
    small = 0.06 * ink_height <= min(width, height) and max(width, height) <= 0.3 * ink_height
    compact = 0.5 <= width / max(1, height) <= 2.0
    middle = 0.3 <= (centre_y - top) / ink_height <= 0.7
    return small and compact and middle


def _letter_part(ink: np.ndarray, x: int, w: int, centre_y: float, left: int, right: int, ink_height: int) -> bool:
    """The blob is a part of the letter a pixel beside it that the threshold cut off (``GLYPH_PART_GAP_PX``)."""
    gap = min(left, right)
    if gap >= GLYPH_PART_GAP_PX:
        return False
    reach = max(2, int(0.3 * ink_height))  # the letter: the ink up to this far past the gap
    near = ink[:, max(0, x - gap - reach): x - gap] if left <= right else ink[:, x + w + gap: x + w + gap + reach]
    rows = np.flatnonzero(near.any(axis=1))
    if len(rows) == 0:
        return False
    return centre_y - rows[0] < GLYPH_PART_TOP * (rows[-1] - rows[0] + 1)


def find_separator_dots(image: np.ndarray) -> list[SeparatorDot]:
    """Middle dots on a dark-on-white line image, left to right."""
    gray = image if image.ndim == 2 else image.min(axis=2)
    ink = (gray < 128).astype(np.uint8)
    band = _ink_band(ink)
    if band is None:
        return []
    top, bottom = band
    ink_height = max(4, bottom - top)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    inked_columns = ink.any(axis=0)
    dots = []
    for i in range(1, count):
        x, y, w, h = (int(v) for v in stats[i, :4])
        if not is_dot_blob(w, h, float(centroids[i][1]), top, ink_height) or stats[i, cv2.CC_STAT_AREA] < 0.6 * w * h:
            continue  # (a round dot fills most of its box; a broken thin stroke of a serif "w" does not)
        column = labels[:, x:x + w]
        if ((column != i) & (column > 0)).any():
            continue  # other ink above or below: a colon, an "i", part of a syllable
        left, right = _blank_run(inked_columns, x - 1, -1), _blank_run(inked_columns, x + w, 1)
        if left == 0 or right == 0 or _letter_part(ink, x, w, float(centroids[i][1]), left, right, ink_height):
            continue
        spaced = min(left, right) >= SPACED_DOT_GAP * ink_height
        dots.append(SeparatorDot(x, x + w, spaced))
    return sorted(dots, key=lambda d: d.x0)


def _is_slash(mask: np.ndarray, ink_height: int) -> bool:
    """One thin stroke, as tall as the text, leaning right as it rises: "/" (not "l", "I", "V" or "y")."""
    h, w = mask.shape
    if h < 0.6 * ink_height or not 0.12 * ink_height <= w <= 0.6 * ink_height:
        return False
    ys, centres = [], []
    for y in range(h):
        xs = np.flatnonzero(mask[y])
        if len(xs) == 0:
            continue
        if xs[-1] - xs[0] + 1 > len(xs) + 1:  # two strokes on this row
            return False
        ys.append(y)
        centres.append((xs[0] + xs[-1]) / 2)
    if len(ys) < 4:
        return False
    slope = float(np.polyfit(ys, centres, 1)[0])  # x per row going down
    return -0.7 <= slope <= -0.15 and float(np.ptp(centres)) >= 0.5 * w


def find_dropped_slashes(image: np.ndarray, words: Sequence[OcrWord]) -> list[OcrWord]:
    """A "/" the engine dropped (kor+eng loses some slashes between a role and its names): a slash-shaped stroke,
    with blank on both sides, under no word the engine read — as "/" words to add."""
    gray = image if image.ndim == 2 else image.min(axis=2)
    ink = (gray < 128).astype(np.uint8)
    band = _ink_band(ink)
    if band is None:
        return []
    ink_height = max(4, band[1] - band[0])
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    inked_columns = ink.any(axis=0)
    out = []
    for i in range(1, count):
        x, y, w, h = (int(v) for v in stats[i, :4])
        if any(word.x0 - 1 <= x + w and word.x1 + 1 >= x for word in words):
            continue
        column = labels[:, x:x + w]
        if ((column != i) & (column > 0)).any() or not _blank_run(inked_columns, x - 1, -1) \
                or not _blank_run(inked_columns, x + w, 1):
            continue
        if _is_slash(labels[y:y + h, x:x + w] == i, ink_height):
            out.append(OcrWord("/", float(x), float(x + w), 1.0, float(ink_height)))
    return out


def place_separator_dots(words: Sequence[OcrWord], dots: Sequence[SeparatorDot]) -> list[OcrWord]:
    """Words with a "·" word at each dot: punctuation words over a dot are dropped, punctuation a word carries on
    the dot's side is stripped, and a word spanning a dot is cut at the punctuation it read there."""
    out = sorted(words, key=lambda w: w.x0)
    for dot in dots:
        margin = max(2, (dot.x1 - dot.x0))
        if any(w.x0 < dot.x0 - margin and w.x1 > dot.x1 + margin and not any(c in _DOT_READS for c in w.text)
               for w in out):
            continue  # inside a word read without punctuation there: a piece of a letter, not a dot
        kept: list[OcrWord] = []
        for word in out:
            overlaps = word.x0 <= dot.x1 + margin and word.x1 >= dot.x0 - margin
            if not overlaps:
                kept.append(word)
            elif not word.text.strip(_DOT_READS):
                continue  # the engine's reading of the dot itself
            elif word.x0 < dot.x0 - margin and word.x1 > dot.x1 + margin:
                kept.extend(_cut(word, dot))
            elif (word.x0 + word.x1) / 2 < dot.x0:
                kept.append(replace(word, text=word.text.rstrip(_DOT_READS), x1=min(word.x1, dot.x0 - 1)))
            else:
                kept.append(replace(word, text=word.text.lstrip(_DOT_READS), x0=max(word.x0, dot.x1 + 1)))
        height = max((w.height for w in words), default=0.0)
        kept.append(OcrWord("·", float(dot.x0), float(dot.x1), 1.0, height))
        out = sorted((w for w in kept if w.text), key=lambda w: w.x0)
    return out


def _cut(word: OcrWord, dot: SeparatorDot) -> list[OcrWord]:
    """A word read across a dot ("Adolf-Peter"): split at the punctuation nearest the dot's relative place."""
    where = (dot.x0 - word.x0) / max(1.0, word.x1 - word.x0) * len(word.text)
    marks = [k for k, ch in enumerate(word.text) if ch in _DOT_READS]
    if not marks:
        return [word]
    k = min(marks, key=lambda m: abs(m - where))
    left, right = word.text[:k].rstrip(_DOT_READS), word.text[k + 1:].lstrip(_DOT_READS)
    return [replace(word, text=left, x1=float(dot.x0 - 1)), replace(word, text=right, x0=float(dot.x1 + 1))]


_ENDS_IN_MARK = re.compile(r"[^\w\uac00-\ud7a3]$")


def find_dropped_commas(image: np.ndarray, words: Sequence[OcrWord]) -> list[OcrWord]:
    """Words that end in a comma the engine left out ("권성덕, Valentine Abington" read "권성덕 Valentine
    Abington": two names run together), with the comma put back. The comma is the word's last blob: small, in the
    lower half of the line, taller than wide (its tail), and set off from the word's other ink by blank columns,
    with another word after it."""
    gray = image if image.ndim == 2 else image.min(axis=2)
    ink = (gray < 128).astype(np.uint8)
    band = _ink_band(ink)
    if band is None or len(words) < 2:
        return list(words)
    top, bottom = band
    ink_height = max(4, bottom - top)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    ordered = sorted(words, key=lambda w: w.x0)
    out = []
    for word, after in zip(ordered, ordered[1:] + [None]):
        out.append(word)
        if after is None or not word.text or _ENDS_IN_MARK.search(word.text):
            continue
        x0, x1 = int(word.x0), int(np.ceil(word.x1))
        inside = [k for k in range(1, count) if x0 <= stats[k, 0] and stats[k, 0] + stats[k, 2] <= x1 + 2]
        if len(inside) < 2:
            continue
        last = max(inside, key=lambda k: stats[k, 0] + stats[k, 2])
        x, y, w, h = (int(v) for v in stats[last, :4])
        rest = max(int(stats[k, 0] + stats[k, 2]) for k in inside if k != last)
        comma = (w <= 0.25 * ink_height and 0.15 * ink_height <= h <= 0.5 * ink_height and h >= 1.2 * w
                 and y >= top + 0.5 * ink_height and x > rest and after.x0 > x + w)
        if comma:
            out[-1] = replace(word, text=word.text + ",")
    return out
