"""Programme metadata: title from the file name, plus an optional sidecar JSON beside the video
(``<stem>.json`` or ``<file name>.json``) with programme_title, channel, air_date and synopsis. The values become
BM25 text and filters on the video and on every one of its segments."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from vidsearch.documents import ProgrammeInfo
from vidsearch.stages.base import Stage, StageResources, VideoWork

_SEPARATORS = re.compile(r"[_\-.]+")


def title_from_file_name(path: Path) -> str:
    return _SEPARATORS.sub(" ", path.stem).strip() or path.name


def sidecar_path(video: Path, suffix: str) -> Path | None:
    for candidate in (video.with_suffix(suffix), video.with_name(video.name + suffix)):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> ProgrammeInfo:
    """Parse a sidecar; a broken one raises ValueError naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"metadata sidecar {path} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"metadata sidecar {path} must hold a JSON object")
    try:
        return ProgrammeInfo.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"metadata sidecar {path} is invalid: {problems}") from None


class MetadataStage(Stage):
    name = "metadata"
    version = "1"
    requires = ("shots",)

    def resources(self) -> StageResources:
        return StageResources(num_cpus=0.1)

    def process(self, work: VideoWork) -> None:
        path = work.path
        info = ProgrammeInfo()
        sidecar = sidecar_path(path, self.settings.media.sidecar_suffix)
        if sidecar is not None:
            try:
                info = read_sidecar(sidecar)
            except ValueError as exc:  # the video is still worth indexing under its file name
                work.warnings.append(str(exc))
        video = work.video
        video.title = info.title or info.programme_title or title_from_file_name(path)
        video.programme_title = info.programme_title
        video.channel = info.channel
        video.air_date = info.air_date
        video.synopsis = info.synopsis
        for segment in work.segments:
            segment.file_name = video.file_name
            segment.title = video.title
            segment.programme_title = video.programme_title
            segment.channel = video.channel
            segment.air_date = video.air_date
            segment.synopsis = video.synopsis
