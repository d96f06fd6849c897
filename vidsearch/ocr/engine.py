"""OCR engines behind one protocol: many line images in, one ``OcrLine`` per image out, in order.

Engines take a whole batch because per-call overhead dominates small crops (a Tesseract process start, an HTTP
round trip): callers collect every line of a section first and read them in one call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vidsearch.errors import VidsearchError
from vidsearch.ocr.settings import OcrSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrWord:
    text: str
    x0: float  # left edge, in the line image's pixels
    x1: float
    confidence: float  # 0..1
    height: float = 0.0  # glyph box height, pixels


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # 0..1; 0 when nothing was read
    words: tuple[OcrWord, ...] = field(default=())
    # every text the line was read as (each look and sighting, this one included) when it was read more than once:
    # whether they agreed is what a later repair of the text asks
    readings: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class OcrServiceError(VidsearchError):
    """A remote OCR service refused or failed a request; ``kind`` says which way (auth, quota, service)."""

    status = 502
    title = "OCR service failed"

    def __init__(self, service: str, kind: str, message: str):
        super().__init__(f"{service}: {message}")
        self.service = service
        self.kind = kind


class OcrEngine(Protocol):
    name: str

    def read_lines(self, images: Sequence[np.ndarray]) -> list[OcrLine]:
        """Read each image as one line of text (black on white, as ``binarize_for_ocr`` makes them)."""


WIDE_GAP = "   "  # what a gap wider than a space becomes: credits set names apart with them


# ink gaps, in text heights: between syllables/letters of a word < INK_SPACE < a space < INK_WIDE < names apart
INK_SPACE = 0.3
INK_WIDE = 0.75


def join_words(words: Sequence[OcrWord], line_height: float, space_gap: float = 0.32, wide_gap: float = 0.95,
               ink_gaps: Sequence[float] | None = None) -> str:
    """Words → text, with a space only where the gap looks like one (Tesseract splits Korean words into pieces,
    "촬", "영", "감독", whose gaps are far narrower than a space) and three where the gap is wider than a
    space: two names set apart on one line. ``ink_gaps`` (one per pair of neighbours, in text heights, measured
    on the image itself) replace the engine's word boxes, whose Hangul gaps are too noisy to tell a space from a
    name boundary (a space inside "쥬세페 토르나토레" from the gap between two names)."""
    if not words:
        return ""
    ordered = sorted(words, key=lambda w: w.x0)
    parts = [ordered[0].text]
    for k, (previous, word) in enumerate(zip(ordered, ordered[1:])):
        if ink_gaps is not None:
            gap, space, wide = ink_gaps[k], INK_SPACE, INK_WIDE
        else:
            gap, space, wide = (word.x0 - previous.x1) / max(1.0, line_height), space_gap, wide_gap
        parts.append((WIDE_GAP if gap > wide else " " if gap > space else "") + word.text)
    return "".join(parts)


def ink_gaps(image: np.ndarray, words: Sequence[OcrWord]) -> list[float] | None:
    """For each pair of neighbouring words (in x order) the widest run of blank columns between their centres,
    in units of the line's ink height — measured on the dark-on-white line image the engine read. None when the
    image shows no ink."""
    gray = image if image.ndim == 2 else image.min(axis=2)
    ink = gray < 128
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) == 0:
        return None
    # ink height from the rows most columns of text use (ignores a stray speck above or below)
    profile = ink.sum(axis=1)
    dense = np.flatnonzero(profile >= max(1, 0.1 * profile.max()))
    height = float(max(4, dense[-1] - dense[0] + 1))
    blank = ~ink.any(axis=0)
    ordered = sorted(words, key=lambda w: w.x0)
    out = []
    for previous, word in zip(ordered, ordered[1:]):
        a, b = int((previous.x0 + previous.x1) / 2), int((word.x0 + word.x1) / 2)
        longest = run = 0
        for empty in blank[max(0, a):max(0, b)]:
            run = run + 1 if empty else 0
            longest = max(longest, run)
        out.append(longest / height)
    return out


class FallbackEngine:
    """Use ``primary`` (Clova) and, when it fails with a service error, ``fallback`` (Tesseract) for that batch
    and every batch after it: a bad key or a spent quota will not heal within one job."""

    def __init__(self, primary: OcrEngine, fallback: OcrEngine) -> None:
        self.primary = primary
        self.fallback = fallback
        self.failed: OcrServiceError | None = None
        self.name = f"{primary.name}+{fallback.name}"

    def read_lines(self, images: Sequence[np.ndarray]) -> list[OcrLine]:
        if self.failed is None:
            try:
                return self.primary.read_lines(images)
            except OcrServiceError as exc:
                self.failed = exc
                log.warning("ocr: %s failed (%s); falling back to %s", self.primary.name, exc, self.fallback.name)
        return self.fallback.read_lines(images)


def build_engine(settings: OcrSettings) -> OcrEngine:
    from vidsearch.ocr.tesseract import TesseractEngine

    if settings.engine == "clova":
        from vidsearch.ocr.clova import ClovaEngine

        try:
            clova = ClovaEngine.from_settings(settings)
        except OcrServiceError as exc:
            if not settings.fallback_to_tesseract:
                raise
            log.warning("ocr: %s; using tesseract (ocr.fallback_to_tesseract)", exc)
            return TesseractEngine(settings)
        return FallbackEngine(clova, TesseractEngine(settings)) if settings.fallback_to_tesseract else clova
    return TesseractEngine(settings)
