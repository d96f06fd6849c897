"""HeatmapCropper: BINARY (per frame) and GAP (summed over a section), gaps, padding, top exclusion, merging."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ocr.conftest import draw_frame
from vidsearch.ocr.cropper import CropMethod, CropperParams, HeatmapCropper, merge_vertical
from vidsearch.ocr.geometry import Box, runs
from vidsearch.ocr.heatmap import Heatmap


def _map(rects: list[tuple[int, int, int, int]], shape=(360, 640), value=0.9) -> Heatmap:
    """A heatmap at half the frame's resolution (frame 1280x720) with the given cell rectangles lit."""
    prob = np.zeros(shape, np.float32)
    for x0, y0, x1, y1 in rects:
        prob[y0:y1, x0:x1] = value
    return Heatmap(prob, shape[1] * 2, shape[0] * 2)


def test_runs_join_across_small_gaps():
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1, 1], bool)
    assert runs(mask) == [(1, 3), (4, 5), (8, 10)]
    assert runs(mask, max_gap=1) == [(1, 5), (8, 10)]
    assert runs(mask, max_gap=1, min_length=3) == [(1, 5)]


def test_binary_splits_lines_and_far_apart_columns():
    # two credit rows: role at left of the gutter, names at right; a wide gap (100 cells) between them
    heatmap = _map([(100, 50, 180, 62), (280, 50, 400, 62), (120, 90, 180, 102), (280, 90, 380, 102)])
    crops = HeatmapCropper(CropperParams(x_padding=0, y_padding=0)).crop_frame(heatmap)
    assert [c.band for c in crops] == [0, 0, 1, 1]
    assert crops[0].box == Box(200, 100, 360, 124) and crops[1].box == Box(560, 100, 800, 124)


def test_pieces_closer_than_the_x_gap_stay_one_line():
    heatmap = _map([(100, 50, 180, 62), (185, 50, 260, 62)])  # 5 cells = 10 px apart, far under 0.045 * 720
    crops = HeatmapCropper(CropperParams(x_padding=0, y_padding=0)).crop_frame(heatmap)
    assert len(crops) == 1 and crops[0].box == Box(200, 100, 520, 124)


def test_padding_scales_with_the_line_height_and_stays_in_the_frame():
    heatmap = _map([(0, 50, 100, 62)])
    [crop] = HeatmapCropper(CropperParams(x_padding=0.5, y_padding=0.5)).crop_frame(heatmap)
    assert crop.box == Box(0, 88, 212, 136)  # 24 px tall line → 12 px each way; clipped at x=0


def test_exclude_top_height_masks_a_logo():
    heatmap = _map([(20, 10, 60, 22), (200, 150, 300, 162)])
    params = CropperParams(x_padding=0, y_padding=0)
    assert len(HeatmapCropper(params).crop_frame(heatmap)) == 2
    crops = HeatmapCropper(CropperParams(x_padding=0, y_padding=0, exclude_top_height=0.1)).crop_frame(heatmap)
    assert [c.box.y0 for c in crops] == [300]


def test_a_logo_beside_a_line_cut_by_the_top_edge_keeps_its_own_height():
    heatmap = _map([(20, 12, 60, 28), (200, 0, 400, 14)])
    crops = HeatmapCropper(CropperParams(x_padding=0, y_padding=0)).crop_frame(heatmap)
    logo = next(c for c in crops if c.box.x0 == 40)
    assert (logo.box.y0, logo.box.y1) == (24, 56)


def test_merge_vertical_joins_fragments_of_one_line_only():
    top, bottom = Box(100, 100, 300, 110), Box(110, 112, 290, 125)
    other = Box(100, 160, 300, 180)
    merged = merge_vertical([top, bottom, other], max_gap=3)
    assert merged == [Box(100, 100, 300, 125), other]
    assert merge_vertical([Box(0, 0, 50, 10), Box(400, 11, 450, 20)], max_gap=3) == [Box(0, 0, 50, 10),
                                                                                       Box(400, 11, 450, 20)]


def test_gap_crops_the_dense_region_once_and_cuts_lines_at_its_columns():
    # a roll: the same two columns in every frame, lines at different heights; a one-frame flash elsewhere
    frames = [_map([(100, y, 180, y + 12), (280, y, 400, y + 12), (100, y + 60, 160, y + 72),
                    (280, y + 60, 350, y + 72)]) for y in (40, 90, 140, 190)]
    frames[2].prob[330:336, 500:520] = 0.9
    cropper = HeatmapCropper(CropperParams(method=CropMethod.GAP, x_padding=0, y_padding=0))
    region = cropper.crop_region(frames)
    assert region == [Box(200, 80, 360, 524), Box(560, 80, 800, 524)]  # two columns; the flash is left out
    per_frame = cropper.crop_section(frames)
    assert [len(c) for c in per_frame] == [4, 4, 4, 4]
    assert all(c.box.x0 >= region[0].x0 for crops in per_frame for c in crops)


def test_gap_refuses_maps_of_different_sizes():
    with pytest.raises(ValueError, match="one size"):
        HeatmapCropper().crop_region([_map([]), _map([], shape=(180, 320))])


def test_real_detector_crops_cover_the_drawn_text(db_detector):
    frame, boxes = draw_frame([("조명감독", 300, 200), ("김민수   이영희", 700, 200), ("편집", 400, 300)])
    crops = HeatmapCropper().crop_frame(db_detector.heatmaps([frame])[0])
    assert len(crops) == 3
    for (x0, y0, x1, y1), crop in zip(sorted(boxes, key=lambda b: (b[1] // 50, b[0])), crops):
        assert crop.box.x0 <= x0 and crop.box.y0 <= y0 and crop.box.x1 >= x1 and crop.box.y1 >= y1
        assert crop.box.height < 2.5 * (y1 - y0)  # padded, not swallowing the neighbourhood
