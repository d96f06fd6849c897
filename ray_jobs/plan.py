"""Planning an ingest: probe and hash every file (in parallel Ray tasks), drop duplicates, and read each video's
checkpoint so only stale work is scheduled.

The checkpoint is the video document's ``stages`` field ({stage: record}), written last when a video's documents
are committed. Each record holds the stage's output fingerprint and what it was made of
(``vidsearch.stages.graph``); a stage reruns when its fingerprint differs from the one the configuration and the
files on disk give now, which covers everything downstream of a change. A video whose fingerprints all match is
skipped.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import ray

from vidsearch.config import Settings
from vidsearch.documents import Video
from vidsearch.errors import MediaError, MissingDependency
from vidsearch.media.probe import VideoProbe, probe_video
from vidsearch.schema import IndexName
from vidsearch.sources.cache import ObjectCache
from vidsearch.sources.objects import ObjectEntry, is_object_uri
from vidsearch.sources.settings import SourceSettings
from vidsearch.stages.base import Stage, VideoWork
from vidsearch.stages.graph import CheckpointTooNew, StageGraph, StageInputs
from vidsearch.store.base import IndexBackend

log = logging.getLogger(__name__)


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class Plan:
    work: list[VideoWork] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # video ids whose every stage fingerprint matches
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, path of the same content)
    failures: list[FileFailure] = field(default_factory=list)


def _probe_object(row: dict) -> VideoProbe:
    """Stream the object into this node's cache (hashing it on the way), ffprobe the local copy, and keep it
    cached for the stage actor; a failed probe removes it at once."""
    entry = ObjectEntry(*row["entry"])
    sources = SourceSettings.model_validate_json(row["sources"])
    cache = ObjectCache(Path(row["cache_dir"]), sources.cache_bytes)
    try:
        with cache.hold(entry, sources) as local:
            probe = probe_video(local.path, with_hash=False)
    except MediaError as exc:
        cache.discard(entry)
        raise type(exc)(entry.uri, exc.reason) from None
    return dataclasses.replace(probe, path=entry.uri, content_hash=local.sha256)


def _probe_row(row: dict) -> dict:
    try:
        probe = _probe_object(row) if "entry" in row else probe_video(row["path"])
        return {"path": row["path"], "probe": probe, "error": None}
    except (MediaError, MissingDependency) as exc:
        return {"path": row["path"], "probe": None, "error": str(exc)}


def probe_rows(inputs: Iterable[Path | str | ObjectEntry], settings: Settings) -> Iterable[dict]:
    """One task argument per input: a local path, or an object with what its task needs to fetch it."""
    sources_json = settings.sources.model_dump_json()
    cache_dir = str(settings.sources.cache_dir or settings.data_dir / "cache" / "objects")
    for item in inputs:
        if isinstance(item, ObjectEntry):
            yield {"path": item.uri, "entry": (item.uri, item.size, item.etag), "sources": sources_json,
                   "cache_dir": cache_dir}
        else:
            yield {"path": str(item)}


def probe_files(rows: Iterable[dict], cpus: float, *, spread: bool = False) -> list[dict]:
    """ffprobe + SHA-256 of each input as Ray tasks, results in input order. ``rows`` may be a stream (an
    object listing): it is consumed as tasks free up.

    At most as many tasks run at once as the cluster has CPUs: each running task holds a worker process, and
    fractional tasks submitted all at once had Ray start one process per file (~1–2 s of CPU each). The tasks
    stay fractional so they also fit beside Serve replicas that hold most of a small machine's CPUs."""
    options: dict = {"num_cpus": cpus}
    if spread:
        options["scheduling_strategy"] = "SPREAD"
    probe_task = ray.remote(**options)(_probe_row)
    window = max(1, int(ray.cluster_resources().get("CPU", 1)))
    results: list[dict] = []
    running: dict[ray.ObjectRef, int] = {}
    for index, row in enumerate(rows):
        if len(running) >= window:
            (done,), _ = ray.wait(list(running), num_returns=1)
            results[running.pop(done)] = ray.get(done)
        results.append({})
        running[probe_task.remote(row)] = index
    for ref, index in running.items():
        results[index] = ray.get(ref)
    return results


OBJECT_INPUT_THREADS = 16  # per-video inputs of object URIs (sidecar GETs) fetched at once while planning


def video_inputs(graph: StageGraph, probes: list[VideoProbe]) -> list[dict[str, StageInputs]]:
    """Each video's stage inputs, in order. Object URIs stay URIs (their sidecars are objects); their inputs
    are fetched by several threads at once, since each can be a request to the store."""
    paths: list[Path | str] = [p.path if is_object_uri(p.path) else Path(p.path) for p in probes]
    if not any(isinstance(p, str) for p in paths):
        return [graph.inputs_for(p) for p in paths]
    first = graph.inputs_for(paths[0])  # fills the graph's per-stage parts (model checksums) once
    with ThreadPoolExecutor(OBJECT_INPUT_THREADS) as pool:
        return [first, *pool.map(graph.inputs_for, paths[1:])]


def plan_ingest(probes: list[dict], stages: list[Stage], store: IndexBackend, settings: Settings,
                force: bool = False) -> Plan:
    plan = Plan()
    first_path: dict[str, str] = {}
    unique: list[VideoProbe] = []
    for row in probes:
        if row["error"] is not None:
            plan.failures.append(FileFailure(row["path"], row["error"]))
            continue
        probe: VideoProbe = row["probe"]
        if probe.video_id in first_path:
            plan.duplicates.append((probe.path, first_path[probe.video_id]))
            continue
        first_path[probe.video_id] = probe.path
        unique.append(probe)

    existing = store.get(IndexName.VIDEOS, [p.video_id for p in unique]) if unique else {}
    graph = StageGraph(stages, settings)
    same_content: dict[str, list[str]] = {}
    for path, original in plan.duplicates:
        same_content.setdefault(original, []).append(path)
    for probe, current in zip(unique, video_inputs(graph, unique), strict=True):
        old = existing.get(probe.video_id) or {}
        checkpoint = dict(old.get("stages", {}))
        if force:
            stale = {s.name: "forced (--force)" for s in stages}
        else:
            try:
                stale = graph.stale(checkpoint, current, probe.video_id)
            except CheckpointTooNew as exc:
                plan.failures.append(FileFailure(probe.path, str(exc)))
                continue
        if not stale:
            plan.unchanged.append(probe.video_id)
            continue
        work = VideoWork.create(probe, settings.media_dir)
        work.video.path = probe.path  # a URI stays a URI (a Path would fold "s3://" into "s3:/")
        work.video.paths = [probe.path, *same_content.get(probe.path, [])]
        if old:
            work.video.paths = list(dict.fromkeys([*old.get("paths", []), *work.video.paths]))
            carry_over(work, old)
        work.pending = list(stale)
        work.reasons = stale
        work.records = {name: inputs.record() for name, inputs in current.items()}
        work.done = {s.name: s.version for s in stages if s.name not in stale}
        plan.work.append(work)
    return plan


# Video fields a stage writes, kept from the stored document when that stage does not rerun.
_KEPT_FIELDS = ("title", "programme_title", "channel", "air_date", "synopsis", "person_count", "credit_count")


def carry_over(work: VideoWork, old: dict) -> None:
    """A rerun of some stages keeps what the others wrote into the video document (programme metadata, counts):
    the document is rewritten whole at the commit."""
    work.previous = old
    kept = {name: old[name] for name in _KEPT_FIELDS if old.get(name) is not None}
    if kept:
        work.video = Video.from_doc(work.video.id, {**work.video.to_doc(), **kept})
