"""Crop preprocessing before OCR: colour or monochrome, Otsu binarisation, dark text on white.

Credits are mostly light text on black (monochrome: grey + Otsu, inverted), but rolls over moving colour
pictures are common. For a colour crop the grey image is replaced by the channel image that separates best under
Otsu: the per-pixel minimum of B, G, R (white text stays bright, saturated backgrounds go dark) or the maximum
(dark text on a light colour). Tesseract reads dark text on white best, at a cap height of ~30-40 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

BORDER_PX = 20  # Tesseract misreads lines set tight against the image edge
CLEAN_BORDER = 0.01  # share of a crop's border two text masks may differ by and still keep off it alike


@dataclass(frozen=True)
class ColourStats:
    channel_spread: float  # 90th percentile of the largest per-pixel difference between two of B, G, R
    saturation_ratio: float  # share of non-dark pixels whose HSV saturation is high
    monochrome: bool


def colour_stats(image: np.ndarray, spread_limit: float = 28.0, saturation_limit: float = 0.08,
                 saturated: int = 70) -> ColourStats:
    """Colour vs monochrome, from the RGB channel-difference spread and the HSV saturation ratio (as the seed)."""
    if image.ndim == 2:
        return ColourStats(0.0, 0.0, True)
    pixels = image.reshape(-1, 3).astype(np.int16)
    if len(pixels) > 40_000:  # a strided sample is plenty for two percentiles
        pixels = pixels[:: len(pixels) // 40_000]
    diffs = np.maximum.reduce([np.abs(pixels[:, 0] - pixels[:, 1]), np.abs(pixels[:, 1] - pixels[:, 2]),
                               np.abs(pixels[:, 2] - pixels[:, 0])])
    spread = float(np.percentile(diffs, 90))
    hsv = cv2.cvtColor(pixels.astype(np.uint8).reshape(-1, 1, 3), cv2.COLOR_BGR2HSV).reshape(-1, 3)
    lit = hsv[:, 2] > 40  # saturation of near-black pixels is noise
    ratio = float((hsv[lit, 1] > saturated).mean()) if lit.any() else 0.0
    return ColourStats(spread, ratio, spread < spread_limit and ratio < saturation_limit)


def _separability(gray: np.ndarray) -> tuple[float, float]:
    """(Otsu threshold, between-class variance / total variance) — how cleanly one threshold splits it."""
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    total = float(gray.var())
    if total < 1e-6:
        return threshold, 0.0
    low, high = gray[gray <= threshold], gray[gray > threshold]
    if len(low) == 0 or len(high) == 0:
        return threshold, 0.0
    w0, w1 = len(low) / gray.size, len(high) / gray.size
    return threshold, w0 * w1 * (float(low.mean()) - float(high.mean())) ** 2 / total


def otsu_three_class(gray: np.ndarray) -> tuple[int, int]:
    """Two thresholds splitting grey levels into three classes with the largest between-class variance:
    over a colour picture, light text usually sits above a drop shadow and the picture itself."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    p = hist / max(1.0, hist.sum())
    levels = np.arange(256, dtype=np.float64)
    cum_p = np.cumsum(p)
    cum_m = np.cumsum(p * levels)
    total_mean = cum_m[-1]
    t1 = np.arange(256)[:, None]
    t2 = np.arange(256)[None, :]
    w0 = cum_p[t1]
    w1 = cum_p[t2] - cum_p[t1]
    w2 = 1.0 - cum_p[t2]
    m0 = cum_m[t1]
    m1 = cum_m[t2] - cum_m[t1]
    m2 = total_mean - cum_m[t2]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = m0 ** 2 / w0 + m1 ** 2 / w1 + m2 ** 2 / w2
    valid = (t2 > t1) & (w0 > 0) & (w1 > 0) & (w2 > 0)
    between = np.where(valid, between, -np.inf)
    a, b = np.unravel_index(int(np.argmax(between)), between.shape)
    return int(a), int(b)


def _border_share(mask: np.ndarray) -> float:
    border = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    return float(border.mean())


