"""Pictures behind a credit roll (black, a moving colour field, a pale page, busy footage), text composited over
them with a shadow or outline, and a static corner logo."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.credits.filler import MovingColourField
from testkit.credits.spec import CreditBackground, CreditRollSpec


@dataclass
class _Canvas:
    premultiplied: np.ndarray  # (H, W, 3) uint8 BGR colour x alpha
    alpha: np.ndarray  # (H, W) uint8
    shadow: np.ndarray | None  # (H, W) uint8 alpha of a dark drop shadow


def _colours(spec: CreditRollSpec) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(name, role) RGB: on a light picture, white defaults become dark grey and black."""
    if spec.background is CreditBackground.LIGHT:
        name = (20, 20, 25) if spec.name_colour == (255, 255, 255) else spec.name_colour
        role = (70, 70, 80) if spec.role_colour == (200, 200, 200) else spec.role_colour
        return name, role
    return spec.name_colour, spec.role_colour


class _Background:
    def __init__(self, spec: CreditRollSpec) -> None:
        self.spec = spec
        self.field = MovingColourField(spec.width, spec.height, spec.seed)
        rng = np.random.default_rng(spec.seed + 1)
        n = 14
        self.start = rng.uniform(0, 1, (n, 2)) * (spec.width, spec.height)
        self.velocity = rng.uniform(-0.25, 0.25, (n, 2)) * spec.height * spec.footage_speed
        self.radius = rng.uniform(0.05, 0.2, n) * spec.height
        self.colour = rng.integers(0, 256, (n, 3))
        self.colour[::4] = 250  # some white shapes: light text crosses light picture
        self.patches = [_Patch(spec, np.random.default_rng(spec.seed + 2 + k)) for k in range(spec.footage_texture)]
        yy = np.linspace(0, 1, spec.height, dtype=np.float32)[:, None, None]
        xx = np.linspace(0, 1, spec.width, dtype=np.float32)[None, :, None]
        self.pale = (228 + 18 * yy - 10 * xx + np.zeros((1, 1, 3), np.float32)).astype(np.float32)

    def frame(self, t: float) -> np.ndarray:
        kind = self.spec.background
        if kind is CreditBackground.BLACK:
            return np.zeros((self.spec.height, self.spec.width, 3), np.uint8)
        if kind is CreditBackground.LIGHT:
            drift = 6 * np.sin(0.5 * t)
            return np.clip(self.pale + drift, 0, 255).astype(np.uint8)
        frame = self.field.frame(t)
        if kind is CreditBackground.BUSY:
            frame = cv2.convertScaleAbs(frame, alpha=1.5, beta=20)  # full brightness, not dimmed for the text
            centres = (self.start + self.velocity * t) % (self.spec.width, self.spec.height)
            for (cx, cy), r, c in zip(centres, self.radius, self.colour):
                cv2.circle(frame, (int(cx), int(cy)), int(r), tuple(int(v) for v in c), -1, cv2.LINE_AA)
            for patch in self.patches:
                patch.draw(frame, t)
        return frame


class _Patch:
    """A textured thing in the footage (stripes, a grid, a sign with letters) moving on its own path: many strong
    edges, some drifting upwards about as fast as a roll, so edge density alone cannot tell text from footage."""

    def __init__(self, spec: CreditRollSpec, rng: np.random.Generator) -> None:
        h, w = spec.height, spec.width
        self.size = (int(rng.uniform(0.08, 0.3) * w), int(rng.uniform(0.05, 0.25) * h))
        self.start = rng.uniform(0, 1, 2) * (w, h)
        self.velocity = np.array([rng.uniform(-0.2, 0.2) * h, rng.uniform(-0.3, 0.15) * h]) * spec.footage_speed
        self.wrap = (w, h)
        pw, ph = self.size
        kind = int(rng.integers(0, 3))
        tile = np.zeros((ph, pw, 3), np.uint8)
        tile[:] = rng.integers(0, 256, 3)
        ink = tuple(int(v) for v in rng.integers(0, 256, 3))
        step = max(3, int(rng.uniform(0.006, 0.02) * h))
        if kind == 0:  # stripes
            for x in range(0, pw, 2 * step):
                tile[:, x:x + step] = ink
        elif kind == 1:  # a grid (windows, tiles)
            for y in range(0, ph, 2 * step):
                tile[y:y + step // 2 + 1] = ink
            for x in range(0, pw, 2 * step):
                tile[:, x:x + step // 2 + 1] = ink
        else:  # a sign: rows of Latin letters and digits
            letters = "ABCDEFGHKMNPRSTUVWXYZ0123456789"
            size = max(8, step * 2)
            for y in range(size, ph, int(size * 1.6)):
                text = "".join(rng.choice(list(letters), 12))
                cv2.putText(tile, text, (2, y), cv2.FONT_HERSHEY_SIMPLEX, size / 30, ink, max(1, size // 12),
                            cv2.LINE_AA)
        self.tile = tile

    def draw(self, frame: np.ndarray, t: float) -> None:
        x, y = ((self.start + self.velocity * t) % self.wrap).astype(int)
        pw, ph = self.size
        fh, fw = frame.shape[:2]
        x1, y1 = min(fw, x + pw), min(fh, y + ph)
        frame[y:y1, x:x1] = self.tile[:y1 - y, :x1 - x]


def _compose(background: np.ndarray, canvas: _Canvas, y: int, height: int, opacity: float = 1.0) -> np.ndarray:
    a = canvas.alpha[y:y + height].astype(np.uint16)
    colour = canvas.premultiplied[y:y + height].astype(np.uint16)
    if opacity < 1.0:
        a = (a * opacity).astype(np.uint16)
        colour = (colour * opacity).astype(np.uint16)
    if not background.any() and opacity >= 1.0:
        return colour.astype(np.uint8)
    out = background.astype(np.uint16)
    if canvas.shadow is not None:
        shadow = (canvas.shadow[y:y + height, :, None].astype(np.float32) * opacity).astype(np.uint16)
        out = out * (255 - shadow) // 255
    out = out * (255 - a[..., None]) // 255 + colour
    return np.minimum(out, 255).astype(np.uint8)


class _Corner:
    """Static corner text (a channel logo stand-in), drawn once and laid over every frame."""

    def __init__(self, spec: CreditRollSpec) -> None:
        self.alpha: np.ndarray | None = None
        if spec.corner_text:
            size = max(8, round(spec.height * 0.035))
            layer = Image.new("L", (spec.width, spec.height), 0)
            ImageDraw.Draw(layer).text((round(spec.width * 0.04), round(spec.height * 0.04)), spec.corner_text,
                                       font=ImageFont.truetype(str(spec.font), size), fill=235, anchor="lt")
            self.alpha = np.asarray(layer)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        if self.alpha is not None:
            np.maximum(frame, self.alpha[..., None], out=frame)
        return frame
