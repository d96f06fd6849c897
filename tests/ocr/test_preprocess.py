"""Preprocessing before OCR: colour vs monochrome, Otsu (two and three classes), polarity, dot leaders."""

from __future__ import annotations

import cv2
import numpy as np

from tests.ocr.conftest import draw_line
from testkit.credits.filler import MovingColourField
from vidsearch.ocr.preprocess import binarize_for_ocr, colour_stats, erase_dot_leaders, otsu_three_class


def _on_colour(text: str, shadow: bool = True) -> np.ndarray:
    """White text with a dark drop shadow over a saturated moving-colour picture, as rolls over footage look."""
    line = draw_line(text, font_px=40)
    h, w = line.shape[:2]
    picture = MovingColourField(w, h, seed=3).frame(2.0)
    alpha = line[:, :, 0:1].astype(np.float32) / 255
    if shadow:
        offset = np.roll(np.roll(alpha, 3, axis=0), 3, axis=1)
        picture = (picture * (1 - 0.8 * offset)).astype(np.uint8)
    return (picture * (1 - alpha) + 255 * alpha).astype(np.uint8)


def test_white_on_black_is_monochrome_and_text_on_colour_is_not():
    assert colour_stats(draw_line("촬영감독 김민수")).monochrome
    stats = colour_stats(_on_colour("촬영감독 김민수"))
    assert not stats.monochrome and stats.saturation_ratio > 0.3


def test_light_text_on_dark_comes_out_black_on_white_and_scaled():
    out = binarize_for_ocr(draw_line("김민수", font_px=20), line_height_px=40)
    assert set(np.unique(out)) <= {0, 255}
    assert out[0].min() == 255 and out[:, 0].min() == 255  # white margin
    ink_rows = np.flatnonzero((out == 0).any(axis=1))
    assert 34 <= ink_rows[-1] - ink_rows[0] + 1 <= 46  # rescaled to ~40 px of text
    assert (out == 0).mean() < 0.35  # text is the minority: not inverted


def test_dark_text_on_light_keeps_its_polarity():
    out = binarize_for_ocr(draw_line("Editor", background=(235, 235, 235), colour=(20, 20, 20)))
    assert (out == 0).mean() < 0.35 and out[0].min() == 255


def test_three_class_otsu_puts_text_above_shadow_and_picture():
    levels = np.concatenate([np.full(300, 20), np.full(600, 110), np.full(200, 240)]).astype(np.uint8)
    low, high = otsu_three_class(levels.reshape(1, -1))
    assert 20 <= low < 110 <= high < 240


def test_text_over_colour_with_a_shadow_survives_binarisation(tesseract):
    text = "조명감독 정우성"
    [line] = tesseract.read_lines([binarize_for_ocr(_on_colour(text))])
    assert line.text.replace(" ", "") == text.replace(" ", "")


def test_dot_leaders_are_erased_but_letters_and_a_lone_dot_kept():
    grey = cv2.cvtColor(draw_line("편집 .............. 김태희 · 박지성"), cv2.COLOR_BGR2GRAY)
    image = np.where(grey > 128, 0, 255).astype(np.uint8)  # black on white, leader intact
    cleaned = erase_dot_leaders(image)
    count_before = cv2.connectedComponents((image == 0).astype(np.uint8))[0]
    count_after = cv2.connectedComponents((cleaned == 0).astype(np.uint8))[0]
    assert count_before - count_after >= 12  # the leader's dots
    assert count_after > 8  # the Hangul glyph parts and the middle dot remain
