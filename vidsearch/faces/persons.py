"""Per-video persons: clustered tracks → appearance segments, centroid vector, exemplar thumbnails, documents.

A track seen from t0 to t1 in samples 1/fps apart was on screen from about half a sample before t0 to half a
sample after t1, so each track contributes [t0 − step/2, t1 + step/2] (boundaries within step/2 of the truth);
a person's spans closer than ``merge_gap_s`` merge into one appearance (a look away, a missed detection).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidsearch.documents import Appearance, Person, Segment, person_id
from vidsearch.faces.clustering import cluster_tracks, cluster_vectors, co_occurring
from vidsearch.faces.models import distance_of, normalised
from vidsearch.faces.tracks import FaceCandidate, FaceTrack

log = logging.getLogger(__name__)

FACES_DIR = "faces"  # per-video subfolder of the media cache holding person thumbnails


@dataclass
class PersonCluster:
    cluster: int
    tracks: list[FaceTrack]
    vector: np.ndarray
    appearances: list[tuple[float, float]]
    face_count: int  # faces detected in the person's tracks (embedded or not)
    exemplars: list[FaceCandidate]  # best embedded faces, for thumbnails

    @property
    def screen_time_s(self) -> float:
        return float(sum(end - start for start, end in self.appearances))


def merge_spans(spans: Iterable[tuple[float, float]], gap_s: float) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= gap_s:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def track_span(track: FaceTrack, step_s: float, duration_s: float | None) -> tuple[float, float]:
    start = max(0.0, track.first_t - step_s / 2)
    end = track.last_t + step_s / 2
    if duration_s is not None:
        end = min(end, duration_s)
    return start, max(start, end)


def group_persons(
    tracks: Sequence[FaceTrack],
    cluster_distance: float,
    step_s: float,
    merge_gap_s: float,
    duration_s: float | None = None,
    min_faces: int = 1,
    exemplars: int = 3,
    apart_ids: Collection[tuple[int, int]] = (),
    single_distance: float | None = None,
    steady: Mapping[tuple[int, int], float] | None = None,
) -> list[PersonCluster]:
    """Cluster the tracks that have vectors, then re-link strays; persons numbered by first appearance.
    ``apart_ids``: pairs of track ids that must not share a person (besides tracks seen in one frame).
    ``single_distance`` (below ``cluster_distance``): a track seen in one sample only — in a dissolve, the
    blend of two people — does not cluster; it joins the nearest person within this distance of its face, else
    stays alone (and is dropped below ``min_faces``). Under lighting spread such a blend clustered at 0.385 into
    another person of a crossfade (a mixed person). None: it clusters like any track. A track none of whose
    faces passed the gate is one face too, so it joins a person only within this distance as well.
    ``steady``: pairs of track ids → their re-checked (jittered) distance, used by the clustering instead of the
    single pass."""
    usable = [t for t in tracks if t.vector is not None]
    singles: list[FaceTrack] = []
    if single_distance is not None and single_distance < cluster_distance:
        singles = [t for t in usable if len(t.sightings) == 1]
        usable = [t for t in usable if len(t.sightings) > 1]
    labels = cluster_tracks(usable, cluster_distance, apart_ids, steady)
    members: dict[int, list[FaceTrack]] = {}
    for track, label in zip(usable, labels, strict=True):
        members.setdefault(int(label), []).append(track)
    groups = relink_strays(list(members.values()), [t for t in tracks if t.stray_vector is not None],
                           cluster_distance, apart_ids, face_distance=single_distance)
    for track in singles:
        target = _nearest(track.vector, groups, [track], single_distance, apart_ids) if groups else None
        if target is not None:
            target.append(track)
        else:
            groups.append([track])
    placed = {id(t) for g in groups for t in g}
    groups += stray_persons([t for t in tracks if t.stray_face is not None and id(t) not in placed],
                            cluster_distance)
    groups = sorted(groups, key=lambda ts: min(t.first_t for t in ts))
    persons = []
    for group in groups:
        face_count = sum(len(t.sightings) for t in group)
        if face_count < min_faces:
            continue
        faces = [c for t in group for c in t.candidates] or [t.stray_face for t in group if t.stray_face]
        if not faces:
            continue
        vector = normalised(np.mean([c.embedding for c in faces], axis=0))[0]
        spans = merge_spans((track_span(t, step_s, duration_s) for t in group), merge_gap_s)
        best = sorted(faces, key=lambda c: -c.rank)
        chosen: list[FaceCandidate] = []
        for candidate in best:  # spread exemplars over time: skip faces within 1 s of one already chosen
            if all(abs(candidate.t - c.t) > 1.0 for c in chosen):
                chosen.append(candidate)
            if len(chosen) >= exemplars:
                break
        persons.append(PersonCluster(len(persons), group, vector, spans, face_count, chosen))
    return persons


def _centroid(group: Sequence[FaceTrack]) -> np.ndarray:
    return normalised(np.mean([c.embedding for t in group for c in t.candidates], axis=0))[0]


def _kept_apart(a: Sequence[FaceTrack], b: Sequence[FaceTrack], apart_ids: Collection[tuple[int, int]]) -> bool:
    """Whether a track of ``a`` shares a frame with one of ``b``, or a re-check kept two of them apart."""
    frames = set().union(*(t.frames for t in a))
    if any(frames & t.frames for t in b):
        return True
    return any((x.id, y.id) in apart_ids or (y.id, x.id) in apart_ids for x in a for y in b)


def relink_strays(groups: list[list[FaceTrack]], strays: Sequence[FaceTrack],
                  distance: float, apart_ids: Collection[tuple[int, int]] = (),
                  face_distance: float | None = None) -> list[list[FaceTrack]]:
    """Fold what clustering left stranded into the nearest person when the distance allows: a person of one
    track with at most two embedded faces (a glimpse whose average linkage fell just short) joins the nearest
    established person within ``distance`` of its centroid, and a track none of whose faces passed the quality gate
    joins the person nearest its best face within ``face_distance`` (default ``distance``) — never a person seen in
    the same frame. That best face is one refused face against a centroid, the search level, where dev's
    look-alikes lie from 0.365 (dlib): at the cluster distance 0.39 a blurry track of someone else (0.382) joined
    a look-alike's person (held-out-like varied run, stop 17)."""
    groups = [list(g) for g in groups]

    def glimpse(group: list[FaceTrack]) -> bool:
        return len(group) == 1 and len(group[0].candidates) <= 2

    established = [g for g in groups if not glimpse(g)]
    for group in sorted(groups, key=lambda g: min(t.first_t for t in g)):
        if not glimpse(group):
            continue
        target = _nearest(_centroid(group), established, group, distance, apart_ids)
        if target is not None:
            target.extend(group)
            group.clear()
    groups = [g for g in groups if g]
    face_distance = distance if face_distance is None else min(distance, face_distance)
    for track in strays:
        target = _nearest(track.stray_vector, groups, [track], face_distance, apart_ids) if groups else None
        if target is not None:
            target.append(track)
    return groups


