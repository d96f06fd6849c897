"""Keyframes → one image-text vector per segment (``clip_vec``, the mean of its keyframes' vectors), so a text
query finds what is shown, not only what is written."""

from __future__ import annotations

import cv2
import numpy as np

from vidsearch.encoders.image_text import ImageTextEncoder, describe_image_text_encoder, load_image_text_encoder
from vidsearch.errors import ConfigurationError
from vidsearch.media.frames import Cv2FrameSource
from vidsearch.models.refs import ModelRef, image_text_ref
from vidsearch.stages.base import Stage, StageResources, VideoWork

_ENCODE_WIDTH = 448  # processors resize to 224–384; decoding larger only costs time


def keyframe_images(work: VideoWork, decode_threads: int) -> dict[float, np.ndarray]:
    """RGB keyframes of every segment, by keyframe time."""
    times = sorted({t for s in work.segments for t in s.keyframes_s})
    source = Cv2FrameSource(work.path, threads=decode_threads)
    return {t: cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            for t, frame in zip(times, source.frames_at(times, width=_ENCODE_WIDTH), strict=False)}


class VisualStage(Stage):
    name = "visual"
    version = "1"
    requires = ("shots",)
    writes = frozenset({"clip_vec"})
    affects = ("models.image_text",)

    def model_refs(self) -> list[ModelRef]:
        ref = image_text_ref(self.settings)
        return [ref] if ref else []

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._encoder: ImageTextEncoder | None = None

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0, num_gpus=self.settings.models.image_text.num_gpus)

    def load(self) -> None:
        if self._encoder is None:
            self._encoder = load_image_text_encoder(self.settings.models.image_text,
                                                    self.settings.models.local_files_only)
            if self._encoder is None:
                raise ConfigurationError("the visual stage needs models.image_text (backend and model)")

    def _describe(self) -> tuple[str, int]:
        if self._encoder is not None:
            return self._encoder.identity, self._encoder.dims
        return describe_image_text_encoder(self.settings.models.image_text, self.settings.models.local_files_only)

    def models(self) -> dict[str, str]:
        return {"image_text": self._describe()[0]}

    def dims(self) -> dict[str, int]:
        return {"image_text": self._describe()[1]}

    def process(self, work: VideoWork) -> None:
        self.load()
        images = keyframe_images(work, self.settings.media.decode_threads)
        if not images:
            return
        times = list(images)
        vectors = dict(zip(times, self._encoder.encode_images([images[t] for t in times]), strict=True))
        for segment in work.segments:
            mine = [vectors[t] for t in segment.keyframes_s if t in vectors]
            if mine:
                mean = np.mean(mine, axis=0)
                segment.clip_vec = (mean / max(float(np.linalg.norm(mean)), 1e-12)).tolist()