def _colour_text_channel(image: np.ndarray) -> tuple[np.ndarray, int]:
    """For a colour crop: (channel where text is bright, threshold above which a pixel is text). Light text
    is brightest in the per-pixel minimum of B, G, R; dark text in 255 minus the maximum. The text is above one
    Otsu threshold, or over a picture with a drop shadow the top class of a three-class Otsu; the candidate whose
    text keeps off the crop border wins, one threshold first where both do."""
    candidates: list[tuple[float, np.ndarray, int]] = []
    for channel in (image.min(axis=2), 255 - image.max(axis=2)):
        # one threshold first: with nothing but text and a plain ground, three classes split the text itself (a
        # yellow title's min channel is ~100 with chroma noise; its upper class kept fragments: "Sore Cogivees")
        for threshold in (int(_separability(channel)[0]), otsu_three_class(channel)[1]):
            text = channel > threshold
            ink = float(text.mean())
            candidates.append((_border_share(text) + (0.0 if 0.02 <= ink <= 0.5 else 1.0), channel, threshold))
    least = min(score for score, _, _ in candidates)
    _, channel, threshold = next(c for c in candidates if c[0] <= least + CLEAN_BORDER)
    return channel, threshold


def _text_is_light(binary: np.ndarray) -> bool:
    """Background owns the border: if the border is mostly 'on', the text is the dark class."""
    return _border_share(binary > 0) < 0.5


def leader_runs(binary: np.ndarray, min_run: int = 4) -> list[list[tuple[int, int, int, int]]]:
    """Runs of small, evenly set dots on one height (a "Role ...... Name" leader) in a black-on-white line image:
    each run as its dots' (x, y, w, h) boxes, left to right."""
    ink = (binary == 0).astype(np.uint8)
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) == 0:
        return []
    line = float(rows[-1] - rows[0] + 1)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = [i for i in range(1, count)
             if stats[i, cv2.CC_STAT_HEIGHT] <= 0.25 * line and stats[i, cv2.CC_STAT_WIDTH] <= 0.3 * line]
    small.sort(key=lambda i: centroids[i][0])
    runs_: list[list[int]] = []
    for i in small:
        if runs_ and centroids[i][0] - centroids[runs_[-1][-1]][0] <= 1.2 * line \
                and abs(centroids[i][1] - centroids[runs_[-1][-1]][1]) <= 0.15 * line:
            runs_[-1].append(i)
        else:
            runs_.append([i])
    return [[tuple(int(v) for v in stats[i, :4]) for i in run] for run in runs_ if len(run) >= min_run]


def erase_dot_leaders(binary: np.ndarray, min_run: int = 4) -> np.ndarray:
    """White out runs of small, evenly set dots (a "Role ...... Name" leader) in a black-on-white line image.
    Tesseract reads a leader as noise ("e+e eee"); erased, it is a wide gap, which is what it means."""
    runs_ = leader_runs(binary, min_run)
    if not runs_:
        return binary
    ink = binary == 0
    out = binary.copy()
    for run in runs_:
        for x, y, w, h in run:
            out[y:y + h, x:x + w][ink[y:y + h, x:x + w]] = 255
    return out


def _even(run: Sequence[tuple[int, int, int, int]]) -> bool:
    """Dots of one size set at one pitch: a leader, not the fragments of a badly binarised word."""
    sizes = np.array([(w, h) for _, _, w, h in run], np.float64)
    middle = np.median(sizes, axis=0)
    if ((sizes < 0.6 * middle) | (sizes > 1.6 * middle)).any():
        return False
    pitch = np.diff([x + w / 2 for x, _, w, _ in run])
    return bool(pitch.min() > 0 and pitch.std() <= 0.2 * pitch.mean())


