"""More frames of a still card: where a card is detected once, the same boxes cut from its later frames.

A card held for a second or two is detected once, as soon as it has settled — on a fading card often before it
reaches full contrast — and its lines are then read from that one frame: the looks of one crop (binarised, grey,
smaller) seldom agree, and the surest of three different reads wins (아귈라 read right binarised, lost to a sure
아궐라 from the smaller look). Real rolls fade their cards with short holds over moving pictures; the card's other
frames are free sightings that vote. The detector is not run again: while the run stays still (no cut, no
scroll), the boxes of its last detection are cut from each frame and the crops of the highest contrast kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import cv2
import numpy as np

from vidsearch.ocr.geometry import Box

KEPT_PER_PIECE = 4  # crops kept per detected piece (the highest contrast)
PEAK_SHARE = 0.8  # a crop below this share of its line's peak contrast is a frame of the fade: it does not vote
# mean grey difference below which two crops are one picture (a card over black: frame after frame the same pixels,
# the same misread; such a copy is no second sighting and would outvote the crop's own second looks)
SAME_PIXELS = 1.5


class Piece(Protocol):
    t: float
    box: Box
    crop: np.ndarray
    offset: float
    peers: list


P = TypeVar("P", bound=Piece)


def crop_contrast(crop: np.ndarray) -> float:
    """Spread of the crop's grey levels (2nd to 98th percentile): text faded in or out is nearer its background."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    low, high = np.percentile(grey, (2, 98))
    return float(high - low)


class StillFrames:
    """The pieces of each run's last detection, and crops of them from the run's later still frames."""

    def __init__(self, peer: Callable[[P, float, np.ndarray], P]) -> None:
        self.peer = peer  # (piece, time, crop) -> a sighting of that piece at that time
        self.watched: dict[int, list] = {}

    def watch(self, run: int, pieces: list, still: bool) -> None:
        """The pieces a detection of ``run`` found; a moving run's pieces are carried away: none watched."""
        self.watched[run] = list(pieces) if still else []

    def offer(self, t: float, run: int, offset: float, image: np.ndarray, still: bool) -> None:
        """A frame of ``run`` not sent to the detector: where the run has not moved since its detection, each
        watched piece's box is cut from it and kept if it is among the piece's highest-contrast crops."""
        if not still:
            self.watched.pop(run, None)
            return
        for piece in self.watched.get(run, ()):
            if abs(offset - piece.offset) > 1.0:
                continue
            crop = piece.box.crop(image).copy()
            piece.peers.append((crop_contrast(crop), self.peer(piece, t, crop)))
            piece.peers.sort(key=lambda p: -p[0])
            del piece.peers[KEPT_PER_PIECE:]


def _same_pixels(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean()) < SAME_PIXELS


def peak_sightings(pieces: list[P], limit: int) -> list[P]:
    """Up to ``limit`` sightings of one still line from its detected pieces and their later crops: the crop of
    the highest contrast first, then those near the peak (``PEAK_SHARE``) that show other pixels (a fade, a
    moving picture behind), each the farthest in time from those taken."""
    pool = [(crop_contrast(p.crop), p) for p in pieces] + [peer for p in pieces for peer in p.peers]
    peak = max(c for c, _ in pool)
    near = [p for c, p in sorted(pool, key=lambda cp: -cp[0]) if c >= PEAK_SHARE * peak]
    taken, others = near[:1], near[1:]
    while len(taken) < limit:
        others = [o for o in others if not any(_same_pixels(o.crop, x.crop) for x in taken)]
        if not others:
            break
        far = max(others, key=lambda o: min(abs(o.t - x.t) for x in taken))
        taken.append(far)
        others.remove(far)
    return taken
