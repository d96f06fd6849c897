"""Moving pictures without credits: the colour field rolls are drawn over, and programme footage before a roll.

Seeded and cheap (a coarse hue field upscaled, a few moving shapes drawn with OpenCV), with optional subtitle
lines at the bottom — text that must not be taken for credits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict, Field

SUBTITLE_FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


class Subtitle(BaseModel):
    model_config = ConfigDict(frozen=True)

    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    text: str


class FillerSpec(BaseModel):
    """Programme footage: ``seconds`` of moving colour and shapes, with subtitles (times from its start)."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(gt=0)
    seed: int = 0
    shapes: int = Field(6, ge=0, le=50)
    subtitles: list[Subtitle] = Field(default_factory=list)


class MovingColourField:
    """A smoothly drifting colour picture (hue across the frame and over time), computed coarse and upscaled.
    Its brightness stays at or below ~160 of 255, as pictures behind credits are kept (darkened or dimmed) so that
    light text stays legible."""

    def __init__(self, width: int, height: int, seed: int = 0) -> None:
        self.width, self.height = width, height
        self.phase = np.random.default_rng(seed).uniform(0, 180, 3)
        gh, gw = max(2, height // 16), max(2, width // 16)
        self.yy, self.xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
        self.yy /= gh
        self.xx /= gw

    def frame(self, t: float) -> np.ndarray:
        p = self.phase
        hue = (p[0] + 70 * self.xx + 40 * np.sin(2 * math.pi * (self.yy + 0.05 * t)) + 12 * t) % 180
        sat = 170 + 60 * np.sin(2 * math.pi * (self.xx * 0.7 + 0.03 * t + p[1] / 180))
        val = 100 + 60 * np.sin(2 * math.pi * (self.yy * 0.8 - 0.04 * t + p[2] / 180))
        hsv = np.stack([hue, np.clip(sat, 0, 255), np.clip(val, 0, 255)], axis=-1).astype(np.uint8)
        return cv2.resize(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR), (self.width, self.height),
                          interpolation=cv2.INTER_LINEAR)


def _subtitle_layer(text: str, width: int, height: int) -> np.ndarray:
    layer = Image.new("L", (width, height), 0)
    font = ImageFont.truetype(str(SUBTITLE_FONT), max(12, round(height * 0.045)))
    ImageDraw.Draw(layer).text((width / 2, height * 0.9), text, font=font, fill=255, anchor="ms",
                               stroke_width=2, stroke_fill=128)
    return np.asarray(layer)


def filler_frames(spec: FillerSpec, width: int, height: int, fps: float) -> Iterator[np.ndarray]:
    """BGR frames of the footage, one per 1/fps."""
    rng = np.random.default_rng(spec.seed)
    field = MovingColourField(width, height, spec.seed)
    start = rng.uniform(0, 1, (spec.shapes, 2)) * (width, height)
    velocity = rng.uniform(-0.15, 0.15, (spec.shapes, 2)) * height
    radius = rng.uniform(0.04, 0.15, spec.shapes) * height
    colour = rng.integers(0, 256, (spec.shapes, 3))
    layers = [(s, _subtitle_layer(s.text, width, height)) for s in spec.subtitles]
    for k in range(int(round(spec.seconds * fps))):
        t = k / fps
        frame = field.frame(t)
        centres = (start + velocity * t) % (width, height)
        for (cx, cy), r, c in zip(centres, radius, colour):
            cv2.circle(frame, (int(cx), int(cy)), int(r), tuple(int(v) for v in c), -1, cv2.LINE_AA)
        for subtitle, alpha in layers:
            if subtitle.start_s <= t <= subtitle.end_s:
                # white fill (255) over a black outline (128 in the layer)
                outline = alpha == 128
                frame[outline] = 0
                fill = alpha > 128
                frame[fill] = 255
        yield frame
