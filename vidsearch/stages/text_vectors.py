"""Segment text → one multilingual vector (``text_vec``), so a Korean query finds English on-screen text and
captions and the other way round. Runs after every stage that adds segment text."""

from __future__ import annotations

from vidsearch.documents import Segment
from vidsearch.encoders.passages import fit_passage
from vidsearch.encoders.text import TextEncoder, load_text_encoder
from vidsearch.models.refs import ModelRef, text_encoder_ref
from vidsearch.stages.base import Stage, StageResources, VideoWork

# Fields embedded, title first (it names what the rest is about and is what a cut would lose), then scene text,
# captions and credits; everything within the encoder's token window (see vidsearch/encoders/passages.py).
_FIELDS = ("title", "ocr_text", "caption", "credits_text")


def segment_text(segment: Segment, encoder: object | None = None) -> str:
    """The passage ``encoder`` embeds for ``segment`` (uncut without an encoder)."""
    return fit_passage([getattr(segment, name) for name in _FIELDS], encoder)


class TextVectorStage(Stage):
    name = "text_vectors"
    version = "2"  # 2: title first, cut in encoder tokens
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
        texts = [segment_text(s, self._encoder) for s in work.segments]
        todo = [i for i, t in enumerate(texts) if t]
        if not todo:
            return
        vectors = self._encoder.encode_documents([texts[i] for i in todo])
        for i, vector in zip(todo, vectors, strict=True):
            work.segments[i].text_vec = vector.tolist()