def stray_persons(strays: Sequence[FaceTrack], distance: float, min_sightings: int = 3) -> list[list[FaceTrack]]:
    """Persons made of the tracks no face of which passed the gate and that joined nobody: someone filmed only
    softly (a low-resolution insert, a dim studio) is still someone, and leaving them out loses every
    appearance of theirs. Only tracks on screen for ``min_sightings`` samples count (a passing blur is not a
    person); they cluster among themselves like any tracks."""
    strays = [t for t in strays if len(t.sightings) >= min_sightings]
    if not strays:
        return []
    labels = cluster_vectors(np.stack([t.stray_vector for t in strays]), distance, co_occurring(strays))
    grouped: dict[int, list[FaceTrack]] = {}
    for track, label in zip(strays, labels, strict=True):
        grouped.setdefault(int(label), []).append(track)
    return list(grouped.values())


def _nearest(vector: np.ndarray, groups: Sequence[list[FaceTrack]], tracks: Sequence[FaceTrack],
             distance: float, apart_ids: Collection[tuple[int, int]] = ()) -> list[FaceTrack] | None:
    best, best_d = None, distance
    for group in groups:
        d = float(distance_of(float(_centroid(group) @ vector)))
        if d <= best_d and not _kept_apart(group, tracks, apart_ids):
            best, best_d = group, d
    return best


