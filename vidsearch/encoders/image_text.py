"""Image-text encoders (CLIP / SigLIP family): keyframes and text queries in one vector space (segment ``clip_vec``).

Backends: ``transformers`` (CLIPModel, SiglipModel and multilingual checkpoints; a hub id or a local folder) and
``open_clip`` (model name + pretrained tag or a local checkpoint file; the optional ``openclip`` extra). No weights
ship offline, so the backend is ``none`` by default and the ``clip_vec`` retriever reports itself unavailable.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from vidsearch.config import ImageTextEncoderSettings
from vidsearch.errors import ConfigurationError, MissingDependency
from vidsearch.models.cache import cached
from vidsearch.models.checksum import path_signature


@runtime_checkable
class ImageTextEncoder(Protocol):
    identity: str
    dims: int

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 images → (n, dims) L2-normalised."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalised(vectors) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)


def _features(output):
    """transformers 5 returns a model output from get_*_features; 4.x returned the tensor."""
    return output if hasattr(output, "detach") else output.pooler_output


class TransformersImageTextEncoder:
    def __init__(self, model: str, local_files_only: bool = True, batch_size: int = 16, device: str = "cpu") -> None:
        import torch
        from safetensors import SafetensorError  # a damaged weights file
        from transformers import AutoModel, AutoProcessor

        source = str(Path(model).expanduser()) if Path(model).expanduser().exists() else model
        try:
            self._processor = AutoProcessor.from_pretrained(source, local_files_only=local_files_only)
            self._model = AutoModel.from_pretrained(source, local_files_only=local_files_only).to(device).eval()
        except (OSError, ValueError, SafetensorError) as exc:
            raise ConfigurationError(
                f"cannot load image-text model {model!r}: {exc}. Give a local folder, or set "
                "VIDSEARCH_MODELS__LOCAL_FILES_ONLY=false where the hub is reachable."
            ) from exc
        if not hasattr(self._model, "get_image_features"):
            raise ConfigurationError(f"{model!r} is not an image-text (CLIP/SigLIP) model")
        self._torch = torch
        self._device = device
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._siglip = "siglip" in type(self._model).__name__.lower()
        probe = self.encode_texts(["probe"])
        self.dims = int(probe.shape[1])
        self.identity = transformers_identity(model)

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        out = []
        for start in range(0, len(images), self._batch_size):
            batch = list(images[start:start + self._batch_size])
            inputs = self._processor(images=batch, return_tensors="pt").to(self._device)
            with self._lock, self._torch.no_grad():
                out.append(_features(self._model.get_image_features(**inputs)).cpu().numpy())
        return _normalised(np.concatenate(out)) if out else np.zeros((0, getattr(self, "dims", 0)), np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        # SigLIP was trained with max-length padding; CLIP with the longest in the batch.
        padding = "max_length" if self._siglip else True
        inputs = self._processor(text=list(texts), return_tensors="pt", padding=padding, truncation=True)
        inputs = inputs.to(self._device)
        with self._lock, self._torch.no_grad():
            return _normalised(_features(self._model.get_text_features(**inputs)).cpu().numpy())


class OpenClipEncoder:
    def __init__(self, model: str, pretrained: str | None, device: str = "cpu") -> None:
        try:
            import open_clip
        except ImportError as exc:  # torchvision has no CPU build matching torch 2.13 here
            raise MissingDependency("open_clip", "pip install 'vidsearch[openclip]' (needs torchvision)") from exc
        import torch

        self._model, _, self._preprocess = open_clip.create_model_and_transforms(model, pretrained=pretrained,
                                                                                 device=device)
        self._model.eval()
        self._tokenizer = open_clip.get_tokenizer(model)
        self._torch = torch
        self._device = device
        self.dims = int(self.encode_texts(["probe"]).shape[1])
        self.identity = f"open_clip/{model}/{pretrained}"

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        from PIL import Image

        batch = self._torch.stack([self._preprocess(Image.fromarray(im)) for im in images]).to(self._device)
        with self._torch.no_grad():
            return _normalised(self._model.encode_image(batch).cpu().numpy())

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        with self._torch.no_grad():
            return _normalised(self._model.encode_text(self._tokenizer(list(texts)).to(self._device)).cpu().numpy())


def transformers_identity(model: str) -> str:
    return f"transformers/{model}"


def describe_image_text_encoder(settings: ImageTextEncoderSettings, local_files_only: bool = True
                                ) -> tuple[str, int]:
    """(identity, dims) without loading weights onto a device: the ingest driver records encoders before any
    GPU actor exists (on a cluster the driver may have no GPU at all). transformers models answer from their
    config; open_clip models are built on the CPU once."""
    if settings.backend == "transformers" and settings.model:
        from transformers import AutoConfig

        path = Path(settings.model).expanduser()
        source = str(path) if path.exists() else settings.model
        try:
            config = AutoConfig.from_pretrained(source, local_files_only=local_files_only)
        except OSError as exc:
            raise ConfigurationError(f"cannot read the config of image-text model {settings.model!r}: {exc}") from exc
        dims = getattr(config, "projection_dim", None) or getattr(getattr(config, "text_config", None),
                                                                  "hidden_size", None)
        if dims:
            return transformers_identity(settings.model), int(dims)
    encoder = load_image_text_encoder(settings.model_copy(update={"device": "cpu"}), local_files_only)
    if encoder is None:
        raise ConfigurationError("no image-text encoder configured (models.image_text)")
    return encoder.identity, encoder.dims


def load_image_text_encoder(settings: ImageTextEncoderSettings, local_files_only: bool = True
                            ) -> ImageTextEncoder | None:
    """The configured encoder, or None when the backend is ``none``. One per process."""
    if settings.backend == "none":
        return None
    key = (settings.model_dump_json(), local_files_only, path_signature(settings.model or ""))
    return cached("image_text", key, lambda: _build(settings, local_files_only))


def _build(settings: ImageTextEncoderSettings, local_files_only: bool) -> ImageTextEncoder:
    if not settings.model:
        raise ConfigurationError("models.image_text.model must name a hub id or a local folder")
    if settings.backend == "open_clip":
        return OpenClipEncoder(settings.model, settings.pretrained, settings.device)
    return TransformersImageTextEncoder(settings.model, local_files_only, settings.batch_size, settings.device)
