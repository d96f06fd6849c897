"""The API's own request/response shapes. Search requests and hits are ``vidsearch.search``'s models and stored
documents are ``vidsearch.documents``' models, so the CLI, the in-process searcher and the API speak one schema."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, field_validator

from vidsearch.documents import Credit, Person, Segment, Video
from vidsearch.search import SearchRequest, SearchResponse

# Document ids are derived from content hashes and positions: letters, digits and . _ - only. Anything else
# (slashes, "..", spaces) is refused before a lookup, so an id can never name a path.
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"


def unpaired_surrogate(value: Any, path: str = "") -> str | None:
    """Where in ``value`` (a JSON value) a string holds a lone UTF-16 surrogate ("\\ud800"), which no UTF-8 text
    can carry: the dotted path inside ``value`` ('' for ``value`` itself), or None when there is none."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"{path}[{exc.start}]" if path else f"[{exc.start}]"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and unpaired_surrogate(key) is not None:
            return f"{path}.{key!a}" if path else f"{key!a}"
        found = unpaired_surrogate(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _refuse_surrogates(value: Any) -> Any:
    where = unpaired_surrogate(value)
    if where is not None:
        inside = f" (at {where})" if where and not where.startswith("[") else f" (character {where.strip('[]')})"
        raise ValueError(f"text holds an unpaired UTF-16 surrogate{inside}: send valid Unicode (UTF-8) text")
    return value


class ApiSearchRequest(SearchRequest):
    """A search over HTTP: the in-process request with strict JSON types (``"10"`` and ``true`` are not
    integers), no text a UTF-8 index could not hold, and a cursor for the next page."""

    k: StrictInt = Field(10, ge=1, le=1000, description="hits per page")
    explain: StrictBool = False
    weights: dict[str, Annotated[float, Strict()]] | None = Field(
        None, description="retriever → weight; overrides the profile (unknown retrievers are refused)")
    cursor: str | None = Field(None, max_length=12_000, description="next_cursor of the previous page: the "
                               "best-ranked hits not shown on the pages before, so pages never repeat or skip a "
                               "hit, even while new segments are indexed")

    @field_validator("*", mode="before")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return _refuse_surrogates(value)

    def in_process(self, k: int) -> SearchRequest:
        """The request the searcher runs: this one without the cursor, asking for ``k`` hits."""
        return SearchRequest(**{**{name: getattr(self, name) for name in SearchRequest.model_fields}, "k": k})


class SearchPage(SearchResponse):
    """One page of hits, with what was left out when a query model was unavailable."""

    degraded: list[str] = Field(default_factory=list, description="retrievers left out because their query model "
                                "was unavailable (e.g. text_vec while the text encoder restarts); the rest answered")
    next_cursor: str | None = Field(None, description="pass as cursor for the next page; null on the last page")


class PublicVideo(Video):
    """A video as the API shows it: the server's file paths only to admin callers (others see ids and titles)."""

    path: str | None = Field(None, description="the file on the server; admin callers only")
    paths: list[str] = Field(default_factory=list, description="every path this content was found under; admin "
                             "callers only")

    def without_paths(self) -> PublicVideo:
        return self.model_copy(update={"path": None, "paths": []})


class VideoView(BaseModel):
    """A video with everything its timeline shows: segments in order, persons with appearances, credits."""

    video: PublicVideo
    segments: list[Segment]
    persons: list[Person]
    credits: list[Credit] = Field(default_factory=list)


class SegmentView(BaseModel):
    segment: Segment
    video: PublicVideo | None = None


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
    relevance_floor: float = Field(description="the page hides hits whose `relative` score is below this")


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
    force: StrictBool = Field(False, description="redo every stage even where the checkpoint says done")

    @field_validator("paths", mode="before")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return _refuse_surrogates(value)


class IngestJob(BaseModel):
    id: str
    state: JobState
    paths: list[str]
    force: bool = False
    submitted: dt.datetime
    finished: dt.datetime | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
