"""Frame sources: a video file → sampled frames with their presentation timestamps.

Timestamps come from each frame's pts, not ``index / fps``, so variable-frame-rate files sample correctly.
Skipped frames are only ``grab()``-ed (decoded, never colour-converted), which is what makes 1 frame/s sampling
run at the decoder's speed. Rotation metadata is applied (phone footage comes out upright).

``ReferenceFrameSampler`` goes further for sparse sampling: it asks the decoder to skip B-frames altogether. No
frame references a B-frame except other B-frames, so I- and P-frames still decode exactly; a sample then lands on
the first I/P frame at or after its tick (within the GOP's B-run, ~0.1-0.2 s for broadcast GOPs — well inside the
±0.5 s a 1 frame/s shot boundary has anyway). On H.264 with B-frames that is ~3x less decoding than every frame.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from vidsearch.errors import UnreadableVideo

log = logging.getLogger(__name__)

# Seeking costs a keyframe-to-target decode; reading on is cheaper when the next wanted frame is this close.
_SEEK_GAP_S = 3.0


@dataclass(frozen=True, slots=True)
class Frame:
    t: float  # seconds from the start of the video
    image: np.ndarray  # BGR uint8, H x W x 3


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


class ReferenceFrameSampler(Cv2FrameSource):
    """``sample`` through PyAV decoding only I- and P-frames (B-frames skipped); ``frames_at`` as OpenCV's."""

    def sample(self, fps: float, start_s: float = 0.0, end_s: float | None = None,
               width: int | None = None) -> Iterator[Frame]:
        """Frames at ``fps`` from ``start_s`` to ``end_s``: the first decoded (I/P) frame at or after each tick.
        A file PyAV cannot open, or whose frames carry no timestamps, is sampled by OpenCV instead."""
        yielded = 0
        try:
            container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError):
            container = None
        if container is not None:
            with container:
                for frame in self._reference_frames(container, fps, start_s, end_s, width):
                    yielded += 1
                    yield frame
        if not yielded:
            yield from super().sample(fps, start_s, end_s, width)

    def _reference_frames(self, container: av.container.InputContainer, fps: float, start_s: float,
                          end_s: float | None, width: int | None) -> Iterator[Frame]:
        if not container.streams.video:
            return
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "BIDIR"
        if self._threads:
            stream.thread_type, stream.codec_context.thread_count = "AUTO", self._threads
        base = stream.time_base
        origin = float(stream.start_time * base) if stream.start_time is not None else 0.0
        if start_s > 0:
            container.seek(int((start_s + origin) / base), stream=stream, backward=True)
        step = 1.0 / fps
        next_t = start_s
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float(frame.pts * base) - origin
                if end_s is not None and t > end_s:
                    break
                if t + 1e-6 < next_t:
                    continue
                yield Frame(t, _upright_bgr(frame, width))
                next_t = (int(t / step + 1e-6) + 1) * step  # stay on the tick grid despite jittery pts
        except av.error.FFmpegError as exc:  # damaged or truncated stream: keep what decoded, as OpenCV does
            log.warning("decoding %s stopped: %s", self.path, exc)


def _upright_bgr(frame: av.VideoFrame, width: int | None) -> np.ndarray:
    """BGR pixels as a player shows them: scaled by swscale while converting (cheaper than after), rotated by the
    stream's display matrix."""
    rotation = int(round(frame.rotation or 0)) % 360  # counter-clockwise degrees to display upright
    shown_w = frame.height if rotation in (90, 270) else frame.width
    if width is not None and shown_w > width:
        scale = width / shown_w
        out_w, out_h = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
        image = frame.to_ndarray(format="bgr24", width=out_w, height=out_h, interpolation="AREA")
    else:
        image = frame.to_ndarray(format="bgr24")
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=rotation // 90))
    return image


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
