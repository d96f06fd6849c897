"""Find where a video shows credits, cheaply: text density over time, from keyframes only.

Decoding a whole programme to look for its credits would cost more than reading them. Keyframes decode on their
own, so the scan demuxes the file (cheap), decodes at most one keyframe per ``scan_interval_s`` straight to a
small picture, and runs the text detector at ``scan_width``. A frame is credit-like when it shows at least
``min_text_lines`` lines of text above the subtitle zone (a subtitle is one or two lines at the bottom; a credit
card or roll fills the screen). Runs of credit-like samples, bridged across short gaps, become sections; their
ends reach out to the neighbouring samples, and past a blank one (``section_reach_samples``: a card shown only
between two samples is seen by neither), and the reader finds the exact moment text starts. Where keyframes
are sparser than ``scan_max_keyframe_gap_s``, the gaps are sampled by seeking instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vidsearch.credits.settings import CreditSettings
from vidsearch.errors import UnreadableVideo
from vidsearch.media.frames import Cv2FrameSource, resize_to_width
from vidsearch.ocr.geometry import runs
from vidsearch.ocr.heatmap import Heatmap, TextDetector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreditSection:
    start_s: float
    end_s: float
    samples: int  # credit-like samples inside it

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class ScanSample:
    t: float
    lines: int  # text lines above the subtitle zone
    credit_like: bool


@dataclass
class ScanReport:
    sections: list[CreditSection]
    samples: list[ScanSample]
    seconds: float
    keyframe_mode: bool


def keyframes(path: Path, min_interval_s: float, width: int) -> Iterator[tuple[float, np.ndarray]]:
    """(time, small BGR picture) of keyframes at least ``min_interval_s`` apart; only those are decoded."""
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise UnreadableVideo(path, f"cannot open: {exc}") from None
    try:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        next_t = -np.inf
        for packet in container.demux(stream):
            if packet.size and not packet.is_keyframe:
                continue
            if packet.size and packet.pts is not None:
                t = float(packet.pts * packet.time_base)
                if t < next_t:
                    continue
                next_t = t + min_interval_s
            for frame in packet.decode():  # the decoder may hand a frame back one packet late; the last at flush
                if frame.pts is None:
                    continue
                height = max(2, round(frame.height * width / frame.width) // 2 * 2)
                yield float(frame.pts * frame.time_base), frame.to_ndarray(width=width, height=height, format="bgr24")
    except av.error.FFmpegError as exc:
        raise UnreadableVideo(path, f"decoding failed: {exc}") from None
    finally:
        container.close()


def text_lines(heatmap: Heatmap, threshold: float, subtitle_zone: float) -> int:
    """Text line bands whose centre lies above the subtitle zone."""
    mask = heatmap.prob >= threshold
    h = mask.shape[0]
    bands = runs(mask.sum(axis=1) >= 2, max_gap=0, min_length=max(2, h // 90))
    limit = h * (1.0 - subtitle_zone)
    return sum(1 for y0, y1 in bands if (y0 + y1) / 2 < limit)


class CreditLocator:
    def __init__(self, settings: CreditSettings, detector: TextDetector) -> None:
        self.settings = settings
        self.detector = detector

    def _samples(self, path: Path, duration_s: float) -> tuple[list[tuple[float, np.ndarray]], bool]:
        s = self.settings
        frames = list(keyframes(path, s.scan_interval_s, s.scan_width))
        times = [0.0] + [t for t, _ in frames] + [duration_s]
        gaps = [(a, b) for a, b in zip(times, times[1:]) if b - a > s.scan_max_keyframe_gap_s]
        if gaps:  # sparse keyframes: sample the gaps by seeking (costlier, but only there)
            wanted = [t for a, b in gaps for t in np.arange(a + s.scan_interval_s, b, s.scan_interval_s)]
            source = Cv2FrameSource(path)
            frames += [(f.t, resize_to_width(f.image, s.scan_width)) for f in source.frames_at(wanted)]
            frames.sort(key=lambda item: item[0])
        return frames, not gaps

    def scan(self, path: Path | str, duration_s: float) -> ScanReport:
        s = self.settings
        path = Path(path)
        started = time.perf_counter()
        frames, keyframe_mode = self._samples(path, duration_s)
        samples: list[ScanSample] = []
        batch = 16
        for i in range(0, len(frames), batch):
            chunk = frames[i:i + batch]
            for (t, _), heatmap in zip(chunk, self.detector.heatmaps([image for _, image in chunk])):
                lines = text_lines(heatmap, s.scan_threshold, s.subtitle_zone)
                samples.append(ScanSample(t, lines, lines >= s.min_text_lines))
        sections = self._sections(samples, duration_s)
        return ScanReport(sections, samples, time.perf_counter() - started, keyframe_mode)

    def _sections(self, samples: list[ScanSample], duration_s: float) -> list[CreditSection]:
        s = self.settings
        hits = [i for i, sample in enumerate(samples) if sample.credit_like]
        groups: list[list[int]] = []
        for i in hits:
            if groups and samples[i].t - samples[groups[-1][-1]].t <= s.section_gap_s:
                groups[-1].append(i)
            else:
                groups.append([i])
        sections = []
        for group in groups:
            first, last = group[0], group[-1]
            # a card shown between two samples is seen by neither: past a blank neighbour (the black between two
            # cards, a fade's trough) reach out further; a neighbour showing text (footage, subtitles) is the edge
            reach = s.section_reach_samples
            low, high = first - 1, last + 1
            while first - low < reach and low >= 0 and samples[low].lines == 0:
                low -= 1
            while high - last < reach and high < len(samples) and samples[high].lines == 0:
                high += 1
            start = samples[low].t if low >= 0 else 0.0
            end = samples[high].t if high < len(samples) else duration_s
            before = samples[first - 1].t if first > 0 else 0.0
            after = samples[last + 1].t if last + 1 < len(samples) else duration_s
            spacing = (after - before) / (last - first + 2)
            if len(group) * spacing < s.min_section_s:
                continue
            if sections:  # never read the same stretch twice (groups are more than section_gap_s apart)
                start = max(start, sections[-1].end_s)
            sections.append(CreditSection(round(start, 3), round(end, 3), len(group)))
        return sections
