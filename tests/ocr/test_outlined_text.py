"""Light text with a dark outline over a light picture (credits over bright footage): the binarised line must be
the letters' fill, not their hollow outlines, which Tesseract reads confidently wrong."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditFont
from vidsearch.ocr.preprocess import _oriented_channel, binarize_for_ocr, outlined_fill


def _outlined(text: str, picture: tuple[int, int, int], font_px: int = 30) -> np.ndarray:
    """White letters with a dark outline all round (as the renderer draws credits over busy footage) over a light
    picture with a soft gradient."""
    face = ImageFont.truetype(str(CreditFont.GOTHIC_BOLD.path), font_px)
    width, height = int(face.getlength(text)) + font_px, int(font_px * 1.8)
    ramp = np.linspace(0, 25, width, dtype=np.float32)[None, :, None]
    background = np.clip(np.array(picture, np.float32)[None, None, :] - ramp, 0, 255)
    image = Image.fromarray(np.repeat(background, height, axis=0).astype(np.uint8))
    draw, origin = ImageDraw.Draw(image), (font_px // 2, int(font_px * 1.35))
    draw.text(origin, text, font=face, fill=(30, 30, 35), anchor="ls", stroke_width=2, stroke_fill=(30, 30, 35))
    draw.text(origin, text, font=face, fill=(255, 255, 255), anchor="ls")
    return np.asarray(image)[:, :, ::-1].copy()


@pytest.mark.parametrize("text, picture", [("서지영", (245, 240, 235)), ("Rigging Gaffer", (250, 235, 245))])
def test_outlined_light_text_over_a_light_picture_is_read_from_its_fill(tesseract, text, picture):
    crop = _outlined(text, picture)
    channel, threshold, _ = _oriented_channel(crop)
    assert outlined_fill(crop, channel <= threshold) is not None
    [line] = tesseract.read_lines([binarize_for_ocr(crop)])
    assert line.text.replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("crop", [
    draw_line("촬영감독 김민수"),  # light on black
    draw_line("Editor 정우성", background=(235, 235, 235), colour=(20, 20, 20)),  # dark on light: counters ringed
    draw_line("조명 오정세", background=(250, 250, 250), colour=(60, 60, 70)),
])
def test_plain_text_is_not_taken_for_outlined(crop):
    channel, threshold, _ = _oriented_channel(crop)
    assert outlined_fill(crop, channel <= threshold) is None
