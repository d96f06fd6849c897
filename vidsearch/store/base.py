"""The index backend protocol: what the embedded store and Elasticsearch both provide.

Documents are plain JSON-shaped dicts whose fields are those of ``es_mappings``; vectors may be lists or numpy
arrays. Search calls return per-retriever candidate lists; fusing them is ``ranking``'s job, so both backends rank
alike and relevance engineers can re-weight without re-querying.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vidsearch.errors import DocumentRejected, EncoderMismatch
from vidsearch.schema import FieldKind, IndexName, index_schema


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    score: float


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gte: float | dt.date | None = None
    lte: float | dt.date | None = None


class SearchFilters(BaseModel):
    """Restrictions every retriever applies before ranking (ES ``filter`` context)."""

    model_config = ConfigDict(extra="forbid")

    video_ids: list[str] | None = Field(None, description="only these videos")
    channel: list[str] | None = Field(None, description="only these channels")
    air_date_from: dt.date | None = None
    air_date_to: dt.date | None = None
    time_from_s: float | None = Field(None, ge=0, description="segments ending after this time")
    time_to_s: float | None = Field(None, ge=0, description="segments starting before this time")
    terms: dict[str, list[str]] = Field(default_factory=dict, description="any keyword field → allowed values")
    ranges: dict[str, Range] = Field(default_factory=dict, description="any number/date field → range")

    @model_validator(mode="after")
    def _ordered(self) -> SearchFilters:
        if self.air_date_from and self.air_date_to and self.air_date_from > self.air_date_to:
            raise ValueError("air_date_from is after air_date_to")
        if self.time_from_s is not None and self.time_to_s is not None and self.time_from_s > self.time_to_s:
            raise ValueError("time_from_s is after time_to_s")
        return self

    def is_empty(self) -> bool:
        return not any(
            (self.video_ids is not None, self.channel is not None, self.air_date_from, self.air_date_to,
             self.time_from_s is not None, self.time_to_s is not None, self.terms, self.ranges)
        )

    def clauses(self, index: IndexName) -> tuple[dict[str, list[str]], dict[str, Range]]:
        """Normalise to (keyword terms, ranges) over the index's own fields; unknown fields are an error."""
        schema = index_schema(index)
        terms = dict(self.terms)
        ranges = dict(self.ranges)
        if self.video_ids is not None:
            terms["video_id" if index is not IndexName.VIDEOS else "_id"] = self.video_ids
        if self.channel is not None:
            terms["channel"] = self.channel
        if self.air_date_from or self.air_date_to:
            ranges["air_date"] = Range(gte=self.air_date_from, lte=self.air_date_to)
        if self.time_from_s is not None:  # overlap: the segment ends after time_from
            ranges["end_s"] = Range(gte=self.time_from_s)
        if self.time_to_s is not None:
            ranges["start_s"] = Range(lte=self.time_to_s)
        for name in terms:
            if name != "_id" and schema.kinds.get(name) is not FieldKind.KEYWORD:
                raise ValueError(f"cannot filter {index!s} by terms on {name!r}: not a keyword field")
        for name in ranges:
            if schema.kinds.get(name) not in (FieldKind.NUMBER, FieldKind.DATE):
                raise ValueError(f"cannot filter {index!s} by range on {name!r}: not a number or date field")
        return terms, ranges


@dataclass(frozen=True)
class TextRetriever:
    """BM25 over one or more text fields; several fields combine like ES ``multi_match`` best_fields
    (the best field's score per document, boosts applied)."""

    name: str
    query: str
    fields: tuple[str, ...]
    k: int = 100
    boosts: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorRetriever:
    """k nearest neighbours by dot product over L2-normalised vectors."""

    name: str
    field: str
    vector: np.ndarray
    k: int = 100
    num_candidates: int | None = None
    encoder: str | None = None  # identity of the query encoder; checked against the index's record


Retriever = TextRetriever | VectorRetriever


@dataclass
class WriteReport:
    written: int = 0
    deleted: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (doc id, reason)

    def merge(self, other: WriteReport) -> WriteReport:
        self.written += other.written
        self.deleted += other.deleted
        self.failed.extend(other.failed)
        return self


@dataclass
class VideoBundle:
    """Everything one video's analysis produced, committed together. The video document goes last: its
    ``stages`` field is the checkpoint, so a video whose bundle did not finish is redone on the next run."""

    video_id: str
    video: dict[str, Any]
    docs: dict[IndexName, list[tuple[str, dict[str, Any]]]]
    replace: frozenset[IndexName] = frozenset()  # indices whose other docs of this video are removed


@dataclass
class StoreStats:
    backend: str
    location: str
    counts: dict[str, int]
    encoders: dict[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)


class EditRecordTaken(Exception):
    """Another writer already stored this (target, target id, version): the caller's view was stale."""

    def __init__(self, target: str, target_id: str, version: int) -> None:
        super().__init__(f"{target} {target_id} version {version} already exists")
        self.target, self.target_id, self.version = target, target_id, version


