"""What is indexed and what built it: the store's counts and encoders, each video's stage versions, the last job."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from vidsearch.config import Settings
from vidsearch.schema import IndexName
from vidsearch.stages import build_stages
from vidsearch.store import open_store


def collect_status(settings: Settings) -> dict[str, Any]:
    from ray_jobs.ingest import latest_summary

    store = open_store(settings)
    try:
        stats = store.stats()
        versions: Counter[str] = Counter()
        for _, video in store.scan(IndexName.VIDEOS):
            stages = video.get("stages", {})
            versions[", ".join(f"{k}@{v}" for k, v in sorted(stages.items()))] += 1
    finally:
        store.close()
    configured = ", ".join(f"{s.name}@{s.version}" for s in build_stages(settings))
    return {
        "store": {"backend": stats.backend, "location": stats.location, "counts": stats.counts,
                  "encoders": stats.encoders, **stats.extra},
        "stage_versions": dict(versions),
        "configured_stages": configured,
        "last_job": latest_summary(settings),
        "settings": json.loads(json.dumps(settings.public_dict(), default=str)),
    }
