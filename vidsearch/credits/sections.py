"""Find where a video shows credits, cheaply: text density over time, from keyframes only.

Decoding a whole programme to look for its credits would cost more than reading them. Keyframes decode on their
own, so the scan demuxes the file (cheap), decodes at most one keyframe per ``scan_interval_s`` straight to a
small picture, and runs the text detector at ``scan_width``. A frame is credit-like when it shows at least
``min_text_lines`` lines of text above the subtitle zone (a subtitle is one or two lines at the bottom; a credit
card or roll fills the screen); one centred line at one height sample after sample is a candidate too (cards of
one credit each: ``card_rows.py``; the reading must show that line's text changing). Runs of credit-like samples, bridged across short gaps, become sections; their
ends reach out to the neighbouring samples, and past a blank one (``section_reach_samples``: a card shown only
between two samples is seen by neither), and the reader finds the exact moment text starts. Where keyframes
are sparser than ``scan_max_keyframe_gap_s``, the gaps are sampled by seeking instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import av
import cv2
import numpy as np

from vidsearch.credits.card_rows import CardRow, card_row, card_row_samples
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
    tentative: bool = False  # found only by cards' lone rows (card_rows.py) or the wider look: the reading must
    # show cards of credits (rows changing, most a role and its name), or the section is dropped

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class ScanSample:
    t: float
    lines: int  # text lines above the subtitle zone
    credit_like: bool
    wide: bool = False  # its lines were seen by the wider look only (scan_wide_width)


@dataclass(frozen=True)
class _Look:
    sample: ScanSample
    row: CardRow | None  # its one line, where a card would set it
    busy: bool  # edgy enough to hide small type (scan_wide_min_edges)


@dataclass
class ScanReport:
    sections: list[CreditSection]
    samples: list[ScanSample]
    seconds: float
    keyframe_mode: bool


def _edge_share(image: np.ndarray) -> float:
    """Share of a small picture in strong edges: text fading in has more of them the more opaque it is."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(((np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1))) > 90).mean())


