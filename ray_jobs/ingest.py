"""The ingest job: list videos → probe/hash/checkpoint (Ray tasks) → stage actors (Ray Data ``map_batches``) →
the index sink. One row per video; frames never travel through the object store — each stage decodes what it needs.

Stages that need the same kind of device run together in one actor (a "stage group"): on a CPU machine that is
every stage, so a video is handed over once; on a GPU cluster, GPU stages get their own actor pool with
``num_gpus``. Actors ask for a fraction of a CPU so the sink's write tasks always find one (a pool of whole-CPU
actors on a 2-CPU machine starves the other tasks and hangs — see ENVIRONMENT.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import os
import pickle
import socket
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import ray
from ray.data import ActorPoolStrategy, DataContext

from vidsearch.config import Settings
from vidsearch.documents import Segment
from vidsearch.errors import VidsearchError
from vidsearch.ray_runtime import init_ray
from vidsearch.schema import IndexName
from vidsearch.stages import build_stages
from vidsearch.stages.base import StageFailure
from vidsearch.store import open_store
from vidsearch.sources.cache import ObjectCache
from vidsearch.sources.objects import ObjectEntry, is_object_uri, sidecar_uris
from vidsearch.sources.objects import exists as objects_exist
from vidsearch.store.base import SearchFilters
from ray_jobs.discover import Discovery, discover, discover_objects, split_inputs
from ray_jobs.placement import (
    StageGroup,
    group_remote_args,
    placement_report,
    plan_placement,
    pool_sizes,
    worker_label,
)
from ray_jobs.plan import Plan, plan_ingest, probe_files, probe_rows
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
    # stage group → Ray node id → videos analysed there (where GPU and CPU stages actually ran)
    placement: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # stage → why it reran → how many videos (from the checkpoint fingerprints)
    reruns: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def speed(self) -> float:
        """Video seconds indexed per wall second."""
        return self.video_seconds / self.wall_s if self.wall_s > 0 else 0.0

    def to_json(self) -> dict:
        return {**asdict(self), "video_seconds_per_wall_second": round(self.speed, 2)}


def ensure_ray(settings: Settings) -> None:
    init_ray(settings, log_to_driver=True)


@contextmanager
def localised(work, settings: Settings, cache: ObjectCache):
    """An object input as a local file (with its sidecar, if any) while the stages run; the video document keeps
    the URI. A cached copy whose bytes differ from the planned hash fails the video."""
    uri = work.video.path
    if not is_object_uri(uri):
        yield False
        return
    entry = ObjectEntry(uri, work.video.size_bytes or 0)
    with cache.hold(entry, settings.sources, expected_sha256=work.video.content_hash) as local:
        for sidecar in sidecar_uris(uri, settings.media.sidecar_suffix):  # what metadata fingerprinted
            cache.fetch_beside(local, sidecar, settings.sources)
        work.video.path = str(local.path)
        try:
            yield True
        finally:
            work.video.path = uri


class StageGroupActor:
    """Runs a group of stages over each video; models load once, in the constructor. The last group removes a
    video's cached object copy when it is done with it."""

    def __init__(self, settings: Settings, names: list[str], last_group: bool = True) -> None:
        logging.basicConfig(level=settings.log_level)
        self.worker = worker_label(StageGroup(tuple(names)), socket.gethostname(), os.getpid())
        self.settings = settings
        self.last_group = last_group
        self.cache = ObjectCache.for_settings(settings.sources, settings.data_dir)
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
            try:
                with localised(work, self.settings, self.cache) as remote:
                    self._run_stages(work)
                if remote and self.last_group:
                    self.cache.discard(ObjectEntry(work.video.path, work.video.size_bytes or 0))
            except VidsearchError as exc:  # the object could not be fetched (gone, changed, unreachable)
                work.failure = work.failure or StageFailure("fetch", type(exc).__name__, str(exc))
            work.spans.append((self.worker, started, time.time()))
            out.append(pickle.dumps(work, protocol=5))
        return {"video_id": batch["video_id"], "work": np.array(out, dtype=object)}

    def _run_stages(self, work) -> None:
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


