"""The ingest job: list videos → probe/hash/checkpoint (Ray tasks) → stage actors (Ray Data ``map_batches``) →
the index sink. One row per video; frames never travel through the object store — each stage decodes what it needs.

Stages that need the same kind of device run together in one actor (a "stage group"): on a CPU machine that is
every stage, so a video is handed over once; on a GPU cluster, GPU stages get their own actor pool with
``num_gpus``. Actors ask for a fraction of a CPU so the sink's write tasks always find one (a pool of whole-CPU
actors on a 2-CPU machine starves the other tasks and hangs — see ENVIRONMENT.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import pickle
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import ray
from ray.data import ActorPoolStrategy, DataContext

from vidsearch.config import Settings
from vidsearch.documents import Segment
from vidsearch.errors import VidsearchError
from vidsearch.schema import IndexName
from vidsearch.stages import build_stages
from vidsearch.stages.base import Stage, StageFailure
from vidsearch.store import open_store
from vidsearch.store.base import SearchFilters
from ray_jobs.discover import discover
from ray_jobs.plan import plan_ingest, probe_files
from ray_jobs.sink import IndexSink, VideoOutcome

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    started: str
    wall_s: float
    videos_ok: int = 0
    videos_failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    videos_unchanged: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, same content as)
    missing_paths: list[str] = field(default_factory=list)
    ignored_files: int = 0
    segments: int = 0
    persons: int = 0
    credits: int = 0
    video_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # where the wall time went: start-up + probing/hashing + checkpoint reads ("plan"), analysis and commits
    # ("analyse"), the store's compaction ("compact")
    phases: dict[str, float] = field(default_factory=dict)
    # per Ray actor: videos handled, seconds busy, and when (seconds after the analysis phase began) it
    # started its first video and finished its last — an actor that starts late or sits idle shows here
    workers: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def speed(self) -> float:
        """Video seconds indexed per wall second."""
        return self.video_seconds / self.wall_s if self.wall_s > 0 else 0.0

    def to_json(self) -> dict:
        return {**asdict(self), "video_seconds_per_wall_second": round(self.speed, 2)}


def ensure_ray(settings: Settings) -> None:
    if ray.is_initialized():
        return
    kwargs: dict = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": True}
    if settings.ray.address:
        kwargs["address"] = settings.ray.address
    elif settings.ray.num_cpus:
        kwargs["num_cpus"] = settings.ray.num_cpus
    ray.init(**kwargs)


def stage_groups(stages: list[Stage]) -> list[list[Stage]]:
    """Consecutive stages with the same device needs (CPU-only vs GPU) share an actor."""
    groups: list[list[Stage]] = []
    for stage in stages:
        gpu = stage.resources().num_gpus > 0
        if groups and (groups[-1][0].resources().num_gpus > 0) == gpu:
            groups[-1].append(stage)
        else:
            groups.append([stage])
    return groups


class StageGroupActor:
    """Runs a group of stages over each video; models load once, in the constructor."""

    def __init__(self, settings: Settings, names: list[str]) -> None:
        logging.basicConfig(level=settings.log_level)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.settings = settings
        self.stages = [s for s in build_stages(settings) if s.name in names]
        for stage in self.stages:
            stage.load()
        self._store = None

    def _restore_segments(self, work) -> None:
        """A rerun that keeps the shots reuses the stored segments with every field, vectors included, that the
        stages not rerun wrote earlier (they are rewritten whole)."""
        if self._store is None:
            self._store = open_store(self.settings)
        docs = self._store.scan(IndexName.SEGMENTS, SearchFilters(video_ids=[work.video_id]), with_vectors=True)
        work.segments = sorted((Segment.from_doc(i, d) for i, d in docs), key=lambda s: s.index)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = []
        for payload in batch["work"]:
            work = pickle.loads(payload)
            started = time.time()
            for stage in self.stages:
                if work.failure is not None or stage.name not in work.pending:
                    continue
                try:
                    if not work.segments and "shots" not in work.pending:
                        self._restore_segments(work)
                    stage.run(work)
                except VidsearchError as exc:
                    work.failure = StageFailure(stage.name, type(exc).__name__, str(exc))
                except Exception as exc:  # a bug must not sink the batch; it is recorded and logged in full
                    log.exception("stage %s failed on video %s (%s)", stage.name, work.video_id, work.video.path)
                    work.failure = StageFailure(stage.name, type(exc).__name__, f"unexpected error: {exc!r}")
            work.spans.append((self.worker, started, time.time()))
            out.append(pickle.dumps(work, protocol=5))
        return {"video_id": batch["video_id"], "work": np.array(out, dtype=object)}


def run_ingest(paths: list[str | Path], settings: Settings, *, force: bool = False) -> IngestSummary:
    started = time.perf_counter()
    summary = IngestSummary(started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), wall_s=0.0)
    found = discover(paths, settings.media.video_extensions)
    summary.missing_paths, summary.ignored_files = found.missing, found.ignored

    stages = build_stages(settings)
    store = open_store(settings)
    try:
        models = {role: identity for s in stages for role, identity in s.models().items()}
        dims = {role: d for s in stages for role, d in s.dims().items()}
        store.ensure_indices({role: {"id": models[role], "dims": dims[role]} for role in models})

        ensure_ray(settings)
        ctx = DataContext.get_current()
        ctx.enable_progress_bars = settings.ray.progress_bars
        probes = probe_files(found.files, settings.ray.probe_cpus)
        plan = plan_ingest(probes, stages, store, settings, force=force)
        summary.videos_unchanged = len(plan.unchanged)
        summary.duplicates = plan.duplicates
        summary.videos_failed = [(f.path, f.reason) for f in plan.failures]
        analysis_started = time.time()
        summary.phases["plan"] = round(time.perf_counter() - started, 3)
        outcomes = _analyse(plan.work, stages, settings, models) if plan.work else []
        summary.phases["analyse"] = round(time.time() - analysis_started, 3)
        if outcomes:  # when the last video was committed: the rest of "analyse" is Ray Data winding down
            summary.phases["last_commit"] = round(max(o.committed_at for o in outcomes) - analysis_started, 3)
        if any(o.ok and "faces" in o.stages for o in outcomes):  # identities: once, after every commit
            from vidsearch.faces.linking import link_after_ingest

            link_started = time.perf_counter()
            link_after_ingest(settings, store)
            summary.phases["link_identities"] = round(time.perf_counter() - link_started, 3)
        compacted = getattr(store, "compact", None)
        if compacted is not None and outcomes:
            compact_started = time.perf_counter()
            compacted()
            summary.phases["compact"] = round(time.perf_counter() - compact_started, 3)
    finally:
        store.close()
    summary.workers = worker_report(outcomes, analysis_started)

    for outcome in outcomes:
        if outcome.ok:
            summary.videos_ok += 1
            summary.segments += outcome.segments
            summary.persons += outcome.persons
            summary.credits += outcome.credits
            summary.video_seconds += outcome.duration_s
        else:
            summary.videos_failed.append((outcome.path, outcome.reason or "unknown"))
        summary.warnings.extend(outcome.warnings)
        for name, seconds in outcome.seconds.items():
            summary.stage_seconds[name] = round(summary.stage_seconds.get(name, 0.0) + seconds, 3)
    summary.wall_s = round(time.perf_counter() - started, 3)
    _save(summary, settings)
    return summary


def worker_report(outcomes: list[VideoOutcome], since: float) -> dict[str, dict[str, float]]:
    """Per actor: videos, busy seconds, first start and last finish (seconds after ``since``)."""
    workers: dict[str, dict[str, float]] = {}
    for outcome in outcomes:
        for worker, begin, end in outcome.spans:
            row = workers.setdefault(worker, {"videos": 0, "busy_s": 0.0, "first_start_s": float("inf"),
                                              "last_end_s": 0.0})
            row["videos"] += 1
            row["busy_s"] += end - begin
            row["first_start_s"] = min(row["first_start_s"], begin - since)
            row["last_end_s"] = max(row["last_end_s"], end - since)
    return {w: {k: round(v, 3) for k, v in row.items()} for w, row in sorted(workers.items())}


def _analyse(work: list, stages: list[Stage], settings: Settings, models: dict[str, str]) -> list[VideoOutcome]:
    rows = [{"video_id": w.video_id, "work": pickle.dumps(w, protocol=5)} for w in work]
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    workers = max(1, min(settings.ray.workers, len(rows)))
    for group in stage_groups(stages):
        gpus = max(s.resources().num_gpus for s in group)
        ds = ds.map_batches(
            StageGroupActor,
            fn_constructor_kwargs={"settings": settings, "names": [s.name for s in group]},
            batch_size=1,
            # Every actor starts with the job: the pool's autoscaler only adds one once the first actor's queue
            # is full, and it queues 4 inputs per actor by default — 4 videos never reached a second actor.
            # One video in flight per actor: a video is minutes of work, so the next one goes to whichever
            # actor frees up first instead of waiting in a busy actor's queue while another idles.
            compute=ActorPoolStrategy(min_size=1, max_size=workers, initial_size=workers,
                                      max_tasks_in_flight_per_actor=1),
            num_cpus=settings.ray.cpus_per_worker,
            num_gpus=gpus or None,
        )
    sink = IndexSink(settings, models)
    ds.write_datasink(sink, ray_remote_args={"num_cpus": settings.ray.write_cpus})
    return sink.outcomes


def _save(summary: IngestSummary, settings: Settings) -> Path:
    settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = settings.jobs_dir / f"ingest-{stamp}.json"
    path.write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def latest_summary(settings: Settings) -> dict | None:
    if not settings.jobs_dir.is_dir():
        return None
    runs = sorted(settings.jobs_dir.glob("ingest-*.json"))
    return json.loads(runs[-1].read_text(encoding="utf-8")) if runs else None
