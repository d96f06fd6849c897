"""One video's faces, start to end: sampled frames → tracks → persons. Used by the ingest stage and the
benchmarks, which differ only in where frames come from and what they keep."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vidsearch.faces.models import FaceModel, Thresholds
from vidsearch.faces.persons import PersonCluster, group_persons
from vidsearch.faces.recheck import recheck_tracks
from vidsearch.faces.settings import FaceSettings
from vidsearch.faces.tracking import FaceTracker
from vidsearch.faces.tracks import FaceTrack, TrackingStats
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
    apart, steady = recheck_tracks(tracks, model, settings, limits, tracker.stats)
    # a one-sample track against a person's centroid is a face against a centroid, like a query: the split
    # distance (dlib 0.37, below the query level's worst look-alike pair, 0.371) keeps dissolve blends out
    single = min(limits.cluster_distance, limits.split_distance or limits.cluster_distance)
    persons = group_persons(tracks, limits.cluster_distance, 1.0 / settings.sample_fps, settings.merge_gap_s,
                            duration_s, settings.min_person_faces, settings.thumbnails_per_person, apart,
                            single_distance=single, steady=steady)
    return VideoFaces(tracks, persons, tracker.stats, time.perf_counter() - started)
