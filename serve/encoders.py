"""Query-side model deployments: the text encoder and the ko→en translator, each batching concurrent queries with
``@serve.batch`` (one model call for many queries is cheaper per query than one call each; batch size and wait
time come from settings, defaults chosen by bench/serve_batching.py)."""

from __future__ import annotations

import asyncio
import logging

from ray import serve

from serve.translator import load_translator
from vidsearch.config import Settings
from vidsearch.encoders.text import load_text_encoder
from vidsearch.search import QueryVector

log = logging.getLogger(__name__)


@serve.deployment(name="text_encoder")
class TextQueryEncoder:
    """The multilingual sentence encoder for queries (the same model that built the index's ``text_vec``)."""

    def __init__(self, settings: Settings) -> None:
        self._encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
        self._encoder.encode_queries(["warm-up"])  # first call allocates the engine's buffers
        self.configure_batching(settings.serve.text_batching.max_batch_size,
                                settings.serve.text_batching.batch_wait_timeout_s)
        log.info("text query encoder ready: %s", self._encoder.identity)

    def configure_batching(self, max_batch_size: int, batch_wait_timeout_s: float) -> None:
        self.encode.set_max_batch_size(max_batch_size)
        self.encode.set_batch_wait_timeout_s(batch_wait_timeout_s)

    def info(self) -> dict:
        return {"identity": self._encoder.identity, "dims": self._encoder.dims}

    @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.003)
    async def encode(self, queries: list[str]) -> list[QueryVector]:
        # Off the event loop, so the next batch gathers while this one computes.
        vectors = await asyncio.to_thread(self._encoder.encode_queries, queries)
        return [QueryVector(v, self._encoder.identity) for v in vectors]

    async def encode_unbatched(self, query: str) -> QueryVector:
        """One model call per query: the baseline the batching benchmark compares against."""
        vectors = await asyncio.to_thread(self._encoder.encode_queries, [query])
        return QueryVector(vectors[0], self._encoder.identity)


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
