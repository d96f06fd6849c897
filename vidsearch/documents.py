"""Documents: what analysis produces and what the index stores (one pydantic model per index).

Field names match ``es_mappings`` exactly; ``to_doc()`` gives the JSON body both backends store. Ids are derived
from (video content hash, kind, position), so re-running a job overwrites documents instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from vidsearch.schema import IndexName


def segment_id(video_id: str, index: int) -> str:
    return f"{video_id}.s{index:04d}"


def person_id(video_id: str, cluster: int) -> str:
    return f"{video_id}.p{cluster:03d}"


def credit_id(video_id: str, position: int) -> str:
    return f"{video_id}.c{position:04d}"


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    INDEX: ClassVar[IndexName]  # the index this model is stored in

    id: str

    def to_doc(self) -> dict[str, Any]:
        """The stored body: no id (it is the key), no unset optional fields."""
        return self.model_dump(mode="json", exclude={"id"}, exclude_none=True)

    @classmethod
    def from_doc(cls, doc_id: str, body: dict[str, Any]):
        return cls.model_validate({**body, "id": doc_id})


class ProgrammeInfo(BaseModel):
    """Metadata that describes a whole video: from the file name and an optional sidecar JSON."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    programme_title: str | None = None
    channel: str | None = None
    air_date: dt.date | None = None
    synopsis: str | None = None


class Video(Document):
    INDEX = IndexName.VIDEOS

    path: str
    paths: list[str] = Field(default_factory=list, description="every path this content was found under")
    content_hash: str
    file_name: str
    title: str | None = None
    programme_title: str | None = None
    channel: str | None = None
    air_date: dt.date | None = None
    synopsis: str | None = None
    duration_s: float
    fps: float
    width: int
    height: int
    rotation: int = 0
    size_bytes: int
    stages: dict[str, dict[str, Any] | str] = Field(
        default_factory=dict, description="the checkpoint: stage name → its output fingerprint record "
        "(vidsearch.stages.graph); a bare version string in indices built before fingerprints")
    encoders: dict[str, str] = Field(default_factory=dict, description="encoder role → identity")
    indexed_at: dt.datetime | None = None
    segment_count: int = 0
    person_count: int = 0
    credit_count: int = 0


class Segment(Document):
    """A shot (or a run of short shots): the unit text and vector search returns."""

    INDEX = IndexName.SEGMENTS

    video_id: str
    index: int
    start_s: float
    end_s: float
    keyframes_s: list[float] = Field(default_factory=list)
    thumbnail: str | None = Field(None, description="path relative to the media cache")
    file_name: str | None = None
    title: str | None = None
    programme_title: str | None = None
    channel: str | None = None
    air_date: dt.date | None = None
    synopsis: str | None = None
    ocr_text: str | None = None
    credits_text: str | None = None
    caption: str | None = None
    keywords: list[str] | None = Field(None, description="set by archivists' edits (vidsearch.edits)")
    person_ids: list[str] = Field(default_factory=list)
    text_vec: list[float] | None = None
    clip_vec: list[float] | None = None


class Appearance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_s: float
    end_s: float


class Person(Document):
    """One person within one video: a cluster of face tracks."""

    INDEX = IndexName.PERSONS

    video_id: str
    cluster: int
    face_count: int
    track_count: int = 0
    appearances: list[Appearance] = Field(default_factory=list)
    first_s: float | None = None
    last_s: float | None = None
    screen_time_s: float | None = None
    thumbnails: list[str] = Field(default_factory=list)
    identity_id: str | None = None
    name: str | None = None
    face_vec: list[float] | None = None
    # each track's face vector (kept in the source, not searched): archive linking compares persons track by track
    track_vecs: list[list[float]] | None = None


class Credit(Document):
    """One (role, name) pair read from an end-credit roll or card."""

    INDEX = IndexName.CREDITS

    video_id: str
    segment_id: str | None = None
    time_s: float  # when the credit's row is most readable (crossing the frame's centre; a card: mid-way)
    end_s: float | None = None  # the row is entirely on screen from start_s to end_s
    start_s: float | None = None
    role_text: str  # as printed ("" when the roll names no role); searchable whether mapped or not
    role_code: str | None = None  # the first of role_codes
    role_codes: list[str] = Field(default_factory=list)  # a composite title ("조연출·편집") maps to several
    role_label: str | None = None
    role_status: str | None = None  # mapped | partial | unmapped | other_language | none
    role_confidence: float | None = None  # the mapper's score of the title's weakest part
    department: str | None = None
    name: str
    kind: str = "person"  # person | company
    confidence: float = 0.0
    line_text: str | None = None
    title: str | None = None
    programme_title: str | None = None
    channel: str | None = None
    air_date: dt.date | None = None


class PersonChange(BaseModel):
    """One person's identity assignment before and after an identity event."""

    model_config = ConfigDict(extra="forbid")

    person_id: str
    before_identity: str | None = None
    before_name: str | None = None
    after_identity: str | None = None
    after_name: str | None = None


class IdentityEvent(Document):
    """A user's change to archive identities (name, merge, split) or the undoing of one."""

    INDEX = IndexName.IDENTITY_EVENTS

    kind: str  # "name" | "merge" | "split" | "undo"
    at: dt.datetime
    seq: int  # nanoseconds since the epoch: orders events
    identity_ids: list[str] = Field(default_factory=list)
    person_ids: list[str] = Field(default_factory=list)
    changes: list[PersonChange] = Field(default_factory=list)
    summary: str | None = None
    undoes: str | None = None
    undone_by: str | None = None


DOCUMENT_TYPES: dict[IndexName, type[Document]] = {
    IndexName.VIDEOS: Video,
    IndexName.SEGMENTS: Segment,
    IndexName.PERSONS: Person,
    IndexName.CREDITS: Credit,
    IndexName.IDENTITY_EVENTS: IdentityEvent,
}
