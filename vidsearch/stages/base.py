"""The stage protocol: one analysis step over one video.

A stage declares its name, version, the resources one instance needs (Ray schedules actors by them), the stages it
needs before it, which indices it owns, the fields it reads and writes, the settings that change its output and
the models it uses — the last four make its output fingerprint (``vidsearch.stages.graph``). The ingest job runs the configured stages in order over a
``VideoWork`` per video; a stage reads what earlier stages put there (segments, keyframes) and adds its own output
(segment fields, persons, credits). Models load once per actor in ``load()``, never per video.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from vidsearch.config import Settings
from vidsearch.documents import Credit, Person, Segment, Video
from vidsearch.media.probe import VideoProbe
from vidsearch.models.refs import ModelRef
from vidsearch.schema import IndexName


@dataclass(frozen=True)
class StageResources:
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory_mb: int = 0


@dataclass
class StageFailure:
    stage: str
    kind: str  # exception class name
    message: str

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}"


@dataclass
class VideoWork:
    """One video travelling through the stages. Small: frames are decoded by the stage that needs them."""

    video: Video
    probe: VideoProbe
    media_dir: Path
    segments: list[Segment] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # stages still to run for this video, in order
    done: dict[str, str] = field(default_factory=dict)  # stages already done by an earlier run → version
    ran: dict[str, str] = field(default_factory=dict)  # stages run in this job → version
    # the checkpoint record (fingerprint and what it was made of) of every configured stage, from the plan
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # pending stage → why it reruns
    previous: dict[str, Any] = field(default_factory=dict)  # the video's stored document from the last run
    problems: dict[str, str] = field(default_factory=dict)  # stage → a problem it worked around (checkpointed)
    failure: StageFailure | None = None
    warnings: list[str] = field(default_factory=list)  # problems that did not stop this video
    seconds: dict[str, float] = field(default_factory=dict)  # stage → wall seconds
    # (worker, started, finished) per stage group that handled this video: epoch seconds, so the driver can
    # tell how busy each Ray actor was and when it started working
    spans: list[tuple[str, float, float]] = field(default_factory=list)

    @classmethod
    def create(cls, probe: VideoProbe, media_dir: Path) -> VideoWork:
        """A fresh work item for a probed file (no stage run yet)."""
        path = Path(probe.path)
        video = Video(
            id=probe.video_id, path=str(path), paths=[str(path)], content_hash=probe.content_hash,
            file_name=path.name, duration_s=round(probe.duration_s, 3), fps=round(probe.fps, 3),
            width=probe.width, height=probe.height, rotation=probe.rotation, size_bytes=probe.size_bytes,
        )
        return cls(video=video, probe=probe, media_dir=media_dir)

    @property
    def video_id(self) -> str:
        return self.video.id

    @property
    def path(self) -> Path:
        return Path(self.video.path)

    @property
    def thumbnail_dir(self) -> Path:
        return self.media_dir / self.video.id


class Stage(ABC):
    name: ClassVar[str]
    version: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    owns: ClassVar[frozenset[IndexName]] = frozenset()  # indices whose docs for a video this stage replaces

    # Segment or video fields this stage reads and writes ("segments": the segment list itself). A stage reads
    # from every configured stage that writes one of its ``reads``; it reruns when any of them changed.
    reads: ClassVar[frozenset[str]] = frozenset({"segments"})
    writes: ClassVar[frozenset[str]] = frozenset()
    # Settings (dotted sections or fields) whose values change this stage's output; runtime knobs such as
    # batch sizes and thread counts inside them are left out (``graph.RUNTIME_ONLY``).
    affects: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def model_refs(self) -> list[ModelRef]:
        """Every model this stage's output depends on, named and checksummed without loading it."""
        return []

    def video_inputs(self, path: Path | str) -> dict[str, str]:
        """Per-video inputs besides the video's content (whose hash is the video id), e.g. a sidecar's hash.
        ``path`` is a local path, or an object URI (a ``str``) for an object-storage input."""
        return {}

    def resources(self) -> StageResources:
        return StageResources()

    def models(self) -> dict[str, str]:
        """Encoder role → identity, for the vector fields this stage fills. The index records it and refuses
        vectors (documents or queries) from any other encoder."""
        return {}

    def dims(self) -> dict[str, int]:
        """Encoder role → vector length, for the same roles as ``models()``."""
        return {}

    def load(self) -> None:
        """Load models; called once per actor before the first video."""

    @abstractmethod
    def process(self, work: VideoWork) -> None:
        """Add this stage's output to ``work``. Raise a ``VidsearchError`` for a problem with this video."""

    def run(self, work: VideoWork) -> None:
        started = time.perf_counter()
        try:
            self.process(work)
        finally:
            work.seconds[self.name] = work.seconds.get(self.name, 0.0) + time.perf_counter() - started
        work.ran[self.name] = self.version
