"""Keyframes → English captions (BLIP/BLIP-2) in the segment's ``caption`` field: BM25 text and, through the text
vector stage that runs after it, multilingual search over what is shown."""

from __future__ import annotations

from vidsearch.captioner import TransformersCaptioner, load_captioner
from vidsearch.errors import ConfigurationError
from vidsearch.models.refs import ModelRef, captioner_ref
from vidsearch.stages.base import Stage, StageResources, VideoWork
from vidsearch.stages.visual import keyframe_images


class CaptionStage(Stage):
    name = "captions"
    version = "1"
    requires = ("shots",)
    writes = frozenset({"caption"})
    affects = ("models.captioner",)

    def model_refs(self) -> list[ModelRef]:
        ref = captioner_ref(self.settings)
        return [ref] if ref else []

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self._captioner: TransformersCaptioner | None = None

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0, num_gpus=self.settings.models.captioner.num_gpus)

    def load(self) -> None:
        if self._captioner is None:
            self._captioner = load_captioner(self.settings.models.captioner, self.settings.models.local_files_only)
            if self._captioner is None:
                raise ConfigurationError("the captions stage needs models.captioner (backend and model)")

    def process(self, work: VideoWork) -> None:
        self.load()
        images = keyframe_images(work, self.settings.media.decode_threads)
        if not images:
            return
        times = list(images)
        captions = dict(zip(times, self._captioner.caption([images[t] for t in times]), strict=True))
        for segment in work.segments:
            texts = list(dict.fromkeys(captions[t] for t in segment.keyframes_s if captions.get(t)))
            segment.caption = ". ".join(texts) or None
