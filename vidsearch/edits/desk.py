"""Every edit operation a person can make, in one place, for the API's editor deployment and the CLI alike.

Face identities (rename, merge, split, not-this-person, undo) are ``vidsearch.faces.identities.IdentityBook``'s own
operations; the desk adds who made each change and why, as an edit record, so the audit log covers them too."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from vidsearch.edits import judgments as judgment_records
from vidsearch.edits.fields import find_role_codes
from vidsearch.edits.layer import EditLayer, ItemState
from vidsearch.edits.records import EditRecord, EditTarget, FieldChange
from vidsearch.edits.roles import QueuedTitle, RoleTitles, TitleMapping
from vidsearch.errors import InvalidQuery
from vidsearch.store.base import IndexBackend

if TYPE_CHECKING:
    from vidsearch.config import Settings
    from vidsearch.documents import IdentityEvent
    from vidsearch.faces.identities import IdentitySummary


class IdentityChange(BaseModel):
    event_id: str
    kind: str
    summary: str | None
    identity_ids: list[str]
    undo_hint: str


class EditDesk:
    def __init__(self, store: IndexBackend, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.layer = EditLayer(store, settings)
        self.roles = RoleTitles(self.layer)
        self._book = None

    # -- segments and credits -------------------------------------------------------------------------------
    def item(self, target: str, target_id: str) -> ItemState:
        return self.layer.state(EditTarget(target), target_id)

    def edit(self, target: str, target_id: str, changes: dict[str, Any], who: str, reason: str | None = None,
             version: int | None = None) -> ItemState:
        return self.layer.edit(EditTarget(target), target_id, changes, who, reason, version)

    def revert(self, target: str, target_id: str, to_version: int, who: str, reason: str | None = None,
               version: int | None = None) -> ItemState:
        return self.layer.revert(EditTarget(target), target_id, to_version, who, reason, version)

    def undo(self, target: str, target_id: str, record_id: str, who: str, reason: str | None = None) -> ItemState:
        return self.layer.undo(EditTarget(target), target_id, record_id, who, reason)

    def audit(self, who: str | None = None, kind: str | None = None, target: str | None = None,
              since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 100
              ) -> list[EditRecord]:
        found = self.layer.log.query(who, kind, target, since, until, limit)
        return [EditRecord.model_validate(r) for r in found]

    def review(self, limit: int = 100) -> list[EditRecord]:
        """Edits whose machine value changed under them (or whose item is gone), newest first."""
        found = [EditRecord.model_validate(r) for r in self.layer.log.query(limit=100_000)]
        return [r for r in found if r.review][:limit]

    # -- role titles ----------------------------------------------------------------------------------------
    def role_queue(self, limit: int = 50, suggest: bool = True) -> list[QueuedTitle]:
        return self.roles.queue(limit, suggest)

    def map_role_title(self, title: str, code: str | None, who: str, reason: str | None = None,
                       version: int | None = None) -> TitleMapping:
        return self.roles.map(title, code, who, reason, version)

    def role_codes(self, words: str | None = None, limit: int = 50) -> list[dict[str, str]]:
        return find_role_codes(self.settings, words, limit)

    # -- relevance judgments --------------------------------------------------------------------------------
    def judge(self, query: str, doc_id: str, relevance: int, who: str, profile: str | None = None,
              ranking: list[str] | None = None, rank: int | None = None,
              weights: dict[str, float] | None = None) -> judgment_records.Judgment:
        return judgment_records.judge(self.layer.log, query, doc_id, relevance, who, profile, ranking, rank,
                                      weights)

    def judgments(self, query: str | None = None) -> list[judgment_records.Judgment]:
        return judgment_records.judgments(self.layer.log, query)

    # -- face identities ------------------------------------------------------------------------------------
    @property
    def book(self):
        if self._book is None:
            from vidsearch.faces.identities import IdentityBook
            from vidsearch.faces.models import load_face_model, thresholds

            model = load_face_model(self.settings.faces, self.settings.models.local_files_only)
            self._book = IdentityBook(self.store, model.identity,
                                      thresholds(self.settings.faces, model).identity_distance)
        return self._book

    def identities(self) -> list[IdentitySummary]:
        return self.book.identities()

    def identity_history(self, identity_id: str | None = None, limit: int = 50) -> list[IdentityEvent]:
        return self.book.history(identity_id, limit)

    def _noted(self, event: IdentityEvent, who: str, reason: str | None) -> IdentityChange:
        record = EditRecord.new(EditTarget.IDENTITY, event.id, 1, who, f"identity_{event.kind}",
                                {"identity_ids": FieldChange(new=event.identity_ids)},
                                reason=self.layer._reason(reason), undoes=event.undoes,
                                context={"summary": event.summary, "person_ids": event.person_ids})
        self.layer.log.append(record.to_doc())
        return IdentityChange(event_id=event.id, kind=event.kind, summary=event.summary,
                              identity_ids=event.identity_ids, undo_hint=f"POST /v1/identities/undo "
                              f'{{"event_id": "{event.id}"}}')

    def rename_identity(self, identity_id: str, name: str, who: str, reason: str | None = None
                        ) -> IdentityChange:
        if len(name) > 200:
            raise InvalidQuery("a person's name has at most 200 characters")
        return self._noted(self.book.name(identity_id, name), who, reason)

    def merge_identities(self, keep: str, others: list[str], who: str, reason: str | None = None
                         ) -> IdentityChange:
        return self._noted(self.book.merge(keep, others), who, reason)

    def split_identity(self, identity_id: str, person_ids: list[str], who: str, reason: str | None = None
                       ) -> IdentityChange:
        return self._noted(self.book.split(identity_id, person_ids), who, reason)

    def not_this_person(self, identity_id: str, person_id: str, who: str, reason: str | None = None
                        ) -> IdentityChange:
        """A face sample (one video's person) that is someone else: it leaves the identity for one of its own."""
        return self._noted(self.book.split(identity_id, [person_id]), who, reason or "not this person")

    def undo_identity(self, event_id: str | None, who: str, reason: str | None = None) -> IdentityChange:
        return self._noted(self.book.undo(event_id), who, reason)
