"""Query-side model deployments: the sentence encoder, the CLIP/SigLIP text encoder and the ko→en translator,
each batching concurrent queries with ``@serve.batch`` (one model call for many queries is cheaper per query than
one call each; batch size and wait time come from settings, defaults chosen by bench/serve_batching.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import numpy as np
from ray import serve

from vidsearch.serve_settings import QueryBatching
from serve.translator import load_translator
from vidsearch.config import Settings
from vidsearch.encoders.image_text import load_image_text_encoder
from vidsearch.encoders.text import load_text_encoder
from vidsearch.search import QueryVector

log = logging.getLogger(__name__)


class BatchedQueryEncoder:
    """A query encoder replica: concurrent queries are encoded together, one model call per batch."""

    def _load(self, encode: Callable[[list[str]], np.ndarray], identity: str, dims: int,
              batching: QueryBatching) -> None:
        self._encode = encode
        self.identity = identity
        self.dims = dims
        self._encode(["warm-up"])  # the first call allocates the model's buffers
        self.configure_batching(batching.max_batch_size, batching.batch_wait_timeout_s)
        log.info("query encoder ready: %s", identity)

    def configure_batching(self, max_batch_size: int, batch_wait_timeout_s: float) -> None:
        self.encode.set_max_batch_size(max_batch_size)
        self.encode.set_batch_wait_timeout_s(batch_wait_timeout_s)

    def info(self) -> dict:
        return {"identity": self.identity, "dims": self.dims}

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.010)  # replaced from settings in _load
    async def encode(self, queries: list[str]) -> list[QueryVector]:
        # Off the event loop, so the next batch gathers while this one computes.
        vectors = await asyncio.to_thread(self._encode, queries)
        return [QueryVector(v, self.identity) for v in vectors]

    async def encode_unbatched(self, query: str) -> QueryVector:
        """One model call per query: the baseline the batching benchmark compares against."""
        vectors = await asyncio.to_thread(self._encode, [query])
        return QueryVector(vectors[0], self.identity)


@serve.deployment(name="text_encoder")
class TextQueryEncoder(BatchedQueryEncoder):
    """The multilingual sentence encoder for queries (the model that built the index's ``text_vec``)."""

    def __init__(self, settings: Settings) -> None:
        encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
        self._load(encoder.encode_queries, encoder.identity, encoder.dims, settings.serve.text_batching)


@serve.deployment(name="clip_text_encoder")
class ClipTextQueryEncoder(BatchedQueryEncoder):
    """The text tower of the image-text (CLIP/SigLIP) model, for ``clip_vec`` searches."""

    def __init__(self, settings: Settings) -> None:
        encoder = load_image_text_encoder(settings.models.image_text, settings.models.local_files_only)
        if encoder is None:
            raise ValueError("ClipTextQueryEncoder deployed with models.image_text.backend = 'none'")
        self._load(encoder.encode_texts, encoder.identity, encoder.dims, settings.serve.text_batching)


@serve.deployment(name="translator")
class QueryTranslator:
    """Korean queries → English, for the English-analysed text fields."""

    def __init__(self, settings: Settings) -> None:
        translator = load_translator(settings.models.translator, settings.models.local_files_only)
        if translator is None:
            raise ValueError("QueryTranslator deployed with models.translator.backend = 'none'")
        self._translator = translator
        translator.translate(["준비"])  # the first generate() call is several times slower than the rest
        batching = settings.serve.translator_batching
        self.translate.set_max_batch_size(batching.max_batch_size)
        self.translate.set_batch_wait_timeout_s(batching.batch_wait_timeout_s)

    def info(self) -> dict:
        return {"identity": self._translator.identity}

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.005)
    async def translate(self, queries: list[str]) -> list[str]:
        return await asyncio.to_thread(self._translator.translate, queries)
