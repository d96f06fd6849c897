"""One video's faces, start to end: sampled frames → tracks → persons. Used by the ingest stage and the
benchmarks, which differ only in where frames come from and what they keep."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.faces.models import FaceModel, Thresholds
from vidsearch.faces.persons import PersonCluster, group_persons
from vidsearch.faces.recheck import recheck
from vidsearch.faces.settings import FaceSettings
from vidsearch.faces.tracking import FaceTrack, FaceTracker, TrackingStats
from vidsearch.media.frames import Frame


@dataclass
class VideoFaces:
    tracks: list[FaceTrack]
    persons: list[PersonCluster]
    stats: TrackingStats
    wall_s: float


def analyse_frames(frames: Iterable[Frame], model: FaceModel, settings: FaceSettings, limits: Thresholds,
                   duration_s: float | None = None, cut_threshold: float = 0.35,
                   boundaries: Sequence[float] = ()) -> VideoFaces:
    """``boundaries``: the shot boundaries (s) of the shots stage; no track crosses one."""
    started = time.perf_counter()
    tracker = FaceTracker(model, settings, limits, cut_threshold, boundaries)
    for frame in frames:
        tracker.add(frame)
    tracks = tracker.finish()
    apart: list[tuple[int, int]] = []
    if limits.recheck_distance is not None and settings.recheck_jitters:
        # a track seen in one sampled frame alone never forms a person: not worth a re-check
        usable = [t for t in tracks if t.vector is not None and len(t.sightings) > 1 and t.best_face is not None
                  and t.best_face.side >= settings.recheck_min_face_px]
        if len(usable) > 1:
            best = [t.best_face for t in usable]
            pairs, embedded = recheck(model, [b.chip for b in best], np.stack([t.vector for t in usable]),
                                      limits.cluster_distance, settings.recheck_band, limits.recheck_distance,
                                      settings.recheck_jitters, [b.embedding for b in best])
            apart = [(usable[i].id, usable[j].id) for i, j in pairs]
            tracker.stats.rechecked += embedded
            tracker.stats.cannot_links += len(apart)
    for track in tracks:
        for candidate in track.candidates:
            candidate.chip = None
    persons = group_persons(tracks, limits.cluster_distance, 1.0 / settings.sample_fps, settings.merge_gap_s,
                            duration_s, settings.min_person_faces, settings.thumbnails_per_person, set(apart))
    return VideoFaces(tracks, persons, tracker.stats, time.perf_counter() - started)
