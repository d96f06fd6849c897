"""The ``credits`` stage: end-credit rolls → one Credit document per (role, name), and segments' credits_text.

Each credit carries the role as printed, the EBU codes ``vidsearch.credits.roles.assign`` gives it (several for a
composite title; none — status "unmapped", the raw title kept and searchable — below the calibrated confidence),
whether the name is a person or a company, the video's programme metadata, the moment its row is most readable
(``time_s``), the span the row is entirely on screen (``start_s``..``end_s``) and the segment showing it. A video without credits yields none, silently;
unreadable text is logged, never indexed.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from vidsearch.credits.layout import CreditLine
from vidsearch.credits.lexicon import is_company
from vidsearch.credits.pipeline import CreditExtractor, CreditReading
from vidsearch.documents import Credit, Segment, credit_id
from vidsearch.models.refs import (ModelRef, ocr_engine_ref, role_mapper_ref, site_role_titles_ref,
                                   text_detector_ref)
from vidsearch.schema import IndexName
from vidsearch.stages.base import Stage, StageResources, VideoWork

if TYPE_CHECKING:
    from vidsearch.credits.roles.assign import RoleAssignment

log = logging.getLogger(__name__)


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace(" ", "").casefold()


def credit_pairs(lines: Sequence[CreditLine], repeat_after_s: float = 30.0) -> list[tuple[CreditLine, str]]:
    """(row, name) once per distinct (role, name) and showing: the same credit read twice (two detections of one
    row) is one; shown again later (a second roll in the programme) it is another."""
    last_seen: dict[tuple[str, str], float] = {}
    out = []
    for line in sorted(lines, key=lambda x: x.time):
        for name in line.names:
            key = (_key(line.role_text), _key(name))
            previous = last_seen.get(key)
            if previous is None or line.start_time - previous > repeat_after_s:
                out.append((line, name))
            last_seen[key] = max(previous or line.end_time, line.end_time)
    return out


def segment_at(segments: Sequence[Segment], t: float) -> Segment | None:
    for segment in segments:
        if segment.start_s <= t < segment.end_s:
            return segment
    return segments[-1] if segments and t >= segments[-1].end_s else None


class CreditStage(Stage):
    name = "credits"
    version = "10"  # 8: role titles rewritten only on the recogniser's doubt (unsure English words up to
    # two edits); comma votes, letter-part dots, symbols in titles; a spaced name is no heading; one column of a
    # two-column card is a card row; 9: a sure title read a repair would change is read again from its crop; a
    # still card's lines are read from its frames at peak contrast; a heading never joins the heading or name
    # beside it as a wrapped title where headings share the names' type; a crop read as nothing is read at ×2;
    # 10: a blank crop is read from its brightness; composite titles stay whole; a line read from one crop gets a
    # second look below a sure word
    requires = ("shots",)
    owns: ClassVar[frozenset[IndexName]] = frozenset({IndexName.CREDITS})
    # credit documents carry the programme's metadata
    reads = frozenset({"segments", "title", "programme_title", "channel", "air_date"})
    writes = frozenset({"credits", "credits_text"})
    affects = ("credits", "ocr")

    def model_refs(self) -> list[ModelRef]:
        if not self.settings.credits.enabled:
            return []
        site_titles = site_role_titles_ref(self.settings)  # archivists' role-title mappings the mapper learns
        return [text_detector_ref(self.settings), ocr_engine_ref(self.settings), role_mapper_ref(self.settings),
                *([site_titles] if site_titles else [])]

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0, memory_mb=1500)

    def load(self) -> None:
        if getattr(self, "extractor", None) is None:
            self.extractor = CreditExtractor.from_settings(self.settings)
        if getattr(self, "assigner", None) is None:
            from vidsearch.credits.roles import load_role_mapper  # torch: imported when the stage loads
            from vidsearch.credits.roles.assign import RoleAssigner

            credits = self.settings.credits
            self.assigner = RoleAssigner(load_role_mapper(self.settings), credits.role_min_confidence,
                                         credits.role_min_margin)

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
        assigned: dict[str, RoleAssignment] = {}
        if roles:
            assigned = dict(zip(roles, self.assigner.assign(roles), strict=True))
        video = work.video
        credits = []
        for position, (line, name) in enumerate(pairs):
            role = assigned.get(line.role_text)
            match = role.best if role else None
            segment = segment_at(work.segments, line.time)
            credits.append(Credit(
                id=credit_id(video.id, position), video_id=video.id,
                segment_id=segment.id if segment else None, time_s=round(line.time, 3),
                start_s=round(line.start_time, 3), end_s=round(line.end_time, 3),
                role_text=line.role_text, name=name, kind="company" if is_company(name) else "person",
                confidence=round(line.confidence, 4),
                role_code=match.code if match else None, role_codes=[m.code for m in role.codes] if role else [],
                role_label=" · ".join(m.label for m in role.codes) if role and role.codes else None,
                role_status=role.status.value if role else None,
                role_confidence=role.confidence if role else None,
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
