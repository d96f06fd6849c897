"""Yellow titles on a plain dark ground (a common broadcast heading colour): their colour channel's text class
must not be split by a threshold meant for text over a picture with a drop shadow. Real Tesseract."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditFont
from vidsearch.ocr.preprocess import binarize_for_ocr

YELLOW = (90, 210, 240)  # BGR: the fuzz's heading yellow


def _broadcast(crop: np.ndarray) -> np.ndarray:
    """Through H.264 4:2:0 as a roll is: chroma at half resolution blurs the yellow's edges and adds noise."""
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                             cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


@pytest.mark.parametrize("text", ["Score Engineer", "조연출·편집", "Question Setter", "색보정", "조명"])
def test_a_yellow_title_binarises_whole_and_reads(tesseract, text):
    for font in (CreditFont.GOTHIC_BOLD, CreditFont.MYEONGJO):
        crop = _broadcast(draw_line(text, font_px=34, colour=YELLOW[::-1], font=font))
        image = binarize_for_ocr(crop, 40)
        line = tesseract.read_lines([image])[0]
        assert line.text.replace("-", "·") == text, (font, line.text)
