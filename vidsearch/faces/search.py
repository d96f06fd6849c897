"""Search by photo: the face in a photo → the videos where that person appears, with their appearance
segments.

The photo's face (the largest, or the one the caller picks; faces are numbered left to right) is embedded by
the same model that built the index (the store refuses a different encoder) and compared by kNN with every
video's person centroids through the ``IndexBackend`` protocol, so Elasticsearch and the embedded store answer
alike. Matches farther than the calibrated distance are dropped — a photo of someone never filmed returns
nothing rather than the least unlike stranger. This is the function the CLI and the Serve API call.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vidsearch.config import Settings
from vidsearch.documents import Appearance
from vidsearch.errors import InvalidQuery
from vidsearch.faces.errors import FaceIndexOutOfRange, FaceTooSmall, NoFaceFound
from vidsearch.faces.models import (
    DetectedFace,
    FaceModel,
    Thresholds,
    distance_of_score,
    load_face_model,
    thresholds,
)
from vidsearch.faces.persons import merge_spans
from vidsearch.faces.photos import read_photo
from vidsearch.faces.quality import QualityGate
from vidsearch.faces.recheck import embed_steady
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend, SearchFilters, VectorRetriever

PHOTO_MAX_SIDE = 800  # photos are detected with their longer side scaled to at most this (faces from ~20 px)
_SMALL_PHOTO = 800  # narrower photos are doubled before detection so small faces are found and measured
_CANDIDATES_PER_VIDEO = 5  # person candidates fetched per requested video (a video holds several persons)
_SAME_VIDEO_MARGIN = 0.03  # a second person of one video this much farther than its nearest is someone else


class QueryFace(BaseModel):
    index: int = Field(description="position left to right, as --face takes it")
    box: list[float] = Field(description="x1, y1, x2, y2 in the photo's pixels")
    score: float
    side_px: float


class PersonMatch(BaseModel):
    person_id: str
    distance: float
    appearances: list[Appearance]
    thumbnails: list[str] = Field(description="paths relative to the media cache")
    face_count: int
    screen_time_s: float | None = None
    identity_id: str | None = None
    name: str | None = None


class VideoMatch(BaseModel):
    video_id: str
    distance: float = Field(description="the best person match in this video")
    title: str | None = None
    file_name: str | None = None
    path: str | None = None
    persons: list[PersonMatch]
    appearances: list[Appearance] = Field(description="every matched person's appearances, merged and sorted")


class PhotoSearchResult(BaseModel):
    photo: str
    faces: list[QueryFace]
    chosen: int
    max_distance: float
    encoder: str
    warnings: list[str] = Field(default_factory=list)
    took_ms: float
    videos: list[VideoMatch]


def faces_in_photo(image: np.ndarray, model: FaceModel) -> tuple[np.ndarray, list[DetectedFace], float]:
    """(image detected on, faces left to right, scale from the original photo to that image)."""
    scale = 1.0
    if image.shape[1] < _SMALL_PHOTO:
        scale = 2.0
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    height, width = image.shape[:2]
    max_width = max(1, int(PHOTO_MAX_SIDE * width / max(height, width)))
    faces = sorted(model.detect(image, max_width), key=lambda f: (float(f.box[0]), float(f.box[1])))
    return image, faces, scale


def pick_face(faces: list[DetectedFace], face_index: int | None, name: str) -> int:
    if not faces:
        raise NoFaceFound(name, "no face found (faces must be roughly frontal and at least ~40 px wide)")
    if face_index is None:
        return max(range(len(faces)), key=lambda i: faces[i].area)
    if not 0 <= face_index < len(faces):
        raise FaceIndexOutOfRange(
            name,
            f"face {face_index} asked for, but the photo has {len(faces)} face(s) "
            f"(numbered 0..{len(faces) - 1} left to right)",
        )
    return face_index


class EncodedPhoto(BaseModel):
    """A query photo's chosen face as a vector: what the Serve face encoder hands to the searcher."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    photo: str
    faces: list[QueryFace]
    chosen: int
    vector: np.ndarray
    encoder: str
    match_distance: float = Field(description="the backend's calibrated same-person distance")
    warnings: list[str] = Field(default_factory=list)


