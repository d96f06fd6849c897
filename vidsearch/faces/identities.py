"""Archive identities: one person across many videos, named, merged and split by users — and every change
undoable.

State lives in the index backend (so it works on Elasticsearch as on the embedded store): each person document
carries ``identity_id`` and ``name``, and each user change is an ``IdentityEvent`` holding every affected
person's before and after. Undo writes the befores back — refusing, with the reason, when a later change
touched the same persons — and is itself an event. Persons are linked into identities after the videos'
commits, archive-wide and independent of the order videos finished in (``vidsearch.faces.linking``); what a
user decided stays. Re-indexed videos keep their persons' assignments (person ids are stable per video and
cluster).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from vidsearch.documents import IdentityEvent, Person, PersonChange
from vidsearch.errors import InvalidQuery, NotFound, StoreError
from vidsearch.faces.linking import LinkReport, link_identities
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend, SearchFilters

log = logging.getLogger(__name__)

def new_identity_id(person_id: str) -> str:
    return f"id-{person_id}"


class IdentitySummary(BaseModel):
    identity_id: str
    name: str | None
    persons: list[str]
    videos: list[str]
    face_count: int
    screen_time_s: float
    thumbnail: str | None


class IdentityBook:
    def __init__(self, store: IndexBackend, encoder: str, identity_distance: float,
                 same_video_distance: float | None = None, single_view_distance: float | None = None,
                 bridge_distance: float | None = None) -> None:
        self.store = store
        self.encoder = encoder
        self.distance = identity_distance
        # how far two one-track persons may lie (``linking``: a one-view centroid is noisier); None: as far as
        # any two persons
        self.single_view_distance = single_view_distance
        # two persons of one video share an identity only this close (default: the identity distance)
        self.same_video_distance = identity_distance if same_video_distance is None else same_video_distance
        # two persons of one video a person of another video vouches for may lie this far (None: no vouching)
        self.bridge_distance = bridge_distance

    # -- linking ------------------------------------------------------------------------------------------
    def carry_over(self, persons: Sequence[Person]) -> int:
        """Re-indexed persons keep their earlier identity and name (in place), so the assignments users made
        survive; nothing new is founded here — ``link`` does that for the whole archive after the commits.
        Returns how many kept one."""
        previous = self.store.get(IndexName.PERSONS, [p.id for p in persons]) if persons else {}
        kept = 0
        for person in persons:
            old = previous.get(person.id)
            if old and old.get("identity_id"):
                person.identity_id, person.name = old["identity_id"], old.get("name")
                kept += 1
        return kept

    def link(self) -> LinkReport:
        """Link every person of the archive into identities (idempotent, order-independent; see
        ``vidsearch.faces.linking``)."""
        return link_identities(self.store, self.distance, self.same_video_distance, self.single_view_distance,
                               self.bridge_distance)

    # -- reading --------------------------------------------------------------------------------------------
    def members(self, identity_id: str) -> dict[str, dict]:
        found = dict(self.store.scan(IndexName.PERSONS, SearchFilters(terms={"identity_id": [identity_id]})))
        if not found:
            raise NotFound(f"no identity {identity_id!r} (see `vidsearch faces identities`)")
        return found

    def identities(self, named_only: bool = False) -> list[IdentitySummary]:
        groups: dict[str, list[tuple[str, dict]]] = {}
        for pid, body in self.store.scan(IndexName.PERSONS):
            if body.get("identity_id"):
                groups.setdefault(body["identity_id"], []).append((pid, body))
        summaries = [self._summary(identity, members) for identity, members in groups.items()]
        if named_only:
            summaries = [s for s in summaries if s.name]
        return sorted(summaries, key=lambda s: (-len(s.videos), -s.screen_time_s, s.identity_id))

    @staticmethod
    def _summary(identity_id: str, members: list[tuple[str, dict]]) -> IdentitySummary:
        members = sorted(members, key=lambda m: -(m[1].get("screen_time_s") or 0.0))
        names = [b.get("name") for _, b in members if b.get("name")]
        thumbs = [t for _, b in members for t in b.get("thumbnails", [])]
        return IdentitySummary(
            identity_id=identity_id, name=names[0] if names else None, persons=sorted(p for p, _ in members),
            videos=sorted({b["video_id"] for _, b in members}),
            face_count=sum(b.get("face_count", 0) for _, b in members),
            screen_time_s=round(sum(b.get("screen_time_s") or 0.0 for _, b in members), 3),
            thumbnail=thumbs[0] if thumbs else None)

    def history(self, identity_id: str | None = None, limit: int = 50) -> list[IdentityEvent]:
        filters = SearchFilters(terms={"identity_ids": [identity_id]}) if identity_id else None
        found = self.store.scan(IndexName.IDENTITY_EVENTS, filters)
        events = [IdentityEvent.from_doc(i, b) for i, b in found]
        return sorted(events, key=lambda e: -e.seq)[:limit]

    # -- user changes ---------------------------------------------------------------------------------------
    def name(self, identity_id: str, name: str) -> IdentityEvent | None:
        """Name an identity; None (and nothing recorded) when every member already has that name."""
        name = name.strip()
        if not name:
            raise InvalidQuery("a name cannot be empty")
        members = self.members(identity_id)
        if all(body.get("name") == name for body in members.values()):
            return None
        changes = [self._change(pid, body, identity_id, name) for pid, body in members.items()]
        return self._record("name", [identity_id], changes, f"named {identity_id} {name!r}")

    def merge(self, keep: str, others: Sequence[str]) -> IdentityEvent:
        others = [o for o in dict.fromkeys(others) if o != keep]
        if not others:
            raise InvalidQuery("merge needs at least one other identity than the one kept")
        kept = self.members(keep)
        absorbed = {o: self.members(o) for o in others}
        names = [b.get("name") for b in kept.values() if b.get("name")]
        names += [b.get("name") for m in absorbed.values() for b in m.values() if b.get("name")]
        name = names[0] if names else None
        everyone = {**kept, **{pid: body for m in absorbed.values() for pid, body in m.items()}}
        changes = [self._change(pid, body, keep, name) for pid, body in everyone.items()]
        return self._record("merge", [keep, *others], changes, f"merged {', '.join(others)} into {keep}")

    def split(self, identity_id: str, person_ids: Sequence[str]) -> IdentityEvent:
        members = self.members(identity_id)
        chosen = list(dict.fromkeys(person_ids))
        strangers = [p for p in chosen if p not in members]
        if strangers:
            raise InvalidQuery(f"{', '.join(strangers)} not in identity {identity_id}")
        if not chosen or len(chosen) == len(members):
            raise InvalidQuery("split needs some, but not all, of the identity's persons")
        target = new_identity_id(sorted(chosen)[0])
        while target == identity_id or self.store.count(
            IndexName.PERSONS, SearchFilters(terms={"identity_id": [target]})
        ):
            target = f"{new_identity_id(sorted(chosen)[0])}-{secrets.token_hex(2)}"
        changes = [self._change(pid, members[pid], target, None) for pid in chosen]
        return self._record(
            "split",
            [identity_id, target],
            changes,
            f"split {len(chosen)} person(s) from {identity_id} into {target}",
        )

    def undo(self, event_id: str | None = None) -> IdentityEvent:
        event = self._undoable(event_id)
        current = self.store.get(IndexName.PERSONS, [c.person_id for c in event.changes])
        reverted = []
        for change in event.changes:
            body = current.get(change.person_id)
            if body is None:
                continue  # its video was deleted since
            now = (body.get("identity_id"), body.get("name"))
            if now == (change.before_identity, change.before_name):
                continue
            if now != (change.after_identity, change.after_name):
                raise InvalidQuery(
                    f"cannot undo {event.id} ({event.summary}): {change.person_id} changed since "
                    f"(now in {now[0]}); undo the later change first"
                )
            reverted.append(self._change(change.person_id, body, change.before_identity, change.before_name))
        undo = self._record(
            "undo", event.identity_ids, reverted, f"undid {event.id}: {event.summary}", undoes=event.id
        )
        event.undone_by = undo.id
        self.store.upsert(IndexName.IDENTITY_EVENTS, [(event.id, event.to_doc())])
        self.store.refresh()
        return undo

    def _undoable(self, event_id: str | None) -> IdentityEvent:
        if event_id is not None:
            found = self.store.get(IndexName.IDENTITY_EVENTS, [event_id])
            if event_id not in found:
                raise NotFound(f"no identity event {event_id!r} (see `vidsearch faces history`)")
            event = IdentityEvent.from_doc(event_id, found[event_id])
            if event.undone_by:
                raise InvalidQuery(f"{event_id} was already undone by {event.undone_by}")
            return event
        for event in self.history(limit=1_000_000):
            if event.kind != "undo" and not event.undone_by:
                return event
        raise NotFound("nothing to undo: no identity change is on record")

    @staticmethod
    def _change(pid: str, body: dict, identity: str | None, name: str | None) -> PersonChange:
        return PersonChange(
            person_id=pid,
            before_identity=body.get("identity_id"),
            before_name=body.get("name"),
            after_identity=identity,
            after_name=name,
        )

    def _record(
        self,
        kind: str,
        identity_ids: Iterable[str],
        changes: list[PersonChange],
        summary: str,
        undoes: str | None = None,
    ) -> IdentityEvent:
        """Log the event first (a crash then leaves a record of what was meant), then rewrite the persons."""
        seq = time.time_ns()
        event = IdentityEvent(
            id=f"ev-{seq}-{secrets.token_hex(3)}",
            kind=kind,
            at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            seq=seq,
            identity_ids=list(identity_ids),
            person_ids=[c.person_id for c in changes],
            changes=changes,
            summary=summary,
            undoes=undoes,
        )
        self.store.upsert(IndexName.IDENTITY_EVENTS, [(event.id, event.to_doc())])
        moved = [c for c in changes if (c.before_identity, c.before_name) != (c.after_identity, c.after_name)]
        if moved:
            bodies = self.store.get(IndexName.PERSONS, [c.person_id for c in moved], with_vectors=True)
            updated = {}
            for change in moved:
                body = bodies.get(change.person_id)
                if body is None:
                    continue
                body = {k: v for k, v in body.items() if k not in ("identity_id", "name")}
                if change.after_identity:
                    body["identity_id"] = change.after_identity
                if change.after_name:
                    body["name"] = change.after_name
                updated[change.person_id] = body
            self._write_persons(updated)
        self.store.refresh()  # the next listing, history or undo must see this event (ES: near real time)
        log.debug("identities %s: %s (%d person(s))", kind, summary, len(moved))
        return event

    def _write_persons(self, bodies: dict[str, dict]) -> None:
        if not bodies:
            return
        report = self.store.upsert(IndexName.PERSONS, list(bodies.items()))
        if report.failed:
            raise StoreError(
                "could not update persons: " + "; ".join(f"{i}: {r}" for i, r in report.failed[:3])
            )
