"""What tests and benchmarks share: scoring persons against a composed video's exact truth, and indexing
videos through the real stages in this process (no Ray; the Ray path is ingest's and has its own tests)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from math import comb
from pathlib import Path

from vidsearch.config import Settings
from testkit.faces.composer import ComposedVideo
from vidsearch.faces.persons import PersonCluster


def sighting_labels(
    video: ComposedVideo, persons: Sequence[PersonCluster]
) -> tuple[list[str], list[int], int]:
    """(true identity, person) per sighting in the persons' tracks, and how many sightings matched nobody."""
    truth, found, stray = [], [], 0
    for person in persons:
        for track in person.tracks:
            for sighting in track.sightings:
                identity = video.identity_at(sighting.t, sighting.box)
                if identity is None:
                    stray += 1
                    continue
                truth.append(identity)
                found.append(person.cluster)
    return truth, found, stray


def pairwise_scores(truth: Sequence, found: Sequence) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1: over all pairs of items, is 'same cluster' right?"""
    together_found = sum(comb(n, 2) for n in Counter(found).values())
    together_true = sum(comb(n, 2) for n in Counter(truth).values())
    both = sum(comb(n, 2) for n in Counter(zip(truth, found, strict=True)).values())
    precision = both / together_found if together_found else 1.0
    recall = both / together_true if together_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def majority_identity(video: ComposedVideo, person: PersonCluster) -> str | None:
    votes = Counter(video.identity_at(s.t, s.box) for t in person.tracks for s in t.sightings)
    votes.pop(None, None)
    return votes.most_common(1)[0][0] if votes else None


def boundary_errors(
    truth: Sequence[tuple[float, float]], found: Sequence[tuple[float, float]]
) -> list[float]:
    """Per true span, the larger of its start and end errors against the found span overlapping it most
    (infinity when none overlaps: a missed appearance)."""
    errors = []
    for start, end in truth:
        best = max(found, key=lambda f: min(end, f[1]) - max(start, f[0]), default=None)
        if best is None or min(end, best[1]) - max(start, best[0]) <= 0:
            errors.append(float("inf"))
        else:
            errors.append(max(abs(best[0] - start), abs(best[1] - end)))
    return errors


def index_in_process(settings: Settings, paths: Sequence[Path]):
    """Run the configured stages on each video here and commit it as ingest does; returns the open store."""
    from ray_jobs.sink import bundle_for
    from vidsearch.faces.linking import link_after_ingest
    from vidsearch.media.probe import probe_video
    from vidsearch.stages import build_stages
    from vidsearch.stages.base import VideoWork
    from vidsearch.store import open_store

    stages = build_stages(settings)
    store = open_store(settings)
    models = {role: identity for s in stages for role, identity in s.models().items()}
    dims = {role: d for s in stages for role, d in s.dims().items()}
    store.ensure_indices({role: {"id": models[role], "dims": dims[role]} for role in models})
    for path in paths:
        work = VideoWork.create(probe_video(path), settings.media_dir)
        for stage in stages:
            stage.run(work)
        report = store.commit_video(bundle_for(work, models))
        if report.failed:
            raise RuntimeError(f"{path}: documents rejected: {report.failed[:3]}")
    store.refresh()
    if any(s.name == "faces" for s in stages):
        link_after_ingest(settings, store)  # as ingest does after its commits
    return store
