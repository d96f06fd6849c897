"""What face tracking produces: sightings of a face, the embedded checkpoint faces of a track, the track itself and
the tracker's counters. Kept apart from the tracker (``tracking``) because clustering, persons and the re-check read
tracks without tracking anything."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidsearch.faces.quality import FaceQuality


@dataclass(slots=True)
class Sighting:
    t: float
    frame: int  # index of the sampled frame
    box: np.ndarray
    quality: FaceQuality
    chip: np.ndarray | None = None  # aligned face (passed faces only), kept until the next checkpoint
    look: np.ndarray | None = None  # its appearance (``appearance``), same lifetime
    thumbnail: bytes = b""  # same lifetime: a checkpoint's thumbnail comes from its sighting


@dataclass(slots=True)
class FaceCandidate:
    """An embedded face of a track (a checkpoint); its thumbnail is kept JPEG-encoded (small)."""

    t: float
    rank: float
    chip: np.ndarray | None
    thumbnail: bytes
    embedding: np.ndarray | None = None
    look: np.ndarray | None = None  # appearance of the aligned face, to tell cheaply whether it changed
    side: float = 0.0  # face side in pixels of the frame


@dataclass
class FaceTrack:
    id: int
    sightings: list[Sighting] = field(default_factory=list)
    candidates: list[FaceCandidate] = field(default_factory=list)  # checkpoints, in time order
    vector: np.ndarray | None = None  # set when the track closes, if any face passed the gate
    # a track no face of which passed the gate: its best face's embedding, only to re-link it to a person
    stray_vector: np.ndarray | None = None
    # (rank, chip, sighting) of its best refused face until it closes
    fallback: tuple[float, np.ndarray, Sighting] | None = None
    # that face, embedded when it closed (thumbnail included): a person is made of such tracks only when no
    # sharper face of theirs exists in the video
    stray_face: FaceCandidate | None = None
    recent_look: np.ndarray | None = None  # appearance of its latest sighting (refused faces too), while open
    recent_place: np.ndarray | None = None  # appearance of that frame inside the latest box, while open

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

    @property
    def best_face(self) -> FaceCandidate | None:
        """The best embedded face, whose aligned chip is kept from close until persons are formed (a re-check)."""
        return max((c for c in self.candidates if c.chip is not None), key=lambda c: c.rank, default=None)

    @property
    def last_checkpoint(self) -> FaceCandidate | None:
        return self.candidates[-1] if self.candidates else None


@dataclass
class TrackingStats:
    frames: int = 0
    faces_detected: int = 0
    faces_passed: int = 0  # passed the quality gate
    embeddings: int = 0  # embeddings computed
    cuts: int = 0
    splits: int = 0  # tracks split where the embedding jumped
    rechecked: int = 0  # embeddings of jittered copies to re-check uncertain track pairs
    mirrored: int = 0  # embeddings of tracks' vector faces mirrored (≤ faces_per_track per track; mirror_best_face)
    cannot_links: int = 0  # track pairs the re-check kept apart
    detect_s: float = 0.0
    align_s: float = 0.0
    embed_s: float = 0.0
    rejected: dict[str, int] = field(default_factory=dict)  # gate reason kind → count
    passes: dict[str, int] = field(default_factory=dict)  # detection passes by kind (full, coarse, region)

    def as_dict(self) -> dict[str, float | int | dict[str, int]]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
