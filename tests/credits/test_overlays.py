"""Telling a logo that stays put from roll lines that cross the same place in the frame at different times."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.credits.spec import CreditFont
from vidsearch.credits.reader import SectionReader, _Observation, _same_picture
from vidsearch.ocr.geometry import Box

FRAME_H = 720
PITCH = 150  # the roll moves this many pixels between two detections


def crop(text: str, width: int = 200, height: int = 50) -> np.ndarray:
    image = Image.new("RGB", (width, height), (0, 0, 0))
    font = ImageFont.truetype(str(CreditFont.GOTHIC.path), 34)
    ImageDraw.Draw(image).text((width // 2, height // 2), text, font=font, fill=(255, 255, 255), anchor="mm")
    return np.asarray(image)[:, :, ::-1].copy()


def sighting(text: str, t: int, frame_y: int, x0: int = 540) -> _Observation:
    """A piece seen at detection ``t`` with its top at ``frame_y``; the run's offset grows by PITCH a detection."""
    picture = crop(text)
    box = Box(x0, frame_y, x0 + picture.shape[1], frame_y + picture.shape[0])
    return _Observation(float(t), 0, float(t * PITCH), box, picture, FRAME_H)


def test_alike_headings_crossing_one_place_are_roll_lines_and_a_logo_is_an_overlay():
    """"촬영감독" and "조명감독" (two lines of one roll, same width, half their glyphs shared) pass the frame's
    y = 400 at detections 0 and 2 — the picture check alone calls them one static piece, and both headings
    were lost (fast_scroll). Each is seen again where the roll carried it, so neither is an overlay; the
    corner logo seen at one place in every detection is."""
    assert _same_picture(crop("촬영감독"), crop("조명감독"))  # what made them look like a logo before
    observations = []
    for t in range(4):
        for roll_top, text in ((400, "촬영감독"), (400 + 2 * PITCH, "조명감독")):
            frame_y = roll_top - t * PITCH
            if 10 < frame_y < FRAME_H - 60:
                observations.append(sighting(text, t, frame_y))
        observations.append(sighting("KBS 2", t, 20, x0=1000))
    SectionReader._mark_static(observations)
    static = {(o.t, o.box.y0) for o in observations if o.static}
    assert static == {(float(t), 20) for t in range(4)}


def test_the_same_title_twice_in_a_roll_is_not_a_logo():
    """A roll printing "조연출" under two departments: both rows cross the same frame place, picture identical."""
    observations = []
    for t in range(4):
        for roll_top in (500, 500 + 3 * PITCH):
            frame_y = roll_top - t * PITCH
            if 10 < frame_y < FRAME_H - 60:
                observations.append(sighting("조연출", t, frame_y))
    SectionReader._mark_static(observations)
    assert not any(o.static for o in observations)