def leader_place(crop: np.ndarray, line_height_px: int = 40) -> str:
    """Where a dot leader stands in a line crop, relative to its text: "end" (text, then the leader: a role whose
    names were cut into another piece), "start" (names after it), "inside" (role, leader, names), "alone", or ""
    (no leader). The leader is erased before reading, so the read text alone cannot say which side is the role."""
    binary = remove_specks(binarize_for_ocr(crop, line_height_px, keep_marks=True))
    runs_ = [run for run in leader_runs(binary) if _even(run)]
    if not runs_:
        return ""
    run = max(runs_, key=len)
    x0, x1 = min(x for x, *_ in run), max(x + w for x, _, w, _ in run)
    ink = binary == 0
    for x, y, w, h in (box for r in runs_ for box in r):
        ink[y:y + h, x:x + w] = False
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) == 0:
        return "alone"
    glyph = 0.5 * (rows[-1] - rows[0] + 1)  # text this wide on a side is a word, not a stray mark
    columns = ink.sum(axis=0) > 0
    before, after = int(columns[:x0].sum()) >= glyph, int(columns[x1:].sum()) >= glyph
    return {(True, True): "inside", (True, False): "end", (False, True): "start"}.get((before, after), "alone")


def _middle_dot(binary: np.ndarray, labels: np.ndarray, stats: np.ndarray, label: int) -> bool:
    """A small blob at mid-height of the line with no ink above or below it: a middle dot between names, which
    is text (it sets names apart), not compression noise."""
    from vidsearch.ocr.separators import is_dot_blob

    ink_rows = np.flatnonzero((binary == 0).any(axis=1))
    profile = (binary == 0).sum(axis=1)
    dense = np.flatnonzero(profile >= max(1, 0.1 * profile.max()))
    if len(ink_rows) == 0 or len(dense) == 0:
        return False
    x, y, w, h = (int(v) for v in stats[label, :4])
    if not is_dot_blob(w, h, y + h / 2, int(dense[0]), max(4, int(dense[-1] - dense[0] + 1))):
        return False
    column = labels[:, x:x + w]
    return not ((column != label) & (column > 0)).any()


