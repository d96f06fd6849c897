"""Image captioning (BLIP / BLIP-2 through transformers): a keyframe → an English sentence for BM25 and the text
vector. A hub id or a local folder; ``none`` by default because no captioning weights ship offline."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidsearch.config import CaptionerSettings
from vidsearch.errors import ConfigurationError
from vidsearch.models.cache import cached
from vidsearch.models.checksum import path_signature


class TransformersCaptioner:
    def __init__(self, model: str, local_files_only: bool = True, max_new_tokens: int = 30, batch_size: int = 8,
                 device: str = "cpu") -> None:
        import torch
        from safetensors import SafetensorError  # a damaged weights file
        from transformers import AutoModelForImageTextToText, AutoProcessor

        source = str(Path(model).expanduser()) if Path(model).expanduser().exists() else model
        try:
            self._processor = AutoProcessor.from_pretrained(source, local_files_only=local_files_only)
            self._model = AutoModelForImageTextToText.from_pretrained(source, local_files_only=local_files_only)
        except (OSError, ValueError, SafetensorError) as exc:
            raise ConfigurationError(f"cannot load captioning model {model!r}: {exc}") from exc
        self._model = self._model.to(device).eval()
        self._torch = torch
        self._device = device
        self._max_new_tokens = max_new_tokens
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self.identity = f"transformers/{model}"

    def caption(self, images: Sequence[np.ndarray]) -> list[str]:
        """RGB uint8 images → one caption each (greedy decoding: the same image always gets the same words)."""
        captions: list[str] = []
        for start in range(0, len(images), self._batch_size):
            batch = list(images[start:start + self._batch_size])
            inputs = self._processor(images=batch, return_tensors="pt").to(self._device)
            with self._lock, self._torch.no_grad():
                ids = self._model.generate(**inputs, max_new_tokens=self._max_new_tokens, do_sample=False)
            captions.extend(t.strip() for t in self._processor.batch_decode(ids, skip_special_tokens=True))
        return captions


def load_captioner(settings: CaptionerSettings, local_files_only: bool = True) -> TransformersCaptioner | None:
    if settings.backend == "none":
        return None
    key = (settings.model_dump_json(), local_files_only, path_signature(settings.model or ""))
    return cached("captioner", key, lambda: _build(settings, local_files_only))


def _build(settings: CaptionerSettings, local_files_only: bool) -> TransformersCaptioner:
    if not settings.model:
        raise ConfigurationError("models.captioner.model must name a hub id or a local folder")
    return TransformersCaptioner(settings.model, local_files_only, settings.max_new_tokens, settings.batch_size,
                                 settings.device)