def _look_at(looks: list[list], frame: av.VideoFrame, width: int, frame_s: float) -> float:
    """Keep ``frame`` as its look's picture if it has more edges than the one kept so far; returns its time."""
    t = float(frame.pts * frame.time_base)
    look = next((x for x in reversed(looks) if x[0] - 1e-3 <= t <= x[1] + 1e-3), None)
    # only the keyframe and the frame ending the look are converted and compared (frames between are decoded, as
    # the last one needs them, but not scaled: that would cost as much as decoding)
    if look is None or look[0] + 1e-3 < t < look[1] - frame_s + 1e-3:
        return t
    height = max(2, round(frame.height * width / frame.width) // 2 * 2)
    image = frame.to_ndarray(width=width, height=height, format="bgr24")
    share = _edge_share(image) if look[1] > look[0] else 0.0
    if look[2] is None or share > look[2][0]:
        look[2] = (share, t, image)
    return t


def keyframes(path: Path, min_interval_s: float, width: int, lookahead_s: float = 0.0
              ) -> Iterator[tuple[float, np.ndarray]]:
    """(time, small BGR picture) of keyframes at least ``min_interval_s`` apart; only those are decoded — and,
    with ``lookahead_s``, the frames up to that long after each, of which the one with the most edges is kept.
    Encoders place keyframes at scene changes, and a fade is one: a faded card's keyframe often shows its text
    barely there (a fade's first frames, or the trough between two cards); a moment later it is readable."""
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise UnreadableVideo(path, f"cannot open: {exc}") from None
    try:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        frame_s = 1.0 / float(stream.average_rate) if stream.average_rate else 0.04
        next_t = -np.inf
        # per sampled keyframe: [its time, lookahead end, best (edge share, time, picture)]; a frame may come out
        # of the decoder a few packets late, so it goes to the look whose span holds its time
        looks: list[list] = []
        for packet in container.demux(stream):
            t = float(packet.pts * packet.time_base) if packet.size and packet.pts is not None else None
            until = looks[-1][1] if looks else -np.inf
            if packet.size and not packet.is_keyframe and (t is None or t > until):
                continue
            if packet.size and packet.is_keyframe and t is not None and t >= next_t:
                next_t = t + min_interval_s
                looks.append([t, t + lookahead_s, None])
                stream.codec_context.skip_frame = "DEFAULT" if lookahead_s > 0 else "NONKEY"
            elif packet.size and packet.is_keyframe and (t is None or t > until):
                continue
            for frame in packet.decode():  # the decoder hands frames back some packets late; the last at flush
                if frame.pts is not None:
                    shown = _look_at(looks, frame, width, frame_s)
                    # frames come out in presentation order: a look whose span this one is past is complete
                    while looks and looks[0][1] < shown - 1e-3:
                        done = looks.pop(0)
                        if done[2] is not None:
                            yield done[2][1], done[2][2]
            if looks and t is not None and t >= looks[-1][1]:
                stream.codec_context.skip_frame = "NONKEY"
        for look in looks:
            if look[2] is not None:
                yield look[2][1], look[2][2]
    except av.error.FFmpegError as exc:
        raise UnreadableVideo(path, f"decoding failed: {exc}") from None
    finally:
        container.close()


def line_bands(heatmap: Heatmap, threshold: float, subtitle_zone: float) -> list[tuple[float, float, float, float]]:
    """Text line bands whose centre lies above the subtitle zone: (y0, y1, x0, x1) as shares of the frame."""
    mask = heatmap.prob >= threshold
    h, w = mask.shape
    bands = runs(mask.sum(axis=1) >= 2, max_gap=0, min_length=max(2, h // 90))
    limit = h * (1.0 - subtitle_zone)
    out = []
    for y0, y1 in bands:
        if (y0 + y1) / 2 < limit:
            columns = np.flatnonzero(mask[y0:y1].any(axis=0))
            out.append((y0 / h, y1 / h, columns[0] / w, (columns[-1] + 1) / w))
    return out


def text_lines(heatmap: Heatmap, threshold: float, subtitle_zone: float) -> int:
    """Text line bands whose centre lies above the subtitle zone."""
    return len(line_bands(heatmap, threshold, subtitle_zone))


class CreditLocator:
    def __init__(self, settings: CreditSettings, detector: TextDetector, wide_detector: TextDetector | None = None
                 ) -> None:
        self.settings = settings
        self.detector = detector
        self.wide_detector = wide_detector  # the second, wider look (None: none)

    def scan(self, path: Path | str, duration_s: float) -> ScanReport:
        s = self.settings
        path = Path(path)
        started = time.perf_counter()
        # a short video (a clip, a programme's last minute) is sampled at least ``scan_min_samples`` times: one
        # sample per scan_interval_s would fall before and after a few seconds of cards and see none of them
        interval = min(s.scan_interval_s, max(duration_s, 0.0) / s.scan_min_samples) or s.scan_interval_s
        looked: list[_Look] = []
        self._look(keyframes(path, interval, s.scan_width, s.scan_lookahead_s), looked)
        times = [0.0] + [look.sample.t for look in looked] + [duration_s]
        gaps = [(a, b) for a, b in zip(times, times[1:]) if b - a > s.scan_max_keyframe_gap_s]
        if gaps:  # sparse keyframes: sample the gaps by seeking (costlier, but only there)
            wanted = [t for a, b in gaps for t in np.arange(a + interval, b, interval)]
            source = Cv2FrameSource(path)
            self._look(((f.t, resize_to_width(f.image, s.scan_width)) for f in source.frames_at(wanted)), looked)
            looked.sort(key=lambda look: look.sample.t)
        if self.wide_detector is not None and s.scan_wide_width > s.scan_width:
            self._look_wider(path, looked)
        samples = [look.sample for look in looked]
        if s.card_row_min_samples:  # cards of one row each: a run of lone centred rows at one height
            cards = card_row_samples([look.row for look in looked], [x.lines for x in samples], s.min_text_lines,
                                     s.card_row_min_samples)
            samples = [replace(x, credit_like=True) if i in cards else x for i, x in enumerate(samples)]
        sections = self._sections(samples, duration_s)
        return ScanReport(sections, samples, time.perf_counter() - started, not gaps)

    def _found(self, t: float, bands: list[tuple[float, float, float, float]], busy: bool) -> _Look:
        s = self.settings
        lines = len(bands)
        row = card_row(bands[0]) if lines == 1 and s.card_row_min_samples else None
        return _Look(ScanSample(t, lines, lines >= s.min_text_lines), row, busy)

    def _look(self, pictures: Iterable[tuple[float, np.ndarray]], looked: list[_Look], batch: int = 16) -> None:
        """Detect text on ``pictures`` in batches of ``batch``, appending what each shows to ``looked``."""
        s = self.settings
        chunk: list[tuple[float, np.ndarray]] = []

        def detect() -> None:
            for (t, image), heatmap in zip(chunk, self.detector.heatmaps([image for _, image in chunk])):
                bands = line_bands(heatmap, s.scan_threshold, s.subtitle_zone)
                looked.append(self._found(t, bands, _edge_share(image) >= s.scan_wide_min_edges))
            chunk.clear()

        for item in pictures:
            chunk.append(item)
            if len(chunk) == batch:
                detect()
        if chunk:
            detect()

    def _look_wider(self, path: Path, looked: list[_Look]) -> None:
        """Look again, at ``scan_wide_width``, at the busy samples near what looks like credits (samples of
        ``min_text_lines`` or a card's lone row), outwards while the wider look finds more: small type over busy
        footage (0.035 of the frame's height: ~6 px at 320) is lost in the small picture's texture on some cards
        and seen on others. Only there: looking wider everywhere finds footage text (signs, logos) that the small
        look rightly passes over, and costs ~3x the scan on busy footage (bench/credits_locate.py)."""
        s = self.settings
        done: set[int] = set()
        while True:
            seeds = [look.sample.t for look in looked if look.sample.credit_like or look.row is not None]
            wanted = [i for i, look in enumerate(looked) if i not in done and look.busy
                      and look.sample.lines < s.min_text_lines
                      and any(abs(look.sample.t - t) <= s.section_gap_s for t in seeds)]
            if not wanted:
                return
            done.update(wanted)
            frames = list(Cv2FrameSource(path).frames_at([looked[i].sample.t for i in wanted], s.scan_wide_width))
            gained = False
            for i, frame, heatmap in zip(wanted, frames, self.wide_detector.heatmaps([f.image for f in frames])):
                bands = line_bands(heatmap, s.scan_threshold, s.subtitle_zone)
                if len(bands) > looked[i].sample.lines:
                    found = self._found(looked[i].sample.t, bands, True)
                    looked[i] = replace(found, sample=replace(found.sample, wide=True))
                    gained = True
            if not gained:
                return

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
            if len(group) * spacing < s.min_section_s and last + 1 < len(samples):
                continue  # short text; but a run of credit samples the video's end cuts short may go on past it
            if sections:  # never read the same stretch twice (groups are more than section_gap_s apart)
                start = max(start, sections[-1].end_s)
            # footage text seen by the wider look (signs, shapes) or one line alone may be what made it credit-like
            tentative = all(samples[i].lines < s.min_text_lines or samples[i].wide for i in group)
            sections.append(CreditSection(round(start, 3), round(end, 3), len(group), tentative))
        return sections
