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
    """The configured stages, in order, each after the stages it requires and the stages whose output it reads
    (``text_vectors`` after ``credits``, so the credit text is embedded)."""
    names = list(names if names is not None else settings.ingest.stages)
    if len(set(names)) != len(names):
        raise ConfigurationError(f"a stage is listed twice in {names}")
    classes = {name: stage_class(name) for name in names}
    for position, name in enumerate(names):
        missing = [r for r in classes[name].requires if r not in names[:position]]
        if missing:
            raise ConfigurationError(f"stage {name!r} needs {missing} before it; configured order: {names}")
        for later in names[position + 1:]:
            fields = sorted(classes[name].reads & classes[later].writes)
            if fields:
                raise ConfigurationError(
                    f"stage {name!r} reads {', '.join(fields)}, which {later!r} writes: list {later!r} before "
                    f"{name!r}; configured order: {names}")
    return [classes[name](settings) for name in names]
