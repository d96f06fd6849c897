"""Search by photo behind the API: the face encoder deployment turns an uploaded photo into the chosen face's
vector (``vidsearch.faces.search.encode_photo``: decode, detect, pick, quality-check, embed), and the searcher
matches it against the persons index (``search_encoded``) — the same two steps ``search_by_photo`` runs in-process.

A face model that cannot load (e.g. an insightface pack missing from its model root) does not take the API down:
the face route answers 503 naming the reason and /readyz reports it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from ray import serve

from serve.problems import travels
from vidsearch.config import Settings
from vidsearch.errors import VidsearchError
from vidsearch.faces.models import load_face_model
from vidsearch.faces.search import EncodedPhoto, encode_photo

log = logging.getLogger(__name__)


FACE_STAGE = "faces"  # face search is deployed when this ingest stage is configured (it builds the persons index)
FACE_SEARCH_OFF = ("search by photo is off: the faces stage is not configured (add 'faces' to "
                   "VIDSEARCH_INGEST__STAGES, index, and restart the API)")


class FaceModelUnavailable(VidsearchError):
    status = 503
    title = "Face search unavailable"


@dataclass(frozen=True)
class FaceQuery:
    photo: bytes
    filename: str | None = None
    k: int | None = None
    threshold: float | None = None
    face_index: int | None = None


@serve.deployment(name="face_encoder")
class FaceQueryEncoder:
    """One photo at a time: detection dominates and does not batch (dlib HOG / SCRFD per image)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # one model instance; its detector and embedder are not re-entrant
        self._model = None
        self.problem: str | None = None
        try:
            self._model = load_face_model(settings.faces, settings.models.local_files_only)
        except VidsearchError as exc:
            self.problem = f"the face model ({settings.faces.backend}) cannot load: {exc}"
            log.error("%s", self.problem)

    def info(self) -> dict:
        if self._model is None:
            return {"identity": None, "problem": self.problem}
        return {"identity": self._model.identity}

    def _encode(self, query: FaceQuery) -> EncodedPhoto:
        with self._lock:
            return encode_photo(query.photo, self.settings, model=self._model, face_index=query.face_index,
                                name=query.filename or "uploaded photo")

    @travels
    async def encode(self, query: FaceQuery) -> EncodedPhoto:
        if self._model is None:
            raise FaceModelUnavailable(self.problem or "the face model is not loaded")
        return await asyncio.to_thread(self._encode, query)