def encode_photo(
    photo: Path | str | bytes,
    settings: Settings,
    *,
    model: FaceModel | None = None,
    face_index: int | None = None,
    name: str | None = None,
) -> EncodedPhoto:
    """Read the photo, pick its face, check it and embed it with the model that built the index."""
    fs = settings.faces
    model = model or load_face_model(fs, settings.models.local_files_only)
    limits = thresholds(fs, model)
    label = name or (str(photo) if not isinstance(photo, bytes | bytearray) else "uploaded photo")
    original = read_photo(photo, fs.max_photo_bytes, fs.max_photo_pixels, label)
    image, faces, scale = faces_in_photo(original, model)
    chosen = pick_face(faces, face_index, label)
    face = faces[chosen]
    listed = [
        QueryFace(
            index=i,
            box=[round(float(v) / scale, 1) for v in f.box],
            score=round(f.score, 3),
            side_px=round(f.side / scale, 1),
        )
        for i, f in enumerate(faces)
    ]
    side = face.side / scale
    if side < fs.min_face_px:
        raise FaceTooSmall(
            label,
            f"the face is {side:.0f} px wide; at least {fs.min_face_px} px is needed "
            "(use a larger or closer photo)",
        )
    chip = model.align(image, face)
    quality = QualityGate.from_settings(fs, limits).judge(face, chip)
    warnings = [] if quality.passed else [f"query face: {quality.rejected}; matches may be less reliable"]
    return EncodedPhoto(
        photo=label,
        faces=listed,
        chosen=chosen,
        vector=query_vector(model, chip, fs.query_jitters, model.calibration.recheck_distance is not None),
        encoder=model.identity,
        match_distance=limits.match_distance,
        warnings=warnings,
    )


def query_vector(model: FaceModel, chip: np.ndarray, jitters: int, steady: bool) -> np.ndarray:
    """The query face's embedding: the mean over ``jitters`` fixed jittered copies where the backend is
    calibrated for jittered embeddings (``steady``), else one pass. Person vectors average several faces of a
    track, so a single pass of one photo is the noisiest side of the comparison."""
    if steady and jitters > 1:
        return embed_steady(model, [chip], jitters)[0]
    return model.embed([chip])[0]


def check_search_limits(settings: Settings, k: int | None, max_distance: float | None) -> None:
    if k is not None and not 1 <= k <= settings.search.max_k:
        raise InvalidQuery(f"k must be between 1 and {settings.search.max_k}, not {k}")
    if max_distance is not None and not 0.0 < max_distance <= 2.0:
        raise InvalidQuery(f"max_distance must be in (0, 2] (distances between unit vectors), not {max_distance}")


def search_by_photo(
    photo: Path | str | bytes,
    settings: Settings,
    store: IndexBackend,
    *,
    model: FaceModel | None = None,
    face_index: int | None = None,
    k: int | None = None,
    max_distance: float | None = None,
    filters: SearchFilters | None = None,
    name: str | None = None,
) -> PhotoSearchResult:
    """Videos where the photo's person appears, best (smallest distance) first."""
    started = time.perf_counter()
    check_search_limits(settings, k, max_distance)
    encoded = encode_photo(photo, settings, model=model, face_index=face_index, name=name)
    return search_encoded(
        encoded, settings, store, k=k, max_distance=max_distance, filters=filters, started=started
    )


def search_encoded(
    encoded: EncodedPhoto,
    settings: Settings,
    store: IndexBackend,
    *,
    k: int | None = None,
    max_distance: float | None = None,
    filters: SearchFilters | None = None,
    started: float | None = None,
) -> PhotoSearchResult:
    """The videos for a face already encoded (in this process, or by the Serve face encoder)."""
    started = time.perf_counter() if started is None else started
    check_search_limits(settings, k, max_distance)
    max_distance = encoded.match_distance if max_distance is None else max_distance
    limits = thresholds(settings.faces)
    videos = match_persons(
        store, encoded.vector, encoded.encoder, k or settings.faces.search_k, max_distance, filters,
        sure_distance=min(max_distance, limits.identity_distance),
        exclusive_distance=exclusive_match_distance(settings.faces.exclusive_match_distance, limits,
                                                    max_distance),
    )
    return PhotoSearchResult(
        photo=encoded.photo,
        faces=encoded.faces,
        chosen=encoded.chosen,
        max_distance=max_distance,
        encoder=encoded.encoder,
        warnings=encoded.warnings,
        took_ms=round((time.perf_counter() - started) * 1000, 1),
        videos=videos,
    )


