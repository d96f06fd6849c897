"""Edit records and what they add up to: an item's versions, its effective values and its review flags.

One record is one user action on one item (several fields may change together) and takes the item's next
version. Each changed field keeps its old value, its new value and the machine value it was made over; a field
whose newest change ``follows_machine`` shows the machine value again (a revert to before any edit).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from vidsearch.errors import VidsearchError


class EditTarget(StrEnum):
    SEGMENT = "segment"
    CREDIT = "credit"
    ROLE_TITLE = "role_title"  # a normalised role title, mapped to an EBU code archive-wide
    JUDGMENT = "judgment"  # a relevance judgment: (query, document) → grade
    IDENTITY = "identity"  # who/why of an identity event (the event itself lives in identity_events)


class StaleVersion(VidsearchError):
    """The edit was made over an older version than the item now has."""

    status = 409
    title = "Edit conflict"

    def __init__(self, target: str, target_id: str, given: int, current: int) -> None:
        super().__init__(f"{target} {target_id!r} is at version {current}, not {given}: someone edited it since. "
                         f"Reload it (its history shows what changed) and edit version {current}")
        self.current = current


class EditRejected(VidsearchError):
    status = 422
    title = "Edit rejected"


class UndoBlocked(VidsearchError):
    status = 409
    title = "Undo blocked by a later edit"


class FieldChange(BaseModel):
    old: Any = None  # the value shown before this edit
    new: Any = None
    machine: Any = None  # the machine value this edit was made over
    follows_machine: bool = False  # after this change the field shows the machine value again
    snapshot: dict[str, Any] | None = None  # a deleted item's whole body, to restore it on revert


class EditRecord(BaseModel):
    id: str
    target: EditTarget
    target_id: str
    version: int = Field(ge=1)
    video_id: str | None = None
    who: str
    at: dt.datetime
    seq: int  # nanoseconds since the epoch: orders records archive-wide
    kind: str  # "edit" | "revert" | "undo" | "map_role_title" | "judgment"
    reason: str | None = None
    changes: dict[str, FieldChange] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)  # e.g. a judgment's query, profile and ranking shown
    reverts_to: int | None = None
    undoes: str | None = None
    review: bool = False  # the machine value under this edit changed since: a person should look
    machine_now: dict[str, Any] = Field(default_factory=dict)  # field → the machine value re-analysis produced
    note: str | None = None

    @classmethod
    def new(cls, target: EditTarget, target_id: str, version: int, who: str, kind: str,
            changes: dict[str, FieldChange], **extra: Any) -> EditRecord:
        seq = time.time_ns()
        return cls(id=f"ed-{seq}-{secrets.token_hex(3)}", target=target, target_id=target_id, version=version,
                   who=who, at=dt.datetime.now(dt.UTC).replace(microsecond=0), seq=seq, kind=kind, changes=changes,
                   **extra)

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class ItemEdits:
    """The records of one item folded: its version, and per field the newest change and the machine value now."""

    def __init__(self, target: EditTarget, target_id: str, records: list[EditRecord]) -> None:
        self.target = target
        self.target_id = target_id
        self.records = sorted(records, key=lambda r: r.version)
        self.latest: dict[str, tuple[EditRecord, FieldChange]] = {}
        for record in self.records:
            for name, change in record.changes.items():
                self.latest[name] = (record, change)

    @property
    def version(self) -> int:
        return self.records[-1].version if self.records else 0

    def machine(self, name: str, default: Any = None) -> Any:
        """The newest machine value known for a field under its edits (re-analysis may have replaced it)."""
        if name not in self.latest:
            return default
        record, change = self.latest[name]
        return record.machine_now[name] if name in record.machine_now else change.machine

    def active(self) -> dict[str, Any]:
        """Fields a person's value currently overrides → that value."""
        return {name: change.new for name, (_, change) in self.latest.items() if not change.follows_machine}

    def review_fields(self) -> list[str]:
        """Edited fields whose own machine value changed under a flagged record. One record may edit several
        fields; only those re-analysis changed are listed (all of them when the item itself went missing)."""
        return sorted(name for name, (record, change) in self.latest.items()
                      if record.review and not change.follows_machine
                      and (not record.machine_now
                           or record.machine_now.get(name, change.machine) != change.machine))

    def at_version(self, version: int) -> dict[str, FieldChange]:
        """Per field, the change in force at ``version`` (fields absent followed the machine then)."""
        state: dict[str, FieldChange] = {}
        for record in self.records:
            if record.version > version:
                break
            state.update(record.changes)
        return state


def fold(records: list[dict[str, Any]]) -> dict[tuple[str, str], ItemEdits]:
    """Stored records → per (target, target id) their folded edits."""
    grouped: dict[tuple[str, str], list[EditRecord]] = {}
    for raw in records:
        record = EditRecord.model_validate(raw)
        grouped.setdefault((record.target.value, record.target_id), []).append(record)
    return {key: ItemEdits(EditTarget(key[0]), key[1], recs) for key, recs in grouped.items()}
