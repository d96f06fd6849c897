"""Read the text lines of one credit section, each line once.

One pass over the section: frames sampled at ``credits.align_fps`` are aligned (``align.py``) into runs with a
vertical offset each; the text detector runs only on some of them (once a new card has settled, then every
``detect_interval_s`` while a roll moves), and the cropper cuts line pieces there. A piece's position on the roll
(frame y + the run's offset) identifies it across detections, so each line is read from one observation — the
one nearest the middle of the screen — and all the section's reads go to the OCR engine in one batch. Pieces that
stay put while the roll moves (a logo) are overlays, not credits. Reads of one line that alignment split in two
are merged by position and text similarity.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vidsearch.credits.align import FrameAlignment, OnlineAligner, edge_mask
from vidsearch.credits.cleanup import clean_text, letter_share
from vidsearch.credits.footage import covered_by_main_roll, main_roll, off_the_roll
from vidsearch.credits.pictures import _alike_throughout, _box_iou, _same_picture
from vidsearch.credits.places import boxed_twice, covers, same_place
from vidsearch.credits.schedule import DetectionSchedule
from vidsearch.credits.settings import CreditSettings
from vidsearch.credits.still_frames import StillFrames, peak_sightings
from vidsearch.media.frames import Cv2FrameSource, Frame
from vidsearch.ocr.cropper import CropMethod, CropperParams, HeatmapCropper
from vidsearch.ocr.engine import OcrEngine, OcrLine, OcrWord
from vidsearch.ocr.geometry import Box
from vidsearch.ocr.heatmap import TextDetector
from vidsearch.ocr.preprocess import leader_place
from vidsearch.ocr.reading import LazyReread, read_sightings

log = logging.getLogger(__name__)


@dataclass
class _Observation:
    t: float
    run: int
    offset: float
    box: Box
    crop: np.ndarray
    frame_height: int
    static: bool = False
    # a still card's piece: (contrast, the same box cut from a later frame of its run), highest first
    peers: list[tuple[float, _Observation]] = field(default_factory=list)
    of: _Observation | None = None  # a peer: the detected piece it was cut for

    @property
    def roll_y(self) -> float:
        return self.box.cy + self.offset

    def fully_visible(self) -> bool:
        margin = 0.01 * self.frame_height
        return self.box.y0 > margin and self.box.y1 < self.frame_height - margin


@dataclass
class _Track:
    observations: list[_Observation] = field(default_factory=list)

    @property
    def first(self) -> _Observation:
        return self.observations[0]

    def accepts(self, obs: _Observation) -> bool:
        ref = self.observations[-1]
        if obs.static != ref.static:
            return False
        if obs.static:
            return _box_iou(obs.box, ref.box) >= 0.5
        if obs.run != ref.run:
            return False
        tolerance = 0.5 * max(obs.box.height, ref.box.height)
        narrow = max(1, min(obs.box.width, ref.box.width))
        return (abs(obs.roll_y - ref.roll_y) <= tolerance and obs.box.x_overlap(ref.box) >= 0.5 * narrow
                and _same_picture(obs.crop, ref.crop, min_correlation=0.5))  # guards against a wrong alignment

    def ranked(self) -> list[_Observation]:
        """Observations best first: entirely on screen, nearest the middle, later (settled) first."""
        def key(o: _Observation) -> tuple:
            return (not o.fully_visible(), abs(o.box.cy - o.frame_height / 2) / o.frame_height, -o.t)
        return sorted(self.observations, key=key)


@dataclass
class ReadLine:
    """One line piece of a credit section, read once."""

    text: str
    confidence: float
    words: tuple[OcrWord, ...]
    box: Box  # where it was read, frame pixels
    run: int
    roll_y: float  # vertical position on its run (frame y + the run's scroll offset)
    first_s: float  # first and last sampled time it was entirely on screen
    last_s: float
    best_s: float = -1.0  # when it is most readable: nearest the frame's centre (a card: mid-way); in [first, last]
    overlay: bool = False  # stayed put while the roll moved: a logo or caption, not a credit
    readable: bool = True  # False: the text read cannot be trusted (low confidence, not Hangul/Latin)
    leader: str = ""  # where a dot leader stood in the piece (``leader_place``): it is erased before reading
    readings: tuple[str, ...] = ()  # every text its looks and sightings were read as (``OcrLine.readings``)
    # its crop read again in other looks, on demand (``reading.LazyReread``): what a repair of a sure read asks
    reread: Callable[[], tuple[str, ...]] | None = field(default=None, compare=False, repr=False)

    @property
    def height(self) -> int:
        return self.box.height


@dataclass
class SectionReading:
    start_s: float
    end_s: float
    lines: list[ReadLine]
    overlays: list[ReadLine]
    frames_sampled: int = 0
    frames_detected: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _letters(text: str) -> bool:
    """A reading the pipeline would keep: credit lines are mostly Hangul or Latin letters."""
    cleaned = clean_text(text)
    return bool(cleaned) and letter_share(cleaned) >= 0.6


def _similar(a: str, b: str) -> float:
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


class SectionReader:
    def __init__(self, settings: CreditSettings, detector: TextDetector, engine: OcrEngine,
                 line_height_px: int = 40, decode_threads: int = 1) -> None:
        self.settings = settings
        self.detector = detector
        self.engine = engine
        self.line_height_px = line_height_px
        self.decode_threads = decode_threads
        self.cropper = HeatmapCropper(CropperParams(
            method=CropMethod(settings.crop_method), threshold=settings.heatmap_threshold,
            y_gap_threshold=settings.y_gap_threshold, x_gap_threshold=settings.x_gap_threshold,
            x_padding=settings.x_padding,
            y_padding=settings.y_padding if getattr(detector, "shrunk_boxes", True) else settings.y_padding_unshrunk,
            exclude_top_height=settings.exclude_top_height))

    # -- sampling, alignment and detection -------------------------------------------------------------------
    def _observe(self, frames: list[tuple[Frame, FrameAlignment]]) -> list[_Observation]:
        heatmaps = self.detector.heatmaps([f.image for f, _ in frames])
        if self.cropper.params.method is CropMethod.GAP:
            per_frame = self.cropper.crop_section(heatmaps)
        else:
            per_frame = [self.cropper.crop_frame(h) for h in heatmaps]
        out = []
        for (frame, alignment), crops in zip(frames, per_frame):
            for crop in crops:
                out.append(_Observation(frame.t, alignment.run, alignment.offset, crop.box,
                                        crop.box.crop(frame.image).copy(), frame.image.shape[0]))
        return out

    def _sample(self, path: Path, start_s: float, end_s: float, timings: dict[str, float],
                follow_until_s: float | None = None
                ) -> tuple[list[_Observation], list[tuple[float, FrameAlignment]], int, int]:
        """Past ``end_s`` (up to ``follow_until_s``) only while the roll moving at ``end_s`` goes on moving."""
        s = self.settings
        aligner = OnlineAligner(steady_speed=s.align_steady_speed, still_text=s.align_still_text)
        schedule = DetectionSchedule(s)
        timeline: list[tuple[float, FrameAlignment]] = []
        observations: list[_Observation] = []
        pending: list[tuple[Frame, FrameAlignment]] = []  # GAP needs a section's frames together
        sampled = detected = 0
        source = Cv2FrameSource(path, self.decode_threads)
        clock = time.perf_counter()
        rolling: int | None = None  # the run moving at end_s, followed past it
        still = StillFrames(lambda piece, t, crop: replace(piece, t=t, crop=crop, peers=[], of=piece))
        for frame in source.sample(s.align_fps, start_s, max(end_s, follow_until_s or end_s)):
            sampled += 1
            started = time.perf_counter()
            mask = edge_mask(frame.image)
            alignment = aligner.add(mask, frame.image.shape[0], frame.t)
            timings["align"] = timings.get("align", 0.0) + time.perf_counter() - started
            speed = aligner.speed(alignment.run)  # frame pixels per sampled frame
            moving = speed > 0.005 * frame.image.shape[0]
            if frame.t <= end_s:
                rolling = alignment.run if moving and alignment.measured else None
            elif rolling is None or alignment.run != rolling or not alignment.measured or mask.mean() < 0.0005:
                break
            timeline.append((frame.t, alignment))
            crossing = frame.image.shape[0] / (speed * s.align_fps) if moving else np.inf
            if not schedule.due(frame.t, alignment, mask, moving, crossing):
                still.offer(frame.t, alignment.run, alignment.offset, frame.image, not moving and alignment.measured)
                continue
            detected += 1
            started = time.perf_counter()
            if self.cropper.params.method is CropMethod.GAP:
                pending.append((frame, alignment))
            else:
                found = self._observe([(frame, alignment)])
                still.watch(alignment.run, found, not moving)  # a run's first frame is still, not yet measured
                observations.extend(found)
            timings["detect"] = timings.get("detect", 0.0) + time.perf_counter() - started
        if pending:
            started = time.perf_counter()
            observations.extend(self._observe(pending))
            timings["detect"] = timings.get("detect", 0.0) + time.perf_counter() - started
        timings["decode"] = time.perf_counter() - clock - timings.get("align", 0.0) - timings.get("detect", 0.0)
        return observations, timeline, sampled, detected

    # -- tracking ---------------------------------------------------------------------------------------------
    @staticmethod
    def _mark_static(observations: list[_Observation]) -> None:
        """A piece showing the same picture at the same frame place in two detections between which the roll
        moved, or in two different runs (cards), is an overlay: a logo or caption, not a credit line."""
        by_time: dict[float, list[_Observation]] = {}
        for obs in observations:
            by_time.setdefault(obs.t, []).append(obs)
        times = sorted(by_time)

        def same_card(first: list[_Observation], second: list[_Observation]) -> bool:
            """Most of what one detection saw is again in the same place in the other: one card seen twice (a
            fade makes alignment cut between them), not two cards sharing a logo."""
            kept = sum(any(_box_iou(a.box, b.box) >= 0.6 for b in second) for a in first)
            return len(first) >= 2 and kept >= 0.6 * len(first)

        def rolls_on(obs: _Observation) -> bool:
            """The same picture is seen again where the roll carried it (its roll position, another place in the
            frame): a roll line. Two lines alike in shape ("촬영감독", "조명감독") crossing one frame place at
            different times otherwise look like a logo that stayed put."""
            return any(other.run == obs.run and abs(other.box.cy - obs.box.cy) > max(other.box.height, obs.box.height)
                       and abs(other.roll_y - obs.roll_y) <= 0.5 * max(other.box.height, obs.box.height)
                       and other.box.x_overlap(obs.box) >= 0.5 * max(1, min(other.box.width, obs.box.width))
                       and _same_picture(obs.crop, other.crop)
                       for t in times if t != obs.t for other in by_time[t])

        def replaced(a: _Observation, b: _Observation) -> bool:
            """A detection between the two shows something else at that frame place, or does not show this picture
            there: the place held other text, or none, in between (a logo stays; "음악" on one card and "음향" two
            cards later are two credits — and so are "소품" and "조명" with a card between whose title, set wider,
            covers the place only in part)."""
            return any(any(_box_iou(o.box, a.box) >= 0.6 and not _same_picture(a.crop, o.crop) for o in by_time[t])
                       or not any(_box_iou(o.box, a.box) >= 0.6 and _same_picture(a.crop, o.crop) for o in by_time[t])
                       for t in times if a.t < t < b.t)

        candidates: list[tuple[_Observation, _Observation]] = []
        for i, earlier in enumerate(times):
            for later in times[i + 1:]:
                if by_time[earlier][0].run != by_time[later][0].run and same_card(by_time[earlier], by_time[later]):
                    continue
                for a in by_time[earlier]:
                    for b in by_time[later]:
                        apart = a.run != b.run or abs(b.offset - a.offset) > max(a.box.height, b.box.height)
                        if apart and _box_iou(a.box, b.box) >= 0.6 and _same_picture(a.crop, b.crop) \
                                and _alike_throughout(a, b) and not replaced(a, b):
                            candidates.append((a, b))
        moving: dict[int, bool] = {}
        for a, b in candidates:
            if not any(moving.setdefault(id(o), rolls_on(o)) for o in (a, b)):
                a.static = b.static = True

    @staticmethod
    def _track(observations: Iterable[_Observation]) -> list[_Track]:
        tracks: list[_Track] = []
        for obs in sorted(observations, key=lambda o: (o.t, o.box.y0, o.box.x0)):
            for track in reversed(tracks):
                if track.accepts(obs):
                    track.observations.append(obs)
                    break
            else:
                tracks.append(_Track([obs]))
        return tracks

    # -- reading ----------------------------------------------------------------------------------------------
    def _sightings(self, track: _Track) -> list[_Observation]:
        """The best-placed sighting, then others of it entirely on screen, each the farthest in time from those
        already taken (different footage behind them), up to ``vote_sightings`` (at least two: the second is the
        alternate for a second look)."""
        ranked = track.ranked()
        limit = max(2, self.settings.vote_sightings)
        if len(ranked) < 3 and any(o.peers for o in ranked):  # a still card, detected once or twice
            return peak_sightings(ranked, limit)
        taken, others = [ranked[0]], [o for o in ranked[1:] if o.fully_visible()]
        while others and len(taken) < limit:
            far = max(others, key=lambda o: min(abs(o.t - x.t) for x in taken))
            taken.append(far)
            others.remove(far)
        return taken

    def _read(self, tracks: list[_Track]) -> list[tuple[OcrLine, _Observation]]:
        """One reading per track, all in two batches: its sightings vote (``read_sightings``)."""
        sightings = [self._sightings(t) for t in tracks]
        readings = read_sightings(self.engine, [[o.crop for o in s] for s in sightings], self.line_height_px,
                                  self.settings.second_look_below, plausible=_letters)
        return [(line, sightings[i][k].of or sightings[i][k]) for i, (line, k) in enumerate(readings)]

    @staticmethod
    def _span(track: _Track, obs: _Observation, timeline: list[tuple[float, FrameAlignment]],
              detections: list[float]) -> tuple[float, float, float]:
        """Sampled times at which the piece is entirely on screen, from the run's offsets where they were measured,
        and never before the detection preceding its first sighting or after the one following its last (offsets
        are only known relative to what is visible: a logo alone on screen pins them while the roll still moves
        below the frame)."""
        seen = [o.t for o in track.observations if o.fully_visible()] or [obs.t]
        earlier = [t for t in detections if t < min(seen)]
        later = [t for t in detections if t > max(seen)]
        low, high = (max(earlier) if earlier else -np.inf), (min(later) if later else np.inf)
        top = obs.box.y0 + obs.offset
        bottom = obs.box.y1 + obs.offset
        on_screen = [(t, a.offset) for t, a in timeline if a.run == obs.run and (a.measured or t == obs.t)
                     and low < t < high and top - a.offset >= 0 and bottom - a.offset <= obs.frame_height]
        times = [t for t, _ in on_screen]
        first, last = min(times + seen), max(times + seen)
        # most readable: the sample whose line centre is nearest the frame's centre; on a still card every
        # sample ties, and the middle of its span wins (past a fade in, before a fade out)
        middle, centre = (first + last) / 2, obs.frame_height / 2
        band = 0.02 * obs.frame_height
        candidates = on_screen or [(obs.t, obs.offset)]
        best = min(candidates, key=lambda item: (round(abs(obs.roll_y - item[1] - centre) / band),
                                                 abs(item[0] - middle)))[0]
        return first, last, min(max(best, first), last)

    def _same_line(self, a: ReadLine, b: ReadLine) -> bool:
        if a.overlay != b.overlay:
            return False
        if not a.overlay and (same_place(a, b) or boxed_twice(a, b)):  # one place holds one line, however read
            return True
        if _similar(a.text, b.text) < self.settings.dedupe_similarity:
            return False
        if a.overlay:  # overlays stay put on the screen
            return _box_iou(a.box, b.box) >= 0.5
        return (a.run == b.run and abs(a.roll_y - b.roll_y) < max(a.height, b.height)
                and a.box.x_overlap(b.box) > 0)

    def _dedupe(self, lines: list[ReadLine]) -> list[ReadLine]:
        kept: list[ReadLine] = []
        for line in sorted(lines, key=lambda x: -x.confidence):
            duplicate = next((k for k in kept if self._same_line(k, line)), None)
            if duplicate is None:
                kept.append(line)
            else:
                duplicate.first_s = min(duplicate.first_s, line.first_s)
                duplicate.last_s = max(duplicate.last_s, line.last_s)
                duplicate.leader = duplicate.leader or line.leader  # the box that took in the dots saw them
        # one detection cut "박희권   최유정" as one piece, another as two: keep the whole, drop the parts
        parts = [b for b in kept if any(a is not b and covers(a, b) for a in kept)]
        for part in parts:
            whole = next(a for a in kept if a is not part and covers(a, part))
            whole.first_s, whole.last_s = min(whole.first_s, part.first_s), max(whole.last_s, part.last_s)
        return sorted((x for x in kept if not any(x is p for p in parts)), key=lambda x: (x.run, x.roll_y, x.box.x0))

    def read(self, path: Path | str, start_s: float, end_s: float, follow_until_s: float | None = None
             ) -> SectionReading:
        """``follow_until_s``: a roll still moving at ``end_s`` is read on until it stops, cuts or this time (a
        sparse scan places a section's end only roughly, and over busy footage it misses a roll's last lines)."""
        timings: dict[str, float] = {}
        observations, timeline, sampled, detected = self._sample(Path(path), start_s, end_s, timings, follow_until_s)
        end_s = max(end_s, timeline[-1][0]) if timeline else end_s
        self._mark_static(observations)
        # a line is read only where some detection saw it whole; a piece cut by the frame edge is another
        # track's partial view (its picture differs, so tracking kept it apart) or a line never fully shown
        tracks = [t for t in self._track(observations) if any(o.fully_visible() or o.static for o in t.observations)]
        by_time: dict[float, list[_Observation]] = {}
        for obs in observations:
            by_time.setdefault(obs.t, []).append(obs)
        if self.settings.align_steady_speed and observations:  # offsets good enough to say where the roll was
            tracks = [t for t in tracks if not off_the_roll(t, timeline, by_time, _same_picture)]
            main = main_roll(timeline, observations[0].frame_height)
            if main is not None:
                tracks = [t for t in tracks if not covered_by_main_roll(t, main, timeline, set(by_time))]
        started = time.perf_counter()
        results = self._read(tracks) if tracks else []
        timings["ocr"] = time.perf_counter() - started
        detections = sorted({o.t for o in observations})
        owner = {id(o): track for track in tracks for o in track.observations}
        lines, overlays = [], []
        for line, obs in results:
            first, last, best = self._span(owner[id(obs)], obs, timeline, detections)
            read = ReadLine(line.text.strip(), line.confidence, line.words, obs.box, obs.run, obs.roll_y, first, last,
                            best, overlay=obs.static, leader=leader_place(obs.crop, self.line_height_px),
                            readings=line.readings, reread=LazyReread(self.engine, obs.crop, self.line_height_px))
            (overlays if obs.static else lines).append(read)
        log.debug("credits: read %d pieces from %d tracks (%d frames sampled, %d detected) in %.1f-%.1f s",
                  len(lines), len(tracks), sampled, detected, start_s, end_s)
        return SectionReading(start_s, end_s, self._dedupe(lines), self._dedupe(overlays), sampled, detected, timings)
