"""Face tracks: the same face followed across sampled frames, so that a person on screen for a minute costs a
few embeddings instead of one per frame.

A detection joins the open track whose last box it overlaps most. A clear overlap (IoU ≥ ``track_iou_sure``)
links without any embedding; a partial one (``track_iou`` ≤ IoU < sure, a head moving fast or two people close
together) links only if the two faces' embeddings agree, and the embeddings computed for that check are kept.
Scene cuts close every track (a cut can put another face at the same place) and so does a gap longer than
``track_max_gap_s``. When a track closes, its best faces by quality are embedded (one per
``sightings_per_embedding`` sightings, at most ``faces_per_track``) and their normalised mean is the track's
vector. With tracking off every face that passes the quality gate is its own
track and is embedded: the baseline the benchmark compares against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from vidsearch.faces.models import DetectedFace, FaceModel, Thresholds, distance_of, normalised
from vidsearch.faces.quality import FaceQuality, QualityGate
from vidsearch.faces.settings import FaceSettings
from vidsearch.media.frames import Frame
from vidsearch.media.shots import cut_score, frame_signature

_THUMB_MARGIN = 0.35  # thumbnails show a little hair and chin around the detector's box


@dataclass(slots=True)
class Sighting:
    t: float
    frame: int  # index of the sampled frame
    box: np.ndarray
    quality: FaceQuality


@dataclass(slots=True)
class FaceCandidate:
    """A face that passed the gate and may be embedded; its thumbnail is kept JPEG-encoded (small)."""

    t: float
    rank: float
    chip: np.ndarray | None
    thumbnail: bytes
    embedding: np.ndarray | None = None


@dataclass
class FaceTrack:
    id: int
    sightings: list[Sighting] = field(default_factory=list)
    candidates: list[FaceCandidate] = field(default_factory=list)
    vector: np.ndarray | None = None  # set when the track closes, if any face passed the gate

    @property
    def first_t(self) -> float:
        return self.sightings[0].t

    @property
    def last_t(self) -> float:
        return self.sightings[-1].t

    @property
    def last_box(self) -> np.ndarray:
        return self.sightings[-1].box

    @property
    def frames(self) -> set[int]:
        return {s.frame for s in self.sightings}

    def embedded(self) -> list[FaceCandidate]:
        return [c for c in self.candidates if c.embedding is not None]


@dataclass
class TrackingStats:
    frames: int = 0
    faces_detected: int = 0
    faces_passed: int = 0  # passed the quality gate
    embeddings: int = 0  # embeddings computed
    cuts: int = 0
    detect_s: float = 0.0
    align_s: float = 0.0
    embed_s: float = 0.0
    rejected: dict[str, int] = field(default_factory=dict)  # gate reason kind → count

    def as_dict(self) -> dict[str, float | int | dict[str, int]]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection-over-union of boxes (n, 4) and (m, 4)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-6)


def thumbnail_of(image: np.ndarray, box: np.ndarray, size: int) -> bytes:
    """A square JPEG around the face, with some margin, clipped to the frame."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * (1 + 2 * _THUMB_MARGIN)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    h, w = image.shape[:2]
    left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    right, bottom = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    crop = image[top:bottom, left:right]
    if crop.size == 0:
        crop = image
    scale = size / max(crop.shape[:2])
    crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return data.tobytes() if ok else b""