def edit_seq(moment: dt.datetime) -> int:
    """An edit record's ``seq`` (epoch nanoseconds; naive times are UTC) for a time bound, clamped to 64 bits so
    year 1 and 9999 stay valid bounds."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return max(-(2**63) + 1, min(2**63 - 1, int(aware.timestamp() * 1e9)))


@runtime_checkable
class EditLog(Protocol):
    """Human edits and relevance judgments, append-only, in their own table/index: never part of a video's
    documents, so re-analysis, ``delete_video`` and a blue/green rebuild of the other indices leave them alone.
    Records are JSON dicts (see ``vidsearch.edits.records``); (target, target_id, version) is unique, which is what
    makes a stale concurrent write fail instead of overwriting."""

    def append(self, record: Mapping[str, Any]) -> None:
        """Store a new record; raises EditRecordTaken when its (target, target_id, version) exists."""

    def of_targets(self, target: str, target_ids: Sequence[str]) -> list[dict[str, Any]]: ...

    def of_video(self, video_id: str) -> list[dict[str, Any]]: ...

    def of_target_kind(self, target: str) -> list[dict[str, Any]]: ...

    def query(self, who: str | None = None, kind: str | None = None, target: str | None = None,
              since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 100
              ) -> list[dict[str, Any]]:
        """Newest first: the audit log."""

    def mark(self, record_id: str, fields: Mapping[str, Any]) -> None:
        """Update a record's review fields (``review``, ``machine_now``, ``note``); nothing else changes."""


@runtime_checkable
class IndexBackend(Protocol):
    """One store of the four indices (videos, segments, persons, credits)."""

    def ensure_indices(self, encoders: Mapping[str, Mapping[str, Any]]) -> None:
        """Create missing indices; record which encoders (role → {id, dims}) fill their vector fields.
        Raises EncoderMismatch if an existing index was built by different encoders."""

    def encoders(self) -> dict[str, dict[str, Any]]: ...

    def upsert(self, index: IndexName, docs: Sequence[tuple[str, dict[str, Any]]]) -> WriteReport: ...

    def delete(self, index: IndexName, ids: Sequence[str]) -> int: ...

    def commit_video(self, bundle: VideoBundle) -> WriteReport: ...

    def delete_video(self, video_id: str) -> int:
        """Remove a video and every document derived from it."""

    def get(self, index: IndexName, ids: Sequence[str], with_vectors: bool = False
            ) -> dict[str, dict[str, Any]]: ...

    def count(self, index: IndexName, filters: SearchFilters | None = None) -> int: ...

    def scan(
        self, index: IndexName, filters: SearchFilters | None = None, batch_size: int = 1000,
        with_vectors: bool = False,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every matching document in id order (ES: point in time + search_after), vectors only on request."""

    def search(
        self, index: IndexName, retrievers: Sequence[Retriever], filters: SearchFilters | None = None
    ) -> dict[str, list[Candidate]]:
        """Run each retriever under the same filters; candidate lists keyed by retriever name, best first."""

    def refresh(self) -> None:
        """Make everything written so far visible to search."""

    def stats(self) -> StoreStats: ...

    def edit_log(self) -> EditLog:
        """The human-edit records of this store (created on first use)."""

    def close(self) -> None: ...


def check_document(index: IndexName, doc_id: str, body: Mapping[str, Any], dims: Mapping[str, int],
                   require_dims: bool = False) -> dict:
    """Reject what Elasticsearch would reject (unknown fields under ``dynamic: strict``, vectors of the wrong
    length) and what it would silently corrupt (NaN/inf vectors). Returns the body with vectors as float32.
    ``require_dims``: a vector for a field whose encoder is not recorded (no dims) is rejected too."""
    if not doc_id or not isinstance(doc_id, str):
        raise DocumentRejected(str(doc_id), "empty or non-string id")
    schema = index_schema(index)
    out: dict[str, Any] = {}
    for name, value in body.items():
        kind = schema.kinds.get(name)
        if kind is None:
            raise DocumentRejected(doc_id, f"unknown field {name!r} for index {index!s}")
        if kind is FieldKind.VECTOR and value is not None:
            expected = dims.get(name)
            if require_dims and expected is None:
                raise DocumentRejected(doc_id, f"{name} has a vector but no encoder is recorded for it")
            vec = np.asarray(value, dtype=np.float32)
            if vec.ndim != 1 or (expected is not None and vec.shape[0] != expected):
                raise DocumentRejected(doc_id, f"{name} has shape {vec.shape}, expected ({expected},)")
            if not np.isfinite(vec).all():
                raise DocumentRejected(doc_id, f"{name} contains NaN or infinite values")
            norm = float(np.linalg.norm(vec))
            if not math.isclose(norm, 1.0, rel_tol=1e-2):
                if norm == 0.0:
                    raise DocumentRejected(doc_id, f"{name} is the zero vector")
                vec = vec / norm
            value = vec
        out[name] = value
    return out


def check_query_encoder(retriever: VectorRetriever, role: str, recorded: Mapping[str, Any]) -> bool:
    """Refuse a query vector from another encoder, or of another length, than the one recorded for ``role``.
    False when no encoder is recorded for it (the field holds no vectors yet)."""
    info = recorded.get(role)
    if info is None:
        return False
    if retriever.encoder is not None and retriever.encoder != info["id"]:
        raise EncoderMismatch(f"{retriever.field} was built by {info['id']}; the query was encoded by "
                              f"{retriever.encoder}")
    shape = np.asarray(retriever.vector).shape
    if shape != (info["dims"],):
        raise EncoderMismatch(f"{retriever.field} holds {info['dims']}-d vectors; the query vector has shape "
                              f"{shape}")
    return True
