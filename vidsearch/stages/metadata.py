"""Programme metadata: title from the file name, plus an optional sidecar JSON beside the video
(``<stem>.json`` or ``<file name>.json``) with programme_title, channel, air_date and synopsis. The values become
BM25 text and filters on the video and on every one of its segments."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pydantic import ValidationError

from vidsearch.documents import ProgrammeInfo
from vidsearch.sources.objects import UnreadableObject, is_object_uri, read_small, sidecar_uris
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


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]


class MetadataStage(Stage):
    name = "metadata"
    version = "1"
    requires = ("shots",)
    writes = frozenset({"title", "programme_title", "channel", "air_date", "synopsis"})
    affects = ("media.sidecar_suffix",)

    def video_inputs(self, path: Path | str) -> dict[str, str]:
        """The file name (the title without a sidecar) and the sidecar's content hash: an edited, added or
        removed sidecar reruns this stage and what reads the title. For an object URI the sidecar is the
        object beside it (the one ingest copies next to the cached video), read from the store."""
        if isinstance(path, str) and is_object_uri(path):
            return {"file_name": path.rsplit("/", 1)[-1], "sidecar": self._object_sidecar_digest(path)}
        path = Path(path)
        sidecar = sidecar_path(path, self.settings.media.sidecar_suffix)
        try:
            digest = _digest(sidecar.read_bytes()) if sidecar else "none"
        except OSError as exc:
            digest = f"unreadable ({exc.__class__.__name__})"
        return {"file_name": path.name, "sidecar": digest}

    def _object_sidecar_digest(self, uri: str) -> str:
        try:
            for candidate in sidecar_uris(uri, self.settings.media.sidecar_suffix):
                data = read_small(candidate, self.settings.sources)
                if data is not None:
                    return _digest(data)
        except UnreadableObject as exc:
            return f"unreadable ({exc.__class__.__name__})"
        return "none"

    def resources(self) -> StageResources:
        return StageResources(num_cpus=0.1)

    def process(self, work: VideoWork) -> None:
        path = work.path
        info = ProgrammeInfo()
        sidecar = sidecar_path(path, self.settings.media.sidecar_suffix)
        video = work.video
        if sidecar is not None:
            try:
                info = read_sidecar(sidecar)
            except ValueError as exc:  # the video is still worth indexing: under its last good metadata, if any
                kept = self._last_good(work)
                work.problems[self.name] = str(exc)
                work.warnings.append(f"{exc}; " + ("kept the metadata indexed from its last good version"
                                                   if kept else "indexed under its file name"))
                if kept:
                    self._annotate(work)
                    return
        video.title = info.title or info.programme_title or title_from_file_name(path)
        video.programme_title = info.programme_title
        video.channel = info.channel
        video.air_date = info.air_date
        video.synopsis = info.synopsis
        self._annotate(work)

    @staticmethod
    def _last_good(work: VideoWork) -> bool:
        """Whether the stored document holds metadata from an earlier run (``work.video`` carries it over)."""
        return bool(work.previous) and "metadata" in work.previous.get("stages", {})

    @staticmethod
    def _annotate(work: VideoWork) -> None:
        video = work.video
        for segment in work.segments:
            segment.file_name = video.file_name
            segment.title = video.title
            segment.programme_title = video.programme_title
            segment.channel = video.channel
            segment.air_date = video.air_date
            segment.synopsis = video.synopsis