class FaceTracker:
    """Feed sampled frames in time order with ``add``; ``finish`` returns every track with its vector."""

    def __init__(self, model: FaceModel, settings: FaceSettings, limits: Thresholds,
                 cut_threshold: float = 0.35) -> None:
        self.model = model
        self.settings = settings
        self.limits = limits
        self.gate = QualityGate.from_settings(settings, limits)
        self.cut_threshold = cut_threshold
        self.stats = TrackingStats()
        self._open: list[FaceTrack] = []
        self._closed: list[FaceTrack] = []
        self._next_id = 0
        self._signature = None

    # -- per frame ----------------------------------------------------------------------------------------
    def add(self, frame: Frame) -> None:
        s = self.settings
        index = self.stats.frames
        self.stats.frames += 1
        started = time.perf_counter()
        faces = self.model.detect(frame.image, s.detect_width)
        self.stats.detect_s += time.perf_counter() - started
        self.stats.faces_detected += len(faces)
        if s.tracking:
            signature = frame_signature(frame.image)
            if self._signature is not None and cut_score(self._signature, signature) >= self.cut_threshold:
                self.stats.cuts += 1
                self._close(list(self._open))
            self._signature = signature
            self._close([t for t in self._open if frame.t - t.last_t > s.track_max_gap_s])
        if not faces:
            return
        started = time.perf_counter()
        chips = [self.model.align(frame.image, face) for face in faces]
        judged = [self.gate.judge(face, chip) for face, chip in zip(faces, chips, strict=True)]
        self.stats.align_s += time.perf_counter() - started
        for quality in judged:
            if quality.passed:
                self.stats.faces_passed += 1
            else:
                kind = quality.rejected.split(" ")[0] if quality.rejected else "other"
                self.stats.rejected[kind] = self.stats.rejected.get(kind, 0) + 1
        if not s.tracking:
            for face, chip, quality in zip(faces, chips, judged, strict=True):
                if quality.passed:
                    track = self._new_track()
                    self._extend(track, frame, index, face, chip, quality)
                    self._close([track])
            return
        self._associate(frame, index, faces, chips, judged)

    def _associate(self, frame: Frame, index: int, faces: list[DetectedFace], chips: list[np.ndarray],
                   judged: list[FaceQuality]) -> None:
        s = self.settings
        tracks = list(self._open)
        overlaps = iou_matrix(np.array([t.last_box for t in tracks]).reshape(-1, 4),
                              np.array([f.box for f in faces]).reshape(-1, 4))
        taken_tracks: set[int] = set()
        taken_faces: set[int] = set()
        pending: dict[int, np.ndarray] = {}  # face index → embedding computed for a check
        pairs = np.argwhere(overlaps >= s.track_iou).tolist()
        for ti, fi in sorted(pairs, key=lambda p: -overlaps[p[0], p[1]]):
            if ti in taken_tracks or fi in taken_faces:
                continue
            if overlaps[ti, fi] < s.track_iou_sure and not self._same_face(
                tracks[ti], ti, fi, chips, judged, overlaps, pending
            ):
                continue
            taken_tracks.add(ti)
            taken_faces.add(fi)
            self._extend(tracks[ti], frame, index, faces[fi], chips[fi], judged[fi], pending.get(fi))
        for fi, face in enumerate(faces):
            if fi not in taken_faces:
                self._extend(self._new_track(), frame, index, face, chips[fi], judged[fi], pending.get(fi))

    def _same_face(
        self,
        track: FaceTrack,
        ti: int,
        fi: int,
        chips: list[np.ndarray],
        judged: list[FaceQuality],
        overlaps: np.ndarray,
        pending: dict[int, np.ndarray],
    ) -> bool:
        """A partial overlap links only when embeddings agree; a face too poor to embed links only when it is
        the sole candidate on both sides."""
        if not judged[fi].passed or not track.candidates:
            unique_face = int((overlaps[:, fi] >= self.settings.track_iou).sum()) == 1
            unique_track = int((overlaps[ti, :] >= self.settings.track_iou).sum()) == 1
            return unique_face and unique_track
        if fi not in pending:
            pending[fi] = self._embed([chips[fi]])[0]
        reference = self._reference(track)
        return float(distance_of(reference @ pending[fi])) <= self.limits.match_distance

    def _reference(self, track: FaceTrack) -> np.ndarray:
        embedded = track.embedded()
        if not embedded:
            best = max(track.candidates, key=lambda c: c.rank)
            best.embedding = self._embed([best.chip])[0]
            embedded = [best]
        return normalised(np.mean([c.embedding for c in embedded], axis=0))[0]

    # -- tracks -------------------------------------------------------------------------------------------
    def _new_track(self) -> FaceTrack:
        track = FaceTrack(self._next_id)
        self._next_id += 1
        self._open.append(track)
        return track

    def _extend(
        self,
        track: FaceTrack,
        frame: Frame,
        index: int,
        face: DetectedFace,
        chip: np.ndarray,
        quality: FaceQuality,
        embedding: np.ndarray | None = None,
    ) -> None:
        track.sightings.append(Sighting(frame.t, index, face.box, quality))
        if not quality.passed:
            return
        keep = self.settings.faces_per_track
        unembedded = [c for c in track.candidates if c.embedding is None]
        if embedding is None and len(unembedded) >= keep and quality.rank <= min(c.rank for c in unembedded):
            return  # not among the best few: skip the thumbnail work too
        candidate = FaceCandidate(
            frame.t,
            quality.rank,
            chip,
            thumbnail_of(frame.image, face.box, self.settings.thumbnail_size),
            embedding,
        )
        track.candidates.append(candidate)
        unembedded = sorted((c for c in track.candidates if c.embedding is None), key=lambda c: -c.rank)
        for dropped in unembedded[keep:]:
            track.candidates.remove(dropped)

    def _close(self, tracks: list[FaceTrack]) -> None:
        for track in tracks:
            self._open.remove(track)
            embedded = track.embedded()
            need = self._embeddings_for(track) - len(embedded)
            todo = sorted((c for c in track.candidates if c.embedding is None), key=lambda c: -c.rank)[
                : max(need, 0)
            ]
            if todo:
                for candidate, vector in zip(todo, self._embed([c.chip for c in todo]), strict=True):
                    candidate.embedding = vector
            track.candidates = [c for c in track.candidates if c.embedding is not None]
            for candidate in track.candidates:
                candidate.chip = None  # the chips were only needed to embed
            if track.candidates:
                track.vector = normalised(np.mean([c.embedding for c in track.candidates], axis=0))[0]
            self._closed.append(track)

    def _embeddings_for(self, track: FaceTrack) -> int:
        """Short tracks' best faces are near-duplicates of each other: one embedding per few sightings."""
        s = self.settings
        return max(1, min(s.faces_per_track, -(-len(track.sightings) // s.sightings_per_embedding)))

    def _embed(self, chips: list[np.ndarray]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.model.embed(chips)
        self.stats.embed_s += time.perf_counter() - started
        self.stats.embeddings += len(chips)
        return vectors

    def finish(self) -> list[FaceTrack]:
        """Close every open track; all tracks in order of first sighting."""
        self._close(list(self._open))
        return sorted(self._closed, key=lambda t: (t.first_t, t.id))