def person_documents(
    video_id: str, persons: Sequence[PersonCluster], media_dir: Path, write_thumbnails: bool = True
) -> list[Person]:
    """Person documents; thumbnails go to ``<media_dir>/<video_id>/faces/`` (paths stored relative)."""
    docs = []
    folder = Path(media_dir) / video_id / FACES_DIR
    if write_thumbnails:
        for stale in folder.glob("p*.jpg") if folder.is_dir() else ():  # from an earlier run of this video
            stale.unlink(missing_ok=True)
        if persons:
            folder.mkdir(parents=True, exist_ok=True)
    for person in persons:
        pid = person_id(video_id, person.cluster)
        thumbnails = []
        for k, exemplar in enumerate(person.exemplars):
            if not exemplar.thumbnail:
                continue
            name = f"p{person.cluster:03d}-{k}.jpg"
            if write_thumbnails:
                (folder / name).write_bytes(exemplar.thumbnail)
            thumbnails.append(f"{video_id}/{FACES_DIR}/{name}")
        docs.append(
            Person(
                id=pid,
                video_id=video_id,
                cluster=person.cluster,
                face_count=person.face_count,
                track_count=len(person.tracks),
                appearances=[
                    Appearance(start_s=round(a, 3), end_s=round(b, 3)) for a, b in person.appearances
                ],
                first_s=round(person.appearances[0][0], 3),
                last_s=round(person.appearances[-1][1], 3),
                screen_time_s=round(person.screen_time_s, 3),
                thumbnails=thumbnails,
                face_vec=[float(v) for v in person.vector],
                track_vecs=track_vectors(person) or None,
            )
        )
    return docs


MAX_TRACK_VECTORS = 16  # per person document: a host on screen all programme has hundreds of tracks


def track_vectors(person: PersonCluster, limit: int = MAX_TRACK_VECTORS) -> list[list[float]]:
    """Each of the person's tracks' vector (a refused track's stray vector), in track order; tracks without one
    are left out. Beyond ``limit`` tracks, the ``limit`` that spread widest are kept (farthest-point order from the
    track nearest the centroid), so the document stays small and the looks linking compares by stay covered."""
    vectors = [t.vector if t.vector is not None else t.stray_vector for t in person.tracks]
    rows = [np.asarray(v, np.float64) for v in vectors if v is not None]
    if len(rows) > limit:
        rows = [rows[k] for k in sorted(_spread(np.stack(rows), np.asarray(person.vector, np.float64), limit))]
    return [[float(v) for v in row] for row in rows]


def _spread(rows: np.ndarray, centre: np.ndarray, limit: int) -> list[int]:
    """Indices of ``limit`` rows: the one nearest ``centre``, then each time the row farthest from those chosen."""
    chosen = [int(np.argmin(np.linalg.norm(rows - centre, axis=1)))]
    nearest = np.linalg.norm(rows - rows[chosen[0]], axis=1)
    while len(chosen) < limit:
        far = int(np.argmax(nearest))
        chosen.append(far)
        nearest = np.minimum(nearest, np.linalg.norm(rows - rows[far], axis=1))
    return chosen


def link_segments(segments: Sequence[Segment], persons: Sequence[Person], min_overlap_s: float = 0.0) -> None:
    """Set each segment's ``person_ids`` to the persons appearing during it."""
    for segment in segments:
        present = []
        for person in persons:
            for span in person.appearances:
                overlap = min(span.end_s, segment.end_s) - max(span.start_s, segment.start_s)
                if overlap > min_overlap_s:
                    present.append(person.id)
                    break
        segment.person_ids = sorted(present)
