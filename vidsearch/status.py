"""What is indexed and what built it: the store's counts and encoders, each video's stage versions, which videos
are stale per stage and why (their checkpoint fingerprints against the configuration and files now), the last job.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from vidsearch.config import Settings
from vidsearch.schema import IndexName
from vidsearch.sources.objects import ObjectStoreError, is_object_uri
from vidsearch.stages import build_stages
from vidsearch.stages.graph import CheckpointTooNew, StageGraph
from vidsearch.store import open_store


def _version(record: Any) -> str:
    return str(record.get("version", "?")) if isinstance(record, dict) else str(record)


def staleness(videos: list[tuple[str, dict]], graph: StageGraph) -> dict[str, Any]:
    """Per stage, the stored videos whose output is stale and why; videos whose file is gone (they cannot be
    rerun from here), refused checkpoints, and problems stages worked around (an invalid sidecar).

    Object-storage videos (``s3://…``) are not fetched: their fingerprints read the sidecar objects beside them, and
    a bucket that cannot be reached puts them under ``unreachable`` instead of calling them missing.
    """
    stale: dict[str, list[dict[str, str]]] = {s.name: [] for s in graph.stages}
    missing, refused, problems, unreachable = [], [], [], []
    for video_id, doc in videos:
        raw = doc.get("path", "")
        remote = is_object_uri(raw)
        path: Path | str = raw if remote else Path(raw)
        checkpoint = doc.get("stages", {})
        for name, record in checkpoint.items():
            if isinstance(record, dict) and record.get("problem"):
                problems.append({"video_id": video_id, "path": str(path), "stage": name,
                                 "problem": record["problem"]})
        if not remote and not path.is_file():
            missing.append({"video_id": video_id, "path": str(path)})
            continue
        try:
            reasons = graph.stale(checkpoint, graph.inputs_for(path), video_id)
        except CheckpointTooNew as exc:
            refused.append({"video_id": video_id, "path": str(path), "reason": str(exc)})
            continue
        except ObjectStoreError as exc:
            unreachable.append({"video_id": video_id, "path": str(path), "reason": exc.reason})
            continue
        for name, reason in reasons.items():
            stale[name].append({"video_id": video_id, "path": str(path), "reason": reason})
    return {"by_stage": stale, "missing_files": missing, "refused": refused, "problems": problems,
            "unreachable": unreachable}


def collect_status(settings: Settings) -> dict[str, Any]:
    from ray_jobs.ingest import latest_summary

    stages = build_stages(settings)
    store = open_store(settings)
    try:
        stats = store.stats()
        videos = list(store.scan(IndexName.VIDEOS))
    finally:
        store.close()
    versions: Counter[str] = Counter()
    for _, video in videos:
        stages_done = video.get("stages", {})
        versions[", ".join(f"{k}@{_version(v)}" for k, v in sorted(stages_done.items()))] += 1
    configured = ", ".join(f"{s.name}@{s.version}" for s in stages)
    return {
        "store": {"backend": stats.backend, "location": stats.location, "counts": stats.counts,
                  "encoders": stats.encoders, **stats.extra},
        "stage_versions": dict(versions),
        "configured_stages": configured,
        "stale": staleness(videos, StageGraph(stages, settings)),
        "last_job": latest_summary(settings),
        "settings": json.loads(json.dumps(settings.public_dict(), default=str)),
    }