def find_inputs(paths: list[str | Path], settings: Settings) -> tuple[Discovery, list[str]]:
    """Local files (walked) and the object URIs that exist. Checked before Ray starts: a refused or unreachable
    bucket fails in seconds and is reported as missing."""
    local, remote = split_inputs(paths)
    found = discover(local, settings.media.video_extensions)
    for uri in list(remote):
        if not objects_exist(uri, settings.sources, settings.media.video_extensions):
            found.missing.append(uri)
            remote.remove(uri)
    return found, remote


def probe_inputs(found: Discovery, remote: list[str], settings: Settings) -> list[dict]:
    """ffprobe + content hash of every input as Ray tasks. Object listings stream into the probe tasks: a prefix
    of 100,000 keys is never listed in full first."""
    objects = (discover_objects(uri, settings.sources, settings.media.video_extensions, found) for uri in remote)
    inputs = itertools.chain(found.files, itertools.chain.from_iterable(objects))
    return probe_files(probe_rows(inputs, settings), settings.ray.probe_cpus, spread=settings.ray.spread)


def run_ingest(paths: list[str | Path], settings: Settings, *, force: bool = False) -> IngestSummary:
    started = time.perf_counter()
    summary = IngestSummary(started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), wall_s=0.0)
    found, remote = find_inputs(paths, settings)

    stages = build_stages(settings)
    store = open_store(settings)
    try:
        models = {role: identity for s in stages for role, identity in s.models().items()}
        dims = {role: d for s in stages for role, d in s.dims().items()}
        store.ensure_indices({role: {"id": models[role], "dims": dims[role]} for role in models})

        ensure_ray(settings)
        groups, summary.warnings = plan_placement(stages, settings)
        ctx = DataContext.get_current()
        ctx.enable_progress_bars = settings.ray.progress_bars
        probes = probe_inputs(found, remote, settings)
        summary.missing_paths, summary.ignored_files = found.missing, found.ignored
        plan = plan_ingest(probes, stages, store, settings, force=force)
        summary.reruns = rerun_reasons(plan)
        summary.videos_unchanged = len(plan.unchanged)
        summary.duplicates = plan.duplicates
        summary.videos_failed = [(f.path, f.reason) for f in plan.failures]
        analysis_started = time.time()
        summary.phases["plan"] = round(time.perf_counter() - started, 3)
        outcomes = _analyse(plan.work, groups, settings, models) if plan.work else []
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
    summary.placement = placement_report(span for o in outcomes for span in o.spans)

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


def rerun_reasons(plan: Plan) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for work in plan.work:
        for stage, reason in work.reasons.items():
            out.setdefault(stage, {}).setdefault(reason, 0)
            out[stage][reason] += 1
    return out


def plan_only(paths: list[str | Path], settings: Settings, *, force: bool = False) -> tuple[Plan, list[str]]:
    """What ``run_ingest`` would do (probing and hashing the files, reading checkpoints), writing nothing:
    the plan and the paths that do not exist."""
    found, remote = find_inputs(paths, settings)
    stages = build_stages(settings)
    store = open_store(settings)
    try:
        ensure_ray(settings)
        DataContext.get_current().enable_progress_bars = settings.ray.progress_bars
        probes = probe_inputs(found, remote, settings)
        return plan_ingest(probes, stages, store, settings, force=force), found.missing
    finally:
        store.close()


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


def _analyse(work: list, groups: list[StageGroup], settings: Settings,
             models: dict[str, str]) -> list[VideoOutcome]:
    rows = [{"video_id": w.video_id, "work": pickle.dumps(w, protocol=5)} for w in work]
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    for position, (group, pool) in enumerate(zip(groups, pool_sizes(groups, settings), strict=True)):
        workers = max(1, min(pool, len(rows)))
        ds = ds.map_batches(
            StageGroupActor,
            fn_constructor_kwargs={"settings": settings, "names": list(group.names),
                                   "last_group": position == len(groups) - 1},
            batch_size=1,
            # Every actor starts with the job: the pool's autoscaler only adds one once the first actor's queue
            # is full, and it queues 4 inputs per actor by default — 4 videos never reached a second actor.
            # One video in flight per actor: a video is minutes of work, so the next one goes to whichever
            # actor frees up first instead of waiting in a busy actor's queue while another idles.
            compute=ActorPoolStrategy(min_size=1, max_size=workers, initial_size=workers,
                                      max_tasks_in_flight_per_actor=1),
            num_cpus=settings.ray.cpus_per_worker,
            **group_remote_args(group, settings),
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
