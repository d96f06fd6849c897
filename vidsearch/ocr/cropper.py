"""HeatmapCropper: text heatmaps → boxes of text lines to OCR (the seed's two methods).

BINARY binarises each frame's map at ``threshold`` and cuts it by projection: rows with text form line bands
(bands closer than ``y_gap_threshold`` join), and within a band, runs of text columns closer than
``x_gap_threshold`` form one piece (so a role and a name set far apart become two pieces, which is what column
clustering needs). GAP first sums the maps of all frames of a section and crops the dense region once (the
credit area, its column pieces stable over a whole roll); each frame is then cut into lines inside that region.
Fragments of one line split vertically are merged back, then each piece is padded by ``x_padding``/``y_padding``
times its own detected height: detector maps are shrunk text kernels (DB's by ~0.2 of the text height per side),
so the padding that restores a line scales with its size. ``exclude_top_height`` masks titles and logos at the top.

Gap thresholds and ``exclude_top_height`` are fractions of the frame height, so one setting serves 720p and 1080p.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from vidsearch.ocr.geometry import Box, runs
from vidsearch.ocr.heatmap import Heatmap


class CropMethod(StrEnum):
    GAP = "gap"
    BINARY = "binary"


@dataclass(frozen=True)
class CropperParams:
    method: CropMethod = CropMethod.BINARY
    threshold: float = 0.3
    y_gap_threshold: float = 0.004
    x_gap_threshold: float = 0.045
    x_padding: float = 0.8  # times the piece's detected height
    y_padding: float = 0.5
    exclude_top_height: float = 0.0
    min_line_height: float = 0.008  # bands thinner than this are noise
    min_relative_height: float = 0.45  # pieces under this share of the frame's median piece height (dots) go
    min_piece_width: float = 0.006
    region_density: float = 0.08  # GAP: share of the busiest row's/column's text a row/column needs
    region_y_gap: float = 0.15  # GAP: row runs closer than this (fraction of frame height) are one region


@dataclass(frozen=True)
class LineCrop:
    box: Box  # frame pixels, padded
    band: int  # which text line band of the frame this piece belongs to (pieces of one row share it)


def _mask(heatmap: Heatmap, params: CropperParams) -> np.ndarray:
    mask = heatmap.prob >= params.threshold
    top = int(round(params.exclude_top_height * mask.shape[0]))
    if top > 0:
        mask[:top] = False
    return mask


def merge_vertical(boxes: Sequence[Box], max_gap: int, min_x_overlap: float = 0.5) -> list[Box]:
    """Join boxes that overlap horizontally (by ``min_x_overlap`` of the narrower) and are at most ``max_gap``
    apart vertically: the fragments of one line a low threshold or a tall glyph split in two."""
    pending = sorted(boxes, key=lambda b: (b.y0, b.x0))
    merged: list[Box] = []
    for box in pending:
        for i, kept in enumerate(merged):
            gap = max(box.y0 - kept.y1, kept.y0 - box.y1)
            narrow = max(1, min(box.width, kept.width))
            if gap <= max_gap and kept.x_overlap(box) >= min_x_overlap * narrow:
                merged[i] = kept.union(box)
                break
        else:
            merged.append(box)
    return merged


class HeatmapCropper:
    def __init__(self, params: CropperParams | None = None) -> None:
        self.params = params or CropperParams()

    def _px(self, fraction: float, frame_height: int, scale: float) -> int:
        """A fraction of the frame height → map cells (``scale`` = frame pixels per cell)."""
        return max(0, int(round(fraction * frame_height / scale)))

    def _bands(self, mask: np.ndarray, heatmap: Heatmap) -> list[tuple[int, int]]:
        p = self.params
        rows = mask.sum(axis=1) >= 2
        return runs(rows, self._px(p.y_gap_threshold, heatmap.frame_height, heatmap.sy),
                    max(1, self._px(p.min_line_height, heatmap.frame_height, heatmap.sy)))

    def _pieces(self, columns: np.ndarray, heatmap: Heatmap) -> list[tuple[int, int]]:
        p = self.params
        return runs(columns, self._px(p.x_gap_threshold, heatmap.frame_height, heatmap.sx),
                    max(1, self._px(p.min_piece_width, heatmap.frame_height, heatmap.sx)))

    def _finish(self, cell_boxes: list[tuple[Box, int]], heatmap: Heatmap) -> list[LineCrop]:
        p = self.params
        h = heatmap.frame_height
        if len(cell_boxes) >= 3:  # a dot leader's dots or a fragment: far thinner than the frame's lines
            median = float(np.median([b.height for b, _ in cell_boxes]))
            cell_boxes = [(b, band) for b, band in cell_boxes if b.height >= p.min_relative_height * median]
        frame_boxes = [(heatmap.to_frame(box), band) for box, band in cell_boxes]
        merged = merge_vertical([b for b, _ in frame_boxes], int(round(p.y_gap_threshold * h)))
        crops = []
        for box in merged:
            band = min((bd for b, bd in frame_boxes if b.y_overlap(box) > 0), default=0)
            dx, dy = int(round(p.x_padding * box.height)), int(round(p.y_padding * box.height))
            crops.append(LineCrop(box.pad(dx, dy, heatmap.frame_width, h), band))
        crops.sort(key=lambda c: (c.box.y0, c.box.x0))
        return crops

    def crop_frame(self, heatmap: Heatmap, region: Sequence[Box] | None = None) -> list[LineCrop]:
        """BINARY: line pieces of one frame. With ``region`` (GAP) only text inside it counts and each line is cut
        at the region's own column boundaries, so a roll's pieces line up frame after frame."""
        mask = _mask(heatmap, self.params)
        columns: list[tuple[int, int]] | None = None
        if region is not None:
            inside = np.zeros_like(mask)
            columns = []
            for box in region:
                x0, x1 = int(box.x0 / heatmap.sx), int(np.ceil(box.x1 / heatmap.sx))
                inside[int(box.y0 / heatmap.sy):int(np.ceil(box.y1 / heatmap.sy)), x0:x1] = True
                columns.append((x0, x1))
            mask &= inside
        out: list[tuple[Box, int]] = []
        for band, (y0, y1) in enumerate(self._bands(mask, heatmap)):
            text_columns = mask[y0:y1].any(axis=0)
            if columns is None:
                pieces = self._pieces(text_columns, heatmap)
            else:
                pieces = []
                for x0, x1 in sorted(set(columns)):
                    hits = np.flatnonzero(text_columns[x0:x1])
                    if len(hits):
                        pieces.append((x0 + int(hits[0]), x0 + int(hits[-1]) + 1))
            for x0, x1 in pieces:
                # a piece's own rows: a logo beside a line that is half off the top shares its band, not its height
                rows = np.flatnonzero(mask[y0:y1, x0:x1].any(axis=1))
                out.append((Box(x0, y0 + int(rows[0]), x1, y0 + int(rows[-1]) + 1), band))
        return self._finish(out, heatmap)

    def crop_region(self, heatmaps: Sequence[Heatmap]) -> list[Box]:
        """GAP: sum the maps of a section and crop its dense region once → column boxes in frame pixels.

        Over a scrolling roll each cell is text only now and then, so density is judged on projections of the
        sum: rows and columns carrying at least ``region_density`` of the busiest one's text. Row runs closer
        than ``region_y_gap`` join (the space between credit entries is not the end of the credit area)."""
        if not heatmaps:
            return []
        shape = heatmaps[0].prob.shape
        total = np.zeros(shape, np.float32)
        for heatmap in heatmaps:
            if heatmap.prob.shape != shape:
                raise ValueError("GAP cropping needs maps of one size (frames of one video section)")
            total += _mask(heatmap, self.params)
        first = heatmaps[0]
        p = self.params
        row_profile = total.sum(axis=1)
        if row_profile.max() <= 0:
            return []
        rows = runs(row_profile >= p.region_density * row_profile.max(),
                    self._px(p.region_y_gap, first.frame_height, first.sy))
        boxes: list[Box] = []
        for y0, y1 in rows:
            column_profile = total[y0:y1].sum(axis=0)
            for x0, x1 in self._pieces(column_profile >= p.region_density * column_profile.max(), first):
                boxes.append(Box(x0, y0, x1, y1))
        h = first.frame_height
        line = 0.03 * h  # a typical credit line's detected height: the region needs a margin of that order
        dx, dy = int(round(p.x_padding * line)), int(round(p.y_padding * line))
        return [first.to_frame(b).pad(dx, dy, first.frame_width, h) for b in boxes]

    def crop_section(self, heatmaps: Sequence[Heatmap]) -> list[list[LineCrop]]:
        """Line pieces for every frame of a section, by the configured method."""
        if self.params.method is CropMethod.GAP:
            region = self.crop_region(heatmaps)
            return [self.crop_frame(h, region) for h in heatmaps]
        return [self.crop_frame(h) for h in heatmaps]
