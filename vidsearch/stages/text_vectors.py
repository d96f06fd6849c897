"""Segment text → one multilingual vector (``text_vec``), so a Korean query finds English on-screen text and
captions and the other way round. Runs after every stage that adds segment text."""

from __future__ import annotations

from vidsearch.documents import Segment
from vidsearch.encoders.text import TextEncoder, load_text_encoder
from vidsearch.models.refs import ModelRef, text_encoder_ref
from vidsearch.stages.base import Stage, StageResources, VideoWork

# Fields embedded, most specific first; the programme title gives segments without text some context.
_FIELDS = ("ocr_text", "credits_text", "caption", "title")
_MAX_CHARS = 1000  # e5-small reads 512 tokens; longer text only costs time


def segment_text(segment: Segment) -> str:
    parts = [getattr(segment, name) for name in _FIELDS]
    return "\n".join(p for p in parts if p)[:_MAX_CHARS]


class TextVectorStage(Stage):
    name = "text_vectors"
    version = "1"
    requires = ("shots",)
    reads = frozenset({"segments", *_FIELDS})
    writes = frozenset({"text_vec"})
    affects = ("models.text",)

    def model_refs(self) -> list[ModelRef]:
        return [text_encoder_ref(self.settings)]

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._encoder: TextEncoder | None = None

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0)

    def load(self) -> None:
        self._encoder = load_text_encoder(self.settings.models.text, self.settings.models.local_files_only)

    def models(self) -> dict[str, str]:
        if self._encoder is None:
            self.load()
        return {"text": self._encoder.identity}

    def dims(self) -> dict[str, int]:
        if self._encoder is None:
            self.load()
        return {"text": self._encoder.dims}

    def process(self, work: VideoWork) -> None:
        if self._encoder is None:
            self.load()
        texts = [segment_text(s) for s in work.segments]
        todo = [i for i, t in enumerate(texts) if t]
        if not todo:
            return
        vectors = self._encoder.encode_documents([texts[i] for i in todo])
        for i, vector in zip(todo, vectors, strict=True):
            work.segments[i].text_vec = vector.tolist()
