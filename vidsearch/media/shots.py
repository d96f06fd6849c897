"""Shot boundaries from sampled frames, streaming: memory holds one shot's frames, not the whole video.

A cut is where consecutive samples differ in both colour distribution (HSV histogram) and layout (a 16x9 grey
thumbnail); the score is their mean, compared with ``shot_threshold``. With samples 1/fps apart a cut is placed
midway between the two samples that straddle it, so boundaries are within half a sample interval of the truth.
Shots shorter than ``min_segment_s`` join their predecessor; shots longer than ``max_segment_s`` are split evenly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from vidsearch.media.frames import Frame

_MAX_FRAMES_KEPT = 64  # per shot; keyframes are chosen from these


@dataclass
class Shot:
    start_s: float
    end_s: float
    frames: list[Frame] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def frame_signature(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(HSV histogram summing to 1, grey 16x9 thumbnail in [0, 1])."""
    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    hist /= max(float(hist.sum()), 1.0)
    grey = cv2.resize(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (16, 9), interpolation=cv2.INTER_AREA)
    return hist, grey.astype(np.float32) / 255.0


def cut_score(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    hist_distance = 0.5 * float(np.abs(a[0] - b[0]).sum())  # 1 - histogram intersection
    layout_distance = float(np.abs(a[1] - b[1]).mean()) * 4.0  # mean grey change, scaled to ~[0, 1]
    return 0.5 * hist_distance + 0.5 * min(layout_distance, 1.0)


class ShotDetector:
    def __init__(self, threshold: float, min_segment_s: float, max_segment_s: float, duration_s: float) -> None:
        self.threshold = threshold
        self.min_segment_s = min_segment_s
        self.max_segment_s = max_segment_s
        self.duration_s = duration_s

    def _raw_shots(self, frames: Iterable[Frame]) -> Iterator[Shot]:
        current: Shot | None = None
        previous_sig = None
        previous_t = 0.0
        for frame in frames:
            sig = frame_signature(frame.image)
            if current is None:
                current = Shot(0.0, 0.0, [frame])
            elif cut_score(previous_sig, sig) > self.threshold:
                boundary = (previous_t + frame.t) / 2.0
                current.end_s = boundary
                yield current
                current = Shot(boundary, 0.0, [frame])
            else:
                current.frames.append(frame)
                if len(current.frames) > _MAX_FRAMES_KEPT:  # a long static shot: keep an even subsample
                    current.frames = current.frames[::2]
            previous_sig, previous_t = sig, frame.t
        if current is not None:
            current.end_s = max(self.duration_s, previous_t)
            yield current

    def _split(self, shot: Shot) -> Iterator[Shot]:
        parts = max(1, math.ceil(shot.duration_s / self.max_segment_s - 1e-9))
        if parts == 1:
            yield shot
            return
        length = shot.duration_s / parts
        for i in range(parts):
            start = shot.start_s + i * length
            end = shot.end_s if i == parts - 1 else start + length
            yield Shot(start, end, [f for f in shot.frames if start <= f.t < end or (i == parts - 1 and f.t >= start)])

    def shots(self, frames: Iterable[Frame]) -> Iterator[Shot]:
        """Shots in order, short ones merged into the previous, long ones split."""
        pending: Shot | None = None
        for shot in self._raw_shots(frames):
            if pending is None:
                pending = shot
            elif shot.duration_s < self.min_segment_s or pending.duration_s < self.min_segment_s:
                pending = Shot(pending.start_s, shot.end_s, pending.frames + shot.frames)
            else:
                yield from self._split(pending)
                pending = shot
        if pending is not None:
            yield from self._split(pending)
