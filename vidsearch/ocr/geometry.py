"""Axis-aligned boxes in frame pixels: what the cropper cuts and the OCR engines read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Box:
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int  # exclusive

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def is_empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def pad(self, dx: int, dy: int, width: int, height: int) -> Box:
        """Grown by (dx, dy) on each side and clipped to a width x height frame."""
        return Box(max(0, self.x0 - dx), max(0, self.y0 - dy), min(width, self.x1 + dx), min(height, self.y1 + dy))

    def scale(self, sx: float, sy: float) -> Box:
        return Box(int(np.floor(self.x0 * sx)), int(np.floor(self.y0 * sy)),
                   int(np.ceil(self.x1 * sx)), int(np.ceil(self.y1 * sy)))

    def shift(self, dx: int = 0, dy: int = 0) -> Box:
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def x_overlap(self, other: Box) -> int:
        return max(0, min(self.x1, other.x1) - max(self.x0, other.x0))

    def y_overlap(self, other: Box) -> int:
        return max(0, min(self.y1, other.y1) - max(self.y0, other.y0))

    def crop(self, image: np.ndarray) -> np.ndarray:
        return image[self.y0:self.y1, self.x0:self.x1]


def runs(active: np.ndarray, max_gap: int = 0, min_length: int = 1) -> list[tuple[int, int]]:
    """[start, end) runs of True in a 1-D mask; runs separated by at most ``max_gap`` False cells are joined."""
    active = np.asarray(active, dtype=bool)
    if not active.any():
        return []
    padded = np.concatenate(([False], active, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    spans = [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2])]
    joined: list[tuple[int, int]] = [spans[0]]
    for start, end in spans[1:]:
        if start - joined[-1][1] <= max_gap:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return [(s, e) for s, e in joined if e - s >= min_length]
