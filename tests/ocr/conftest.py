"""Frames and line images drawn with PIL (Nanum fonts), shared by the OCR tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from testkit.credits.render import CreditFont


def draw_frame(lines: Sequence[tuple[str, float, float]], size: tuple[int, int] = (1280, 720),
               background: tuple[int, int, int] = (0, 0, 0), colour: tuple[int, int, int] = (255, 255, 255),
               font_px: int = 32, font: CreditFont = CreditFont.GOTHIC) -> tuple[np.ndarray, list[tuple]]:
    """BGR frame with ``(text, x, baseline y)`` drawn; returns the frame and each text's bounding box."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(font.path), font_px)
    boxes = []
    for text, x, y in lines:
        draw.text((x, y), text, font=face, fill=colour, anchor="ls")
        boxes.append(draw.textbbox((x, y), text, font=face, anchor="ls"))
    return np.asarray(image)[:, :, ::-1].copy(), boxes


def draw_line(text: str, font_px: int = 32, background=(0, 0, 0), colour=(255, 255, 255),
              font: CreditFont = CreditFont.GOTHIC) -> np.ndarray:
    face = ImageFont.truetype(str(font.path), font_px)
    width = int(face.getlength(text)) + font_px
    image = Image.new("RGB", (width, int(font_px * 1.8)), background)
    ImageDraw.Draw(image).text((font_px // 2, int(font_px * 1.35)), text, font=face, fill=colour, anchor="ls")
    return np.asarray(image)[:, :, ::-1].copy()


@pytest.fixture(scope="session")
def db_detector():
    from vidsearch.ocr.heatmap import DbTextDetector

    return DbTextDetector(max_side=960)


@pytest.fixture(scope="session")
def tesseract():
    from vidsearch.ocr.tesseract import TesseractEngine

    return TesseractEngine()
