"""Planning an ingest: probe and hash every file (in parallel Ray tasks), drop duplicates, and read each video's
checkpoint so only unfinished work is scheduled.

The checkpoint is the video document's ``stages`` field ({stage: version}), written last when a video's documents
are committed. A video whose configured stages all match is skipped; one with new or changed stages reruns those
(and, when ``shots`` is unchanged, reuses the stored segments).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ray

from vidsearch.config import Settings
from vidsearch.errors import MediaError, MissingDependency
from vidsearch.media.probe import VideoProbe, probe_video
from vidsearch.schema import IndexName
from vidsearch.sources.cache import ObjectCache
from vidsearch.sources.objects import ObjectEntry
from vidsearch.sources.settings import SourceSettings
from vidsearch.stages.base import Stage, VideoWork
from vidsearch.store.base import IndexBackend

log = logging.getLogger(__name__)


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class Plan:
    work: list[VideoWork] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # video ids already indexed by these stage versions
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, path of the same content)
    failures: list[FileFailure] = field(default_factory=list)
    # (stage, version in the checkpoint, version now) → videos whose checkpoint another pipeline version wrote
    outdated: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def outdated_notes(self) -> list[str]:
        """One line per stage whose stored version differs from this pipeline's: those stages rerun."""
        return [f"{count} video(s) have {stage} from pipeline version {old!r}, this one is {new!r}: rerunning it"
                for (stage, old, new), count in sorted(self.outdated.items())]


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
    wanted = {s.name: s.version for s in stages}
    same_content: dict[str, list[str]] = {}
    for path, original in plan.duplicates:
        same_content.setdefault(original, []).append(path)
    for probe in unique:
        done = {} if force else dict(existing.get(probe.video_id, {}).get("stages", {}))
        pending = [name for name, version in wanted.items() if done.get(name) != version]
        for name in pending:
            if name in done:
                key = (name, str(done[name]), str(wanted[name]))
                plan.outdated[key] = plan.outdated.get(key, 0) + 1
        if pending and "shots" in pending:  # new segments: every stage that reads them reruns
            pending = list(wanted)
        if not pending:
            plan.unchanged.append(probe.video_id)
            continue
        work = VideoWork.create(probe, settings.media_dir)
        work.video.path = probe.path  # a URI stays a URI (a Path would fold "s3://" into "s3:/")
        work.video.paths = [probe.path, *same_content.get(probe.path, [])]
        old = existing.get(probe.video_id)
        if old:
            work.video.paths = list(dict.fromkeys([*old.get("paths", []), *work.video.paths]))
        work.pending = pending
        work.done = {k: v for k, v in done.items() if k not in pending}
        plan.work.append(work)
    return plan
