"""Analysis stages by name. A new stage is one class and one line here; the ingest job needs no change."""

from __future__ import annotations

from importlib import import_module

from vidsearch.config import Settings
from vidsearch.errors import ConfigurationError
from vidsearch.stages.base import Stage

STAGES: dict[str, str] = {
    "shots": "vidsearch.stages.shots:ShotStage",
    "metadata": "vidsearch.stages.metadata:MetadataStage",
    "scene_text": "vidsearch.stages.scene_text:SceneTextStage",
    "text_vectors": "vidsearch.stages.text_vectors:TextVectorStage",
    "visual": "vidsearch.stages.visual:VisualStage",
    "captions": "vidsearch.stages.captions:CaptionStage",
    "faces": "vidsearch.faces.stage:FaceStage",
    "credits": "vidsearch.credits.stage:CreditStage",
}


def stage_class(name: str) -> type[Stage]:
    try:
        module, _, attr = STAGES[name].partition(":")
    except KeyError:
        raise ConfigurationError(f"unknown stage {name!r}; known stages: {', '.join(STAGES)}") from None
    return getattr(import_module(module), attr)


def build_stages(settings: Settings, names: list[str] | None = None) -> list[Stage]:
    """The configured stages, in order, each after the stages it requires."""
    names = list(names if names is not None else settings.ingest.stages)
    if len(set(names)) != len(names):
        raise ConfigurationError(f"a stage is listed twice in {names}")
    stages: list[Stage] = []
    for position, name in enumerate(names):
        cls = stage_class(name)
        missing = [r for r in cls.requires if r not in names[:position]]
        if missing:
            raise ConfigurationError(f"stage {name!r} needs {missing} before it; configured order: {names}")
        stages.append(cls(settings))
    return stages
