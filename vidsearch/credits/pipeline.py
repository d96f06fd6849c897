"""Video file → credit lines: locate sections, read each section once, lay the text out into credits.

Text the engine read with low confidence, or that is mostly not Hangul or Latin letters after cleaning, is kept
apart as unreadable (an unsupported script, a blurred card) rather than passed on as names.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from vidsearch.config import Settings
from vidsearch.credits.card_rows import cards_of_one_row
from vidsearch.credits.cleanup import clean_text, letter_share
from vidsearch.credits.layout import CreditLine, ReadText, parse_credit_lines, text_rows
from vidsearch.credits.reader import ReadLine, SectionReader
from vidsearch.credits.sections import CreditLocator, CreditSection
from vidsearch.media.probe import probe_video
from vidsearch.ocr.engine import OcrEngine, build_engine
from vidsearch.ocr.heatmap import TextDetector, build_detector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnreadableText:
    time: float
    text: str  # what the engine made of it (not to be trusted)
    confidence: float
    reason: str


@dataclass
class CreditReading:
    path: str
    duration_s: float
    sections: list[CreditSection]
    lines: list[CreditLine]
    text: list[ReadText] = field(default_factory=list)  # every row of credit text read, cleaned
    unreadable: list[UnreadableText] = field(default_factory=list)
    overlays: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # locate / align / detect / decode / ocr / layout


class CreditExtractor:
    def __init__(self, settings: Settings, scan_detector: TextDetector, read_detector: TextDetector,
                 engine: OcrEngine, wide_scan_detector: TextDetector | None = None) -> None:
        self.settings = settings
        self.locator = CreditLocator(settings.credits, scan_detector, wide_scan_detector)
        self.reader = SectionReader(settings.credits, read_detector, engine, settings.ocr.line_height_px,
                                    settings.media.decode_threads)

    @classmethod
    def from_settings(cls, settings: Settings) -> CreditExtractor:
        scan = settings.ocr.model_copy(update={"detector_max_side": settings.credits.scan_width})
        read = settings.ocr.model_copy(update={"detector_max_side": settings.credits.read_detector_side})
        wide = None
        if settings.credits.scan_wide_width > settings.credits.scan_width:
            wide = build_detector(settings.ocr.model_copy(update={"detector_max_side": settings.credits.scan_wide_width}))
        return cls(settings, build_detector(scan), build_detector(read), build_engine(settings.ocr), wide)

    def _readable(self, line: ReadLine) -> str | None:
        """None if the line can be trusted, else why not."""
        if line.confidence < self.settings.ocr.min_confidence:
            return f"confidence {line.confidence:.2f} below ocr.min_confidence"
        cleaned = clean_text(line.text)
        if not cleaned:
            return "no text"
        if letter_share(cleaned) < 0.6:
            return "mostly not Hangul or Latin letters"
        return None

    def extract(self, path: Path | str, duration_s: float | None = None, frame_width: int | None = None,
                sections: list[CreditSection] | None = None) -> CreditReading:
        """Credits of one video. ``duration_s``/``frame_width`` save a probe when the caller knows them;
        ``sections`` skips locating (a benchmark reading a known roll)."""
        path = Path(path)
        if duration_s is None or frame_width is None:
            probe = probe_video(path, with_hash=False)
            duration_s, frame_width = probe.duration_s, probe.width
        seconds: dict[str, float] = {}
        if sections is None:
            report = self.locator.scan(path, duration_s)
            sections = report.sections
            seconds["locate"] = report.seconds
        reading = CreditReading(str(path), duration_s, [], [])
        for k, section in enumerate(sections):
            until = min(sections[k + 1].start_s if k + 1 < len(sections) else duration_s,
                        section.end_s + self.settings.credits.follow_roll_s)
            result = self.reader.read(path, section.start_s, section.end_s, until)
            for key, value in result.seconds.items():
                seconds[key] = seconds.get(key, 0.0) + value
            started = time.perf_counter()
            unreadable = []
            for line in result.lines:
                reason = self._readable(line)
                if reason is not None:
                    line.readable = False
                    unreadable.append(UnreadableText(line.first_s, line.text, line.confidence, reason))
            lines = parse_credit_lines(result.lines, frame_width)
            if section.tentative and not cards_of_one_row(lines):
                log.info("credits: %s: the text found at %.1f-%.1f s reads as no cards of credits", path.name,
                         section.start_s, section.end_s)
                continue  # a title, caption or signs (card_rows.py), or footage text the wider look saw
            reading.sections.append(section)
            reading.unreadable.extend(unreadable)
            reading.lines.extend(lines)
            reading.text.extend(text_rows(result.lines))
            reading.overlays.extend(o.text for o in result.overlays)
            seconds["layout"] = seconds.get("layout", 0.0) + time.perf_counter() - started
        reading.seconds = seconds
        if reading.unreadable:
            log.warning("credits: %s: %d text line(s) unreadable (%s)", path.name, len(reading.unreadable),
                        reading.unreadable[0].reason)
        return reading