def exclusive_match_distance(configured: float | None, limits: Thresholds, max_distance: float) -> float | None:
    """Where the overlap band starts: the configured distance, else the backend's split distance (a face
    against a centroid, below the nearest look-alike pair; dlib 0.37). None (no band): the backend has no
    such calibration, or the band would start at or beyond ``max_distance``."""
    start = limits.split_distance if configured is None else configured
    return start if start is not None and start < max_distance else None


def nearest_persons(
    store: IndexBackend, vector: np.ndarray, encoder: str, k: int, filters: SearchFilters | None = None
) -> list[tuple[str, float]]:
    """(person id, distance) of the k nearest person centroids, nearest first."""
    retriever = VectorRetriever(
        name="face",
        field="face_vec",
        vector=np.asarray(vector, np.float32),
        k=k,
        num_candidates=max(10 * k, 100),
        encoder=encoder,
    )
    found = store.search(IndexName.PERSONS, [retriever], filters).get("face", [])
    return [(c.id, distance_of_score(c.score)) for c in found]


def _identity_of(person_id: str, body: dict) -> str:
    """The archive identity a person belongs to (itself while identities are not linked)."""
    return body.get("identity_id") or f"person:{person_id}"


def _nearest_identity(near: list[tuple[str, float]], persons: dict[str, dict]) -> str | None:
    for pid, _ in sorted(near, key=lambda item: item[1]):
        if pid in persons:
            return _identity_of(pid, persons[pid])
    return None


def match_persons(
    store: IndexBackend,
    vector: np.ndarray,
    encoder: str,
    k: int,
    max_distance: float,
    filters: SearchFilters | None = None,
    sure_distance: float | None = None,
    exclusive_distance: float | None = None,
) -> list[VideoMatch]:
    """Videos whose persons lie within ``max_distance`` of the face. Persons of one video were told apart by
    clustering, so a face is at most one of them: beside a video's nearest person, another is returned only
    when it lies within ``sure_distance`` (as near as persons linked into one identity: one person split in two)
    or within ``_SAME_VIDEO_MARGIN`` of the nearest. A look-alike just inside ``max_distance`` of a photo of
    someone in the same video is not returned as well.

    A look-alike alone in its video has no nearer person beside it, so across the archive: a match farther
    than ``exclusive_distance`` (the overlap band, where one person's farthest true photos and the nearest
    look-alikes both lie) is returned only when its archive identity is the nearest identity to the face —
    when a person of another identity lies nearer, the photo is that one's (``_nearest_identity``)."""
    near = [
        (pid, d)
        for pid, d in nearest_persons(store, vector, encoder, k * _CANDIDATES_PER_VIDEO, filters)
        if d <= max_distance
    ]
    if not near:
        return []
    sure = max_distance if sure_distance is None else sure_distance
    persons = store.get(IndexName.PERSONS, [pid for pid, _ in near])
    nearest_identity = _nearest_identity(near, persons)
    by_video: dict[str, list[PersonMatch]] = {}
    for pid, distance in sorted(near, key=lambda item: item[1]):
        body = persons.get(pid)
        if body is None:  # deleted between the search and the fetch
            continue
        if (exclusive_distance is not None and distance > exclusive_distance
                and _identity_of(pid, body) != nearest_identity):
            continue
        matched = by_video.get(body["video_id"])
        if matched and distance > sure and distance > matched[0].distance + _SAME_VIDEO_MARGIN:
            continue
        by_video.setdefault(body["video_id"], []).append(
            PersonMatch(
                person_id=pid,
                distance=round(distance, 4),
                appearances=[Appearance(**a) for a in body.get("appearances", [])],
                thumbnails=body.get("thumbnails", []),
                face_count=body.get("face_count", 0),
                screen_time_s=body.get("screen_time_s"),
                identity_id=body.get("identity_id"),
                name=body.get("name"),
            )
        )
    ranked = sorted(by_video.items(), key=lambda item: item[1][0].distance)[:k]
    videos = store.get(IndexName.VIDEOS, [video_id for video_id, _ in ranked])
    matches = []
    for video_id, matched in ranked:
        body = videos.get(video_id, {})
        merged = merge_spans(((a.start_s, a.end_s) for p in matched for a in p.appearances), 0.0)
        matches.append(
            VideoMatch(
                video_id=video_id,
                distance=matched[0].distance,
                title=body.get("title"),
                file_name=body.get("file_name"),
                path=body.get("path"),
                persons=matched,
                appearances=[Appearance(start_s=a, end_s=b) for a, b in merged],
            )
        )
    return matches
