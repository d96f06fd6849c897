"""The Ray Data sink that commits each finished video to the index backend.

Each video is committed as one ``VideoBundle``: its segments (and persons/credits when those stages ran), stale
documents of the indices the rerun stages own removed, and the video document last — the checkpoint. A video that
failed in a stage is not committed; its failure travels back to the driver as the write task's return value.
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from ray.data import Datasink
from ray.data.datasource.datasink import WriteResult

from vidsearch.config import Settings
from vidsearch.edits.overlay import overlay_bundle
from vidsearch.schema import IndexName
from vidsearch.stages import stage_class
from vidsearch.stages.base import VideoWork
from vidsearch.store import open_store
from vidsearch.store.base import VideoBundle

log = logging.getLogger(__name__)


@dataclass
class VideoOutcome:
    video_id: str
    path: str
    ok: bool
    reason: str | None = None
    duration_s: float = 0.0
    segments: int = 0
    persons: int = 0
    credits: int = 0
    stages: dict[str, dict] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # stage → why it reran
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    spans: list[tuple[str, float, float]] = field(default_factory=list)  # (worker, started, finished), epoch s
    committed_at: float = 0.0  # epoch seconds


def checkpoint_records(work: VideoWork) -> dict[str, dict]:
    """Each stage's checkpoint record: the plan's fingerprint record for a stage that ran (with any problem it
    worked around), the stored record for one that did not. Work built outside a plan (no records) is recorded
    by version only, so the next planned run sees it as stale."""
    stored = work.previous.get("stages", {}) if work.previous else {}
    records: dict[str, dict] = {}
    for name, version in {**work.done, **work.ran}.items():
        if name in work.ran or not isinstance(stored.get(name), dict):
            record = dict(work.records.get(name) or {"version": version})
            if name in work.problems:
                record["problem"] = work.problems[name]
        else:
            record = stored[name]
        records[name] = record
    return records


def bundle_for(work: VideoWork, encoders: dict[str, str]) -> VideoBundle:
    video = work.video
    video.stages = checkpoint_records(work)
    video.encoders = encoders
    video.indexed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    video.segment_count = len(work.segments)
    owned: set[IndexName] = {IndexName.SEGMENTS}  # segments are rewritten whole on every run
    for name in work.ran:
        owned |= stage_class(name).owns
    docs: dict[IndexName, list] = {IndexName.SEGMENTS: [(s.id, s.to_doc()) for s in work.segments]}
    if IndexName.PERSONS in owned:
        docs[IndexName.PERSONS] = [(p.id, p.to_doc()) for p in work.persons]
        video.person_count = len(work.persons)
    if IndexName.CREDITS in owned:
        docs[IndexName.CREDITS] = [(c.id, c.to_doc()) for c in work.credits]
        video.credit_count = len(work.credits)
    return VideoBundle(video.id, video.to_doc(), docs, frozenset(owned))


def _payloads(block) -> Iterable[bytes]:
    column = block["work"]
    return column.to_pylist() if hasattr(column, "to_pylist") else list(column)


class IndexSink(Datasink):
    def __init__(self, settings: Settings, encoders: dict[str, str]) -> None:
        self.settings = settings
        self.encoders = encoders
        self.outcomes: list[VideoOutcome] = []

    def write(self, blocks: Iterable, ctx) -> list[VideoOutcome]:
        store = open_store(self.settings)
        outcomes = []
        try:
            for block in blocks:
                for payload in _payloads(block):
                    outcomes.append(self._commit(store, pickle.loads(payload)))
        finally:
            store.close()
        return outcomes

    def _commit(self, store, work: VideoWork) -> VideoOutcome:
        outcome = VideoOutcome(work.video_id, work.video.path, ok=False, duration_s=work.probe.duration_s,
                               seconds=dict(work.seconds), warnings=list(work.warnings),
                               spans=list(work.spans))
        if work.failure is not None:
            outcome.reason = str(work.failure)
            log.warning("video %s (%s) failed in %s", work.video_id, work.video.path, outcome.reason)
            return outcome
        bundle = bundle_for(work, self.encoders)
        edits = overlay_bundle(store, self.settings, bundle)  # archivists' edits win over the new analysis
        if edits.flagged or edits.orphaned:
            outcome.warnings.append(f"{len(edits.flagged) + len(edits.orphaned)} edited item(s) flagged for review "
                                    "(`vidsearch edits review`)")
        report = store.commit_video(bundle)
        if report.failed:
            outcome.reason = "documents rejected: " + "; ".join(f"{i}: {r}" for i, r in report.failed[:5])
            return outcome
        outcome.ok = True
        outcome.segments = len(work.segments)
        outcome.persons = len(work.persons)
        outcome.credits = len(work.credits)
        outcome.stages = bundle.video["stages"]
        outcome.reasons = dict(work.reasons)
        outcome.committed_at = time.time()
        return outcome

    def on_write_complete(self, write_result: WriteResult) -> None:
        self.outcomes = [o for returned in write_result.write_returns for o in returned]
