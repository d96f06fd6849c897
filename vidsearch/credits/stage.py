"""The ``credits`` stage: end-credit rolls → one Credit document per (role, name), and segments' credits_text.

Each credit carries the role as printed, the EBU code/label/department ``vidsearch.credits.roles`` maps it
to (none when the mapper calls it an unknown role), the video's programme metadata, the moment the line is
first entirely on screen and the segment showing it. A video without credits yields none, silently;
unreadable text is logged, never indexed.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from vidsearch.credits.layout import CreditLine
from vidsearch.credits.pipeline import CreditExtractor, CreditReading
from vidsearch.documents import Credit, Segment, credit_id
from vidsearch.models.refs import ModelRef, ocr_engine_ref, role_mapper_ref, text_detector_ref
from vidsearch.schema import IndexName
from vidsearch.stages.base import Stage, StageResources, VideoWork

if TYPE_CHECKING:
    from vidsearch.credits.roles import RoleMapper, RoleMatch

log = logging.getLogger(__name__)


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace(" ", "").casefold()


def credit_pairs(lines: Sequence[CreditLine]) -> list[tuple[CreditLine, str]]:
    """(line, name) once per distinct (role, name), at its first appearance."""
    seen: set[tuple[str, str]] = set()
    out = []
    for line in sorted(lines, key=lambda x: x.time):
        for name in line.names:
            key = (_key(line.role_text), _key(name))
            if key not in seen:
                seen.add(key)
                out.append((line, name))
    return out


def segment_at(segments: Sequence[Segment], t: float) -> Segment | None:
    for segment in segments:
        if segment.start_s <= t < segment.end_s:
            return segment
    return segments[-1] if segments and t >= segments[-1].end_s else None


class CreditStage(Stage):
    name = "credits"
    version = "1"
    requires = ("shots",)
    owns: ClassVar[frozenset[IndexName]] = frozenset({IndexName.CREDITS})
    # credit documents carry the programme's metadata
    reads = frozenset({"segments", "title", "programme_title", "channel", "air_date"})
    writes = frozenset({"credits", "credits_text"})
    affects = ("credits", "ocr")

    def model_refs(self) -> list[ModelRef]:
        if not self.settings.credits.enabled:
            return []
        return [text_detector_ref(self.settings), ocr_engine_ref(self.settings), role_mapper_ref(self.settings)]

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0, memory_mb=1500)

    def load(self) -> None:
        if getattr(self, "extractor", None) is None:
            self.extractor = CreditExtractor.from_settings(self.settings)
        if getattr(self, "mapper", None) is None:
            from vidsearch.credits.roles import load_role_mapper  # torch: imported when the stage loads

            self.mapper: RoleMapper = load_role_mapper(self.settings)

    def process(self, work: VideoWork) -> None:
        work.credits = []
        if not self.settings.credits.enabled:
            return
        self.load()
        reading = self.extractor.extract(work.path, work.video.duration_s, work.video.width)
        for item in reading.unreadable:
            log.warning("credits [%s]: unreadable text at %.1f s (%s)", work.video_id, item.time, item.reason)
        work.credits = self.credits_for(work, reading)
        self._annotate_segments(work)
        log.info("credits [%s]: %d credits from %d section(s)", work.video_id, len(work.credits),
                 len(reading.sections))

    def credits_for(self, work: VideoWork, reading: CreditReading) -> list[Credit]:
        pairs = credit_pairs(reading.lines)
        roles = sorted({line.role_text for line, _ in pairs})
        mapped: dict[str, RoleMatch | None] = {}
        if roles:
            mapped = {role: mapping.best for role, mapping in zip(roles, self.mapper.map(roles), strict=True)}
        video = work.video
        credits = []
        for position, (line, name) in enumerate(pairs):
            match = mapped.get(line.role_text)
            segment = segment_at(work.segments, line.time)
            credits.append(Credit(
                id=credit_id(video.id, position), video_id=video.id,
                segment_id=segment.id if segment else None, time_s=round(line.time, 3),
                end_s=round(line.end_time, 3) if line.end_time else None,
                role_text=line.role_text, name=name, confidence=round(line.confidence, 4),
                role_code=match.code if match else None, role_label=match.label if match else None,
                department=match.department if match else None, line_text=line.line_text or None,
                title=video.title, programme_title=video.programme_title, channel=video.channel,
                air_date=video.air_date,
            ))
        return credits

    @staticmethod
    def _annotate_segments(work: VideoWork) -> None:
        """Each segment the credits overlap gets their text, so segment search finds the credit roll."""
        for segment in work.segments:
            parts = [f"{c.role_text} {c.name}" for c in work.credits
                     if c.time_s < segment.end_s and (c.end_s or c.time_s) >= segment.start_s]
            segment.credits_text = "\n".join(dict.fromkeys(parts)) or None