def remove_specks(binary: np.ndarray) -> np.ndarray:
    """White out ink that is not text: specks (compression noise, < 2% of the largest glyph part) and bits of
    neighbouring lines cut by the crop edge (touching the border, under a third of the tallest part's height)."""
    ink = (binary == 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 2:
        return binary
    areas = stats[1:, cv2.CC_STAT_AREA]
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    h, w = binary.shape
    x, y = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    touches = (x == 0) | (y == 0) | (x + stats[1:, cv2.CC_STAT_WIDTH] >= w) | (y + heights >= h)
    drop = (areas < 0.02 * areas.max()) | (touches & (heights < heights.max() / 3))
    for k in np.flatnonzero(drop & ~touches):
        drop[k] = not _middle_dot(binary, labels, stats, k + 1)
    if not drop.any():
        return binary
    out = binary.copy()
    out[np.isin(labels, np.flatnonzero(drop) + 1)] = 255
    return out


def _oriented_channel(crop: np.ndarray) -> tuple[np.ndarray, float, int]:
    """(text channel with dark text on light, its text threshold, text height in pixels)."""
    if crop.ndim == 3 and not colour_stats(crop).monochrome:
        channel, upper = _colour_text_channel(crop)
        threshold = float(upper)
    else:
        channel = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        threshold, _ = _separability(channel)
    binary = (channel > threshold).astype(np.uint8) * 255
    if _text_is_light(binary):
        channel = 255 - channel
        threshold = 255 - threshold
        binary = 255 - binary
    ink_rows = np.flatnonzero((remove_specks(binary) == 0).sum(axis=1) > 0)
    ink_height = int(ink_rows[-1] - ink_rows[0] + 1) if len(ink_rows) else channel.shape[0]
    return channel, threshold, ink_height


def _rescale(channel: np.ndarray, ink_height: int, target_px: float) -> np.ndarray:
    scale = float(np.clip(target_px / max(ink_height, 1), 0.5, 4.0))
    if abs(scale - 1.0) <= 0.05:
        return channel
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(channel, None, fx=scale, fy=scale, interpolation=interpolation)


def outlined_fill(crop: np.ndarray, ink: np.ndarray, near_px: int = 2, min_ringed: float = 0.6,
                  min_near: float = 0.7, max_shared: float = 0.3) -> np.ndarray | None:
    """The fill of light text drawn with a dark outline, as a bool mask, where ``ink`` (what one threshold took
    for text) is that outline instead; None otherwise. Over a light picture the fill and the picture share one
    grey class, so the text class that keeps off the border is the outline: Tesseract reads those hollow glyphs
    confidently wrong (서지영 as 'AAS' at 0.92, 'Rigging Gaffer' as 'RogingGatiier'). The fill is the light pixels
    not connected to the crop's border, each part ringed by dark pixels, and nearly all the dark ink lies next to
    it: a dark text's own counters (the holes of o, ㅇ) are ringed too, but most of its strokes are far from them."""
    channel = crop.min(axis=2) if crop.ndim == 3 else crop
    darkest = crop.max(axis=2) if crop.ndim == 3 else crop
    _, upper = otsu_three_class(channel)
    lower, _ = otsu_three_class(darkest)
    bright = (channel > upper).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    h, w = bright.shape
    x, y = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    inner = (x > 0) & (y > 0) & (x + stats[1:, cv2.CC_STAT_WIDTH] < w) & (y + stats[1:, cv2.CC_STAT_HEIGHT] < h)
    if not inner.any():
        return None
    inner &= stats[1:, cv2.CC_STAT_AREA] >= 0.02 * stats[1:, cv2.CC_STAT_AREA][inner].max()
    fill = np.isin(labels, np.flatnonzero(inner) + 1)
    dark = darkest <= lower
    kernel = np.ones((2 * near_px + 1, 2 * near_px + 1), np.uint8)
    near = cv2.dilate(fill.astype(np.uint8), kernel).astype(bool)
    ring = near & ~fill
    if not (0.02 <= fill.mean() <= 0.5) or not ring.any() or not ink.any():
        return None
    ringed = float(dark[ring].mean())
    ink_near = float(near[ink].mean())
    shared = float((fill & ink).sum()) / float(fill.sum())
    if ringed < min_ringed or ink_near < min_near or shared > max_shared:
        return None
    # the strict class loses the glyphs' anti-aliased edges (thin strokes break): grow each part up to the level
    # half-way between the outline and the fill, where the glyph's edge is, as long as it stays off the border
    middle = (float(np.median(channel[ring & dark])) + float(np.median(channel[fill]))) / 2
    count, labels, stats, _ = cv2.connectedComponentsWithStats((channel > middle).astype(np.uint8), connectivity=4)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    inner = (x > 0) & (y > 0) & (x + stats[:, cv2.CC_STAT_WIDTH] < w) & (y + stats[:, cv2.CC_STAT_HEIGHT] < h)
    grown = np.isin(labels, [k for k in np.unique(labels[fill]) if k > 0 and inner[k]])
    return fill | grown


def binarize_for_ocr(crop: np.ndarray, line_height_px: int = 40, keep_marks: bool = False) -> np.ndarray:
    """Black text on white, scaled so the text is ``line_height_px`` tall, with a white margin; light text with a
    dark outline over a light picture is given as its fill (``outlined_fill``). Specks and dot leaders are erased
    unless ``keep_marks`` (the same picture with every small mark kept: an i's dot is a speck to the cleaner)."""
    channel, threshold, ink_height = _oriented_channel(crop)
    fill = outlined_fill(crop, channel <= threshold)
    if fill is not None:
        rows = np.flatnonzero(fill.any(axis=1))
        channel = np.where(fill, 0, 255).astype(np.uint8)
        threshold, ink_height = 127.0, int(rows[-1] - rows[0] + 1)
    _, out = cv2.threshold(_rescale(channel, ink_height, line_height_px), threshold, 255, cv2.THRESH_BINARY)
    if not keep_marks:
        out = erase_dot_leaders(remove_specks(out))
    return cv2.copyMakeBorder(out, BORDER_PX, BORDER_PX, BORDER_PX, BORDER_PX, cv2.BORDER_CONSTANT, value=255)


def grey_for_ocr(crop: np.ndarray, line_height_px: int = 40) -> np.ndarray:
    """A second look at a crop the binarised version failed on: the text channel, dark on light, not thresholded
    (Tesseract binarises it its own way) and larger. Thin serif strokes over colour survive this better."""
    channel, _, ink_height = _oriented_channel(crop)
    out = _rescale(channel, ink_height, 1.5 * line_height_px)
    return cv2.copyMakeBorder(out, BORDER_PX, BORDER_PX, BORDER_PX, BORDER_PX, cv2.BORDER_REPLICATE)
