"""The edit layer: edit, revert and undo segments and credits, each a new version of the item, applied to the
searched document at once.

Every write follows one order: the record is appended first (its unique version makes a concurrent writer of the
same version fail with 409), then the document is rewritten from machine values + the item's edits. A crash
between the two leaves the record, and the next re-analysis or ``EditLayer.materialize`` applies it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from vidsearch.edits.documents import apply_edits, embedded_text_changed, refresh_text_vector
from vidsearch.edits.fields import EDITABLE, TARGET_INDEX, clean_changes
from vidsearch.edits.records import (
    EditRecord,
    EditRejected,
    EditTarget,
    FieldChange,
    ItemEdits,
    StaleVersion,
    UndoBlocked,
)
from vidsearch.errors import NotFound, StoreError
from vidsearch.store.base import EditRecordTaken, IndexBackend

if TYPE_CHECKING:
    from vidsearch.config import Settings

log = logging.getLogger(__name__)


class ItemState(BaseModel):
    """An item as a person sees it: values shown, machine values under them, version and history."""

    target: EditTarget
    target_id: str
    video_id: str | None = None
    version: int
    values: dict[str, Any]  # the editable fields as searched (machine value with the newest edit applied)
    machine: dict[str, Any]  # the machine values under them
    edited: list[str]  # fields a person's value overrides now
    review: list[str]  # edited fields whose machine value changed since the edit
    deleted: bool = False
    document: dict[str, Any]  # the stored document (vectors left out)
    history: list[EditRecord]  # newest first

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class EditLayer:
    def __init__(self, store: IndexBackend, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.log = store.edit_log()

    # -- reading --------------------------------------------------------------------------------------------
    def edits_of(self, target: EditTarget, target_id: str) -> ItemEdits:
        records = [EditRecord.model_validate(r) for r in self.log.of_targets(target.value, [target_id])]
        return ItemEdits(target, target_id, records)

    def titles(self) -> dict[str, str]:
        from vidsearch.edits.roles import title_mappings

        return title_mappings(self.log)

    def state(self, target: EditTarget, target_id: str) -> ItemState:
        target = EditTarget(target)
        if target not in TARGET_INDEX:
            raise EditRejected(f"{target} items are not edited field by field")
        edits = self.edits_of(target, target_id)
        body = self.store.get(TARGET_INDEX[target], [target_id]).get(target_id)
        deleted = bool(edits.active().get("deleted"))
        if body is None:
            body = _snapshot(edits)
            if body is None or not deleted:
                if edits.records:
                    raise NotFound(f"{target} {target_id!r} is no longer in the index (its video was deleted or "
                                   f"re-analysed into other items); its {len(edits.records)} edit(s) are kept and "
                                   "apply again if it returns")
                raise NotFound(f"no {target} {target_id!r}")
        body = {k: v for k, v in body.items() if not k.endswith("_vec")}
        fields = sorted(EDITABLE[target] - {"deleted"})
        return ItemState(
            target=target, target_id=target_id, video_id=body.get("video_id"), version=edits.version,
            values={f: body.get(f) for f in fields}, machine={f: edits.machine(f, body.get(f)) for f in fields},
            edited=sorted(f for f in edits.active() if f != "deleted"), review=edits.review_fields(),
            deleted=deleted, document=body, history=list(reversed(edits.records)))

    # -- changes --------------------------------------------------------------------------------------------
    def edit(self, target: EditTarget, target_id: str, changes: dict[str, Any], who: str,
             reason: str | None = None, version: int | None = None) -> ItemState:
        """Set fields of an item; ``version`` (the one the person saw) guards against a lost update."""
        target = EditTarget(target)
        if target not in TARGET_INDEX:
            raise EditRejected(f"{target} items are not edited field by field")
        cleaned = clean_changes(target, changes, self.settings)
        state = self._checked_state(target, target_id, version)
        if state.deleted and cleaned.get("deleted") is not False:
            raise EditRejected(f"{target} {target_id!r} is deleted by an edit: revert that (or set deleted "
                               "to false) first")
        out: dict[str, FieldChange] = {}
        for name, new in cleaned.items():
            old = state.deleted if name == "deleted" else state.values.get(name)
            if new == old:
                continue
            machine = False if name == "deleted" else state.machine.get(name)
            snapshot = state.document if name == "deleted" and new else None
            out[name] = FieldChange(old=old, new=new, machine=machine, snapshot=snapshot)
        if not out:
            return state
        return self._commit(state, "edit", out, who, reason)

    def revert(self, target: EditTarget, target_id: str, to_version: int, who: str, reason: str | None = None,
               version: int | None = None) -> ItemState:
        """Make the item look as it did at ``to_version`` (0: the machine values), as a new version."""
        target = EditTarget(target)
        state = self._checked_state(target, target_id, version)
        edits = self.edits_of(target, target_id)
        if not 0 <= to_version <= edits.version:
            raise EditRejected(f"{target} {target_id!r} has versions 0 to {edits.version}, not {to_version}")
        changes = self._restore(state, edits, edits.at_version(to_version), list(edits.latest))
        if not changes:
            return state
        return self._commit(state, "revert", changes, who, reason, reverts_to=to_version)

    def undo(self, target: EditTarget, target_id: str, record_id: str, who: str, reason: str | None = None
             ) -> ItemState:
        """Take back one edit's changes, refused (naming it) when a later edit changed the same fields."""
        target = EditTarget(target)
        edits = self.edits_of(target, target_id)
        record = next((r for r in edits.records if r.id == record_id), None)
        if record is None:
            raise NotFound(f"{target} {target_id!r} has no edit {record_id!r} (see its history)")
        if record.id in {r.undoes for r in edits.records}:
            raise UndoBlocked(f"{record.id} is already undone")
        later = [r for r in edits.records if r.version > record.version and set(r.changes) & set(record.changes)]
        cancelled = {r.undoes for r in later} | {r.id for r in later if r.undoes}  # an edit and its undo
        later = [r for r in later if r.id not in cancelled]
        if later:
            blocker = later[-1]
            fields = ", ".join(sorted(set(blocker.changes) & set(record.changes)))
            raise UndoBlocked(f"cannot undo {record.id} (version {record.version}): the later edit {blocker.id} "
                              f"(version {blocker.version}, {blocker.kind} by {blocker.who}) changed {fields} "
                              "after it; undo that one first, or revert to a version")
        state = self.state(target, target_id)
        changes = self._restore(state, edits, edits.at_version(record.version - 1), list(record.changes))
        if not changes:
            return state
        return self._commit(state, "undo", changes, who, reason, undoes=record.id)

    def _restore(self, state: ItemState, edits: ItemEdits, then: dict[str, FieldChange], names: list[str]
                 ) -> dict[str, FieldChange]:
        changes: dict[str, FieldChange] = {}
        for name in names:
            _, now = edits.latest[name]
            want = then.get(name)
            old = state.deleted if name == "deleted" else state.values.get(name)
            if want is None or want.follows_machine:
                if not now.follows_machine:
                    machine = False if name == "deleted" else edits.machine(name)
                    changes[name] = FieldChange(old=old, new=machine, machine=machine, follows_machine=True)
            elif now.follows_machine or now.new != want.new:
                changes[name] = FieldChange(old=old, new=want.new, machine=edits.machine(name),
                                            snapshot=state.document if name == "deleted" and want.new else None)
        return changes

    def _checked_state(self, target: EditTarget, target_id: str, version: int | None) -> ItemState:
        state = self.state(target, target_id)
        if version is not None and version != state.version:
            raise StaleVersion(target.value, target_id, version, state.version)
        return state

    def _commit(self, state: ItemState, kind: str, changes: dict[str, FieldChange], who: str,
                reason: str | None, **extra: Any) -> ItemState:
        record = EditRecord.new(state.target, state.target_id, state.version + 1, who, kind, changes,
                                video_id=state.video_id, reason=self._reason(reason), **extra)
        try:
            self.log.append(record.to_doc())
        except EditRecordTaken:
            current = self.edits_of(state.target, state.target_id).version
            raise StaleVersion(state.target.value, state.target_id, state.version, current) from None
        self.materialize(state.target, state.target_id)
        log.info("%s %s %s v%d by %s: %s", kind, state.target, state.target_id, record.version, who,
                 ", ".join(changes))
        return self.state(state.target, state.target_id)

    def _reason(self, reason: str | None) -> str | None:
        limit = self.settings.edits.max_reason_chars
        if reason is not None and len(reason) > limit:
            raise EditRejected(f"the reason is {len(reason):,} characters; at most {limit:,}")
        return reason.strip() or None if reason else None

    # -- applying -------------------------------------------------------------------------------------------
    def materialize(self, target: EditTarget, target_id: str) -> None:
        """Rewrite the searched document from its machine values and its edits (text vector included)."""
        index = TARGET_INDEX[target]
        edits = self.edits_of(target, target_id)
        stored = self.store.get(index, [target_id], with_vectors=True).get(target_id)
        if stored is None:
            stored = _snapshot(edits)
            if stored is None:
                return
        machine = {name: edits.machine(name, stored.get(name)) for name in edits.latest if name != "deleted"}
        base = {**stored, **machine}
        body = apply_edits(self.settings, target, base, edits, self.titles())
        if body is None:
            self.store.delete(index, [target_id])
        else:
            if target is EditTarget.SEGMENT and embedded_text_changed(stored, body):
                refresh_text_vector(self.settings, body, self.store.encoders())
            report = self.store.upsert(index, [(target_id, body)])
            if report.failed:
                raise StoreError(f"could not write the edited {target} {target_id}: {report.failed[0][1]}")
        self.store.refresh()


def _snapshot(edits: ItemEdits) -> dict[str, Any] | None:
    """The body a deleting edit kept, newest first (to show or restore a deleted item)."""
    for record in reversed(edits.records):
        change = record.changes.get("deleted")
        if change is not None and change.snapshot is not None:
            return dict(change.snapshot)
    return None
