"""Reading line crops with a second look: the batch is read binarised; lines the engine was unsure of (a weak
line, or one weak word) are read again — the same crop left grey for the engine to binarise its own way, the same
crop binarised smaller (Tesseract misses some serif lines at one size and reads them at another), and another
sighting of the line when the caller has one — and the surest reading wins. Both passes are batched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.ocr.engine import OcrEngine, OcrLine
from vidsearch.ocr.preprocess import binarize_for_ocr, grey_for_ocr

WEAK_WORD = 0.6


@dataclass(frozen=True)
class CropReading:
    line: OcrLine
    source: int  # 0: the crop binarised; 1: the same crop otherwise prepared (grey, smaller); 2: the alternate crop


def is_weak(line: OcrLine, below: float) -> bool:
    weakest = min((w.confidence for w in line.words), default=0.0)
    return line.confidence < below or weakest < WEAK_WORD


def read_crops(engine: OcrEngine, crops: Sequence[np.ndarray], line_height_px: int = 40,
               second_look_below: float = 0.8, alternates: Sequence[np.ndarray | None] | None = None
               ) -> list[CropReading]:
    """One reading per crop (BGR or grey, as cut from the frame), in order."""
    first = engine.read_lines([binarize_for_ocr(c, line_height_px) for c in crops])
    out = [CropReading(line, 0) for line in first]
    looks: list[tuple[int, int, np.ndarray]] = []
    for i, line in enumerate(first):
        if not is_weak(line, second_look_below):
            continue
        looks.append((i, 1, grey_for_ocr(crops[i], line_height_px)))
        looks.append((i, 1, binarize_for_ocr(crops[i], int(line_height_px * 0.75))))
        alternate = alternates[i] if alternates is not None else None
        if alternate is not None:
            looks.append((i, 2, binarize_for_ocr(alternate, line_height_px)))
    if looks:
        candidates: dict[int, list[CropReading]] = {}
        for (i, source, _), line in zip(looks, engine.read_lines([image for _, _, image in looks])):
            candidates.setdefault(i, [out[i]]).append(CropReading(line, source))
        for i, readings in candidates.items():
            out[i] = _vote(readings)
    return out


def _vote(readings: Sequence[CropReading]) -> CropReading:
    """The text most of the looks agree on (spaces aside), its surest reading; with no agreement the surest
    reading. Tesseract's confidence is no guide between two one-letter-apart reads (안흥진 0.85 against 안홍진),
    while the same misread seldom survives a change of binarisation and size."""
    groups: dict[str, list[CropReading]] = {}
    for reading in readings:
        groups.setdefault(reading.line.text.replace(" ", ""), []).append(reading)
    best = max(groups.values(), key=lambda g: (len(g), max(r.line.confidence for r in g)))
    return max(best, key=lambda r: r.line.confidence)
