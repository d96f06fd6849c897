"""Text heatmaps: the PP-OCR DB detector shipped in rapidocr, and EAST through OpenCV dnn.

EAST's real weights cannot be downloaded here. What is exercised: OpenCV's TensorFlow importer loading a frozen
graph with EAST's input and output layer names and shapes (built by tests/ocr/east_graph.py, tiny hand-set
weights), the blob/forward path, the geometry decoding (against synthetic outputs with known boxes, including a
rotated one), non-maximum suppression and painting. What is not: the real network's detection quality.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.ocr.conftest import draw_frame
from tests.ocr.east_graph import build_east_like_graph
from vidsearch.errors import ConfigurationError
from vidsearch.ocr.east import EastTextDetector, decode_east, paint_heatmap, suppress
from vidsearch.ocr.heatmap import DbTextDetector, build_detector, detector_input_size, packaged_db_model
from vidsearch.ocr.settings import OcrSettings


def _mean_in(prob: np.ndarray, box, sx: float, sy: float) -> float:
    x0, y0, x1, y1 = (int(box[0] / sx), int(box[1] / sy), int(box[2] / sx), int(box[3] / sy))
    return float(prob[y0:y1, x0:x1].mean())


def test_db_model_is_found_inside_the_installed_package():
    path = packaged_db_model()
    assert path.name == "ch_PP-OCRv4_det_infer.onnx" and path.stat().st_size > 1_000_000


def test_db_heatmap_is_hot_on_text_and_cold_elsewhere(db_detector):
    frame, boxes = draw_frame([("촬영감독", 300, 200), ("김민수", 700, 200), ("Director of Photography", 300, 400)])
    [heatmap] = db_detector.heatmaps([frame])
    assert heatmap.prob.shape == (544, 960) and (heatmap.frame_width, heatmap.frame_height) == (1280, 720)
    for box in boxes:
        assert _mean_in(heatmap.prob, box, heatmap.sx, heatmap.sy) > 0.4
    assert float(heatmap.prob[450:, :].max()) < 0.1  # nothing drawn in the bottom sixth


def test_db_batches_frames_of_different_sizes_in_order(db_detector):
    small, _ = draw_frame([("편집", 100, 100)], size=(640, 360), font_px=24)
    large, _ = draw_frame([("편집", 100, 100)])
    maps = db_detector.heatmaps([large, small, large])
    assert [(m.frame_width, m.frame_height) for m in maps] == [(1280, 720), (640, 360), (1280, 720)]


def test_detector_input_is_a_multiple_of_32_within_the_limit():
    assert detector_input_size(1920, 1080, 960) == (960, 544)
    assert detector_input_size(640, 360, 960) == (640, 352)


def test_db_is_the_offline_default():
    assert isinstance(build_detector(OcrSettings()), DbTextDetector)


@pytest.fixture(scope="module")
def east_graph(tmp_path_factory):
    return build_east_like_graph(tmp_path_factory.mktemp("east") / "frozen_east_text_detection.pb")


def test_east_is_used_when_a_model_path_is_configured(east_graph):
    detector = build_detector(OcrSettings(east_model=east_graph))
    assert isinstance(detector, EastTextDetector)
    frame, boxes = draw_frame([("CREDITS", 200, 300)], font_px=60)
    [heatmap] = detector.heatmaps([frame])
    assert heatmap.prob.shape == (544, 960)
    assert _mean_in(heatmap.prob, boxes[0], heatmap.sx, heatmap.sy) > 0.5
    assert float(heatmap.prob[:150].max()) < 0.2 and float(heatmap.prob[450:].max()) < 0.2


def test_east_errors_name_the_file(tmp_path, east_graph):
    with pytest.raises(ConfigurationError, match="does not exist"):
        EastTextDetector(tmp_path / "missing.pb")
    junk = tmp_path / "junk.pb"
    junk.write_bytes(b"not a graph at all")
    with pytest.raises(ConfigurationError, match="junk.pb"):
        EastTextDetector(junk)
    with pytest.raises(ConfigurationError, match="east_model"):
        build_detector(OcrSettings(detector="east"))


def _synthetic_east(rects: list[tuple[float, float, float, float, float]], h: int = 40, w: int = 40):
    """EAST outputs for boxes (cx, cy, width, height, angle rad) on a 4-pixel grid: every cell inside a box
    scores 0.9 and holds its distances to the box's sides, as the network is trained to."""
    scores = np.zeros((1, 1, h, w), np.float32)
    geometry = np.zeros((1, 5, h, w), np.float32)
    for cx, cy, bw, bh, angle in rects:
        cos, sin = math.cos(angle), math.sin(angle)
        for y in range(h):
            for x in range(w):
                px, py = x * 4.0, y * 4.0
                # point in the box frame (the box's x axis rotated by -angle in image coordinates)
                dx, dy = px - cx, py - cy
                u = dx * cos - dy * sin
                v = dx * sin + dy * cos
                if abs(u) < bw / 2 * 0.8 and abs(v) < bh / 2 * 0.8:
                    scores[0, 0, y, x] = 0.9
                    geometry[0, :, y, x] = (bh / 2 + v, bw / 2 - u, bh / 2 - v, bw / 2 + u, angle)
    return scores, geometry


def test_east_geometry_decodes_to_the_boxes_it_encodes():
    scores, geometry = _synthetic_east([(60.0, 40.0, 80.0, 20.0, 0.0), (100.0, 110.0, 60.0, 16.0, 0.3)])
    kept = suppress(decode_east(scores, geometry, 0.5), 0.5)
    assert len(kept) == 2
    by_x = sorted(zip(kept.centers.tolist(), kept.sizes.tolist(), kept.angles_deg.tolist()))
    (c1, s1, a1), (c2, s2, a2) = by_x
    assert c1 == pytest.approx([60, 40], abs=1.0) and s1 == pytest.approx([80, 20], abs=1.0) and a1 == pytest.approx(0)
    assert c2 == pytest.approx([100, 110], abs=1.0) and s2 == pytest.approx([60, 16], abs=1.0)
    assert a2 == pytest.approx(-math.degrees(0.3), abs=0.5)
    painted = paint_heatmap(scores, kept, 160, 160)
    assert painted[40, 25] == pytest.approx(0.9)  # inside box 1, outside the shrunk score cells
    assert painted[40, 5] == 0 and painted[150, 150] == 0


def test_east_decoding_rejects_outputs_of_the_wrong_shape():
    with pytest.raises(ValueError, match="unexpected shapes"):
        decode_east(np.zeros((1, 1, 8, 8)), np.zeros((1, 4, 8, 8)))
