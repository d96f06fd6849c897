"""The API's own request/response shapes. Search requests and hits are ``vidsearch.search``'s models and stored
documents are ``vidsearch.documents``' models, so the CLI, the in-process searcher and the API speak one schema."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vidsearch.documents import Credit, Person, Segment, Video

# Document ids are derived from content hashes and positions: letters, digits and . _ - only. Anything else
# (slashes, "..", spaces) is refused before a lookup, so an id can never name a path.
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"


class VideoView(BaseModel):
    """A video with everything its timeline shows: segments in order, persons with appearances, credits."""

    video: Video
    segments: list[Segment]
    persons: list[Person]
    credits: list[Credit] = Field(default_factory=list)


class SegmentView(BaseModel):
    segment: Segment
    video: Video | None = None


class Feature(BaseModel):
    available: bool
    detail: str


class Capabilities(BaseModel):
    """What this installation can do: the web page builds its controls from it."""

    retrievers: list[str]
    unavailable_retrievers: dict[str, str]
    default_weights: dict[str, float] = Field(description="the default profile's weights (before query rules)")
    fusion: str
    default_profile: str = Field(description="the profile a request without weights or a profile fuses with")
    fusion_methods: list[str]
    normalizations: list[str]
    profiles: list[str]
    features: dict[str, Feature]
    limits: dict[str, int]
    counts: dict[str, int]


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str]


class JobState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(..., min_length=1, max_length=1000,
                             description="video files and folders as the server sees them")
    force: bool = Field(False, description="redo every stage even where the checkpoint says done")


class IngestJob(BaseModel):
    id: str
    state: JobState
    paths: list[str]
    force: bool = False
    submitted: dt.datetime
    finished: dt.datetime | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
