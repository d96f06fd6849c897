"""Frame sources: a video file → sampled frames with their presentation timestamps.

Timestamps come from each frame's pts, not ``index / fps``, so variable-frame-rate files sample correctly.
Skipped frames are only ``grab()``-ed (decoded, never colour-converted), which is what makes 1 frame/s sampling
run at the decoder's speed. Rotation metadata is applied by the decoder (phone footage comes out upright).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from vidsearch.errors import UnreadableVideo

# Seeking costs a keyframe-to-target decode; reading on is cheaper when the next wanted frame is this close.
_SEEK_GAP_S = 3.0


@dataclass(frozen=True, slots=True)
class Frame:
    t: float  # seconds from the start of the video
    image: np.ndarray  # BGR uint8, H x W x 3


class FrameSource(Protocol):
    def sample(self, fps: float, start_s: float = 0.0, end_s: float | None = None,
               width: int | None = None) -> Iterator[Frame]: ...

    def frames_at(self, times: Sequence[float], width: int | None = None) -> Iterator[Frame]: ...


def resize_to_width(image: np.ndarray, width: int | None) -> np.ndarray:
    if width is None or image.shape[1] <= width:
        return image
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


class Cv2FrameSource:
    """OpenCV's FFmpeg backend; one decoder thread by default so Ray owns the parallelism."""

    def __init__(self, path: Path | str, threads: int = 1) -> None:
        self.path = Path(path)
        self._threads = threads

    def _open(self) -> cv2.VideoCapture:
        params = [cv2.CAP_PROP_N_THREADS, self._threads] if self._threads else []
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            raise UnreadableVideo(self.path, "the decoder cannot open it (corrupt or unsupported codec)")
        return cap

    def sample(self, fps: float, start_s: float = 0.0, end_s: float | None = None,
               width: int | None = None) -> Iterator[Frame]:
        """Frames at ``fps`` from ``start_s`` to ``end_s``: the first frame at or after each 1/fps tick."""
        cap = self._open()
        try:
            if start_s > 0:
                cap.set(cv2.CAP_PROP_POS_MSEC, start_s * 1000.0)
            step = 1.0 / fps
            next_t = start_s
            while cap.grab():
                t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if end_s is not None and t > end_s:
                    break
                if t + 1e-6 < next_t:
                    continue
                ok, image = cap.retrieve()
                if not ok:
                    break
                yield Frame(t, resize_to_width(image, width))
                next_t = (int(t / step + 1e-6) + 1) * step  # stay on the tick grid despite jittery pts
        finally:
            cap.release()

    def frames_at(self, times: Sequence[float], width: int | None = None) -> Iterator[Frame]:
        """For each requested time (ascending), the first frame at or after it; past the end, the last frame.
        Reads on across short gaps and seeks across long ones."""
        wanted = sorted(max(0.0, t) for t in times)
        if not wanted:
            return
        cap = self._open()
        try:
            position = -1.0  # pts of the last grabbed frame
            current: tuple[float, np.ndarray] | None = None  # the last frame retrieved
            at_end = False
            for target in wanted:
                if current is not None and (at_end or current[0] + 1e-6 >= target):
                    yield Frame(current[0], resize_to_width(current[1], width))
                    continue
                if target - position > _SEEK_GAP_S:
                    cap.set(cv2.CAP_PROP_POS_MSEC, target * 1000.0)
                found = None
                while cap.grab():
                    position = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                    if position + 1e-6 >= target:
                        ok, image = cap.retrieve()
                        found = (position, image) if ok else None
                        break
                if found is None:
                    at_end = True
                    found = self._last_frame(cap, position) or current
                    if found is None:
                        return
                current = found
                yield Frame(current[0], resize_to_width(current[1], width))
        finally:
            cap.release()

    @staticmethod
    def _last_frame(cap: cv2.VideoCapture, position: float) -> tuple[float, np.ndarray] | None:
        """The frame at ``position`` (the last one grabbed before the end), decoded again."""
        if position < 0:
            return None
        cap.set(cv2.CAP_PROP_POS_MSEC, position * 1000.0)
        found = None
        while cap.grab():
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if t + 1e-6 >= position:
                ok, image = cap.retrieve()
                found = (t, image) if ok else None
                break
        return found


def decode_all(path: Path | str, threads: int = 1) -> int:
    """The decode-only limit: grab every frame and nothing else. Returns the number of frames."""
    cap = Cv2FrameSource(path, threads)._open()
    count = 0
    try:
        while cap.grab():
            count += 1
    finally:
        cap.release()
    return count
