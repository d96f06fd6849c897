"""Role titles the mapper left without a code: a curation queue (most frequent first, with the mapper's top-5),
and mapping a title to an EBU code for the whole archive — every credit with that title takes the code, now and
after any re-analysis, and the title joins the site's title list, which the role mapper indexes
(``vidsearch.credits.roles.site``), so a re-analysis codes the title by itself."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from vidsearch.edits.documents import title_key
from vidsearch.edits.fields import check_role_code, role_fields
from vidsearch.edits.records import EditRecord, EditRejected, EditTarget, FieldChange, ItemEdits, StaleVersion, fold
from vidsearch.errors import NotFound
from vidsearch.schema import IndexName
from vidsearch.store.base import EditLog, EditRecordTaken

if TYPE_CHECKING:
    from vidsearch.edits.layer import EditLayer

log = logging.getLogger(__name__)


class Suggestion(BaseModel):
    code: str
    label: str
    department: str
    score: float


class QueuedTitle(BaseModel):
    key: str
    title: str  # the most frequent spelling
    spellings: list[str]
    credits: int
    videos: int
    suggestions: list[Suggestion]


class TitleMapping(BaseModel):
    key: str
    title: str
    code: str | None
    version: int
    credits_updated: int
    history: list[EditRecord]


_LOADING: dict[str, Future] = {}
_LOADER = ThreadPoolExecutor(1, thread_name_prefix="role-mapper")


def _mapper(settings, wait_s: float):
    """The role mapper, or None if it is still loading after ``wait_s`` or cannot load (logged once)."""
    from vidsearch.credits.roles.recipe import load_role_mapper

    from vidsearch.credits.roles.site import site_role_titles_path
    from vidsearch.models.checksum import path_signature

    # a new site title changes the mapper: the next queue loads it afresh (with the title in its index)
    key = settings.credits.model_dump_json() + path_signature(str(site_role_titles_path(settings)))
    future = _LOADING.get(key)
    if future is None:
        future = _LOADING[key] = _LOADER.submit(load_role_mapper, settings)
    try:
        return future.result(timeout=wait_s)
    except FutureTimeout:
        log.info("role mapper still loading: the queue is shown without suggestions for now")
    except Exception as exc:  # noqa: BLE001 - the queue is useful without suggestions; say why they are gone
        log.warning("no role suggestions: the role mapper could not load (%s)", exc)
    return None


def title_mappings(edit_log: EditLog) -> dict[str, str]:
    """Normalised title key → EBU code, for every title currently mapped by a person."""
    out: dict[str, str] = {}
    for (_, key), edits in fold(edit_log.of_target_kind(EditTarget.ROLE_TITLE.value)).items():
        code = edits.active().get("role_code")
        if code:
            out[key] = code
    return out


class RoleTitles:
    def __init__(self, layer: EditLayer) -> None:
        self.layer = layer
        self.store = layer.store
        self.settings = layer.settings

    def queue(self, limit: int = 50, suggest: bool = True) -> list[QueuedTitle]:
        mapped = title_mappings(self.layer.log)
        spellings: dict[str, Counter[str]] = {}
        videos: dict[str, set[str]] = {}
        for _, body in self.store.scan(IndexName.CREDITS):
            if body.get("role_code") or not body.get("role_text"):
                continue
            key = title_key(body["role_text"])
            if not key or key in mapped:
                continue
            spellings.setdefault(key, Counter())[body["role_text"]] += 1
            videos.setdefault(key, set()).add(body.get("video_id", ""))
        ranked = sorted(spellings, key=lambda k: (-sum(spellings[k].values()), k))[:limit]
        titles = [spellings[k].most_common(1)[0][0] for k in ranked]
        suggestions = self._suggest(titles) if suggest and titles else [[] for _ in titles]
        return [QueuedTitle(key=k, title=t, spellings=sorted(spellings[k]), credits=sum(spellings[k].values()),
                            videos=len(videos[k]), suggestions=s)
                for k, t, s in zip(ranked, titles, suggestions, strict=True)]

    def _suggest(self, titles: list[str]) -> list[list[Suggestion]]:
        """The mapper's top-5 per title. The mapper loads in the background (seconds to a minute); until it is
        ready the queue comes back without suggestions rather than keeping a person waiting."""
        mapper = _mapper(self.settings, self.settings.edits.suggest_wait_s)
        if mapper is None:
            return [[] for _ in titles]
        mappings = mapper.map(titles, top_k=5)
        return [[Suggestion(code=m.code, label=m.label, department=m.department, score=round(m.score, 4))
                 for m in mapping.matches[:5]] for mapping in mappings]

    def _edits(self, key: str) -> ItemEdits:
        records = [EditRecord.model_validate(r) for r in self.layer.log.of_targets(EditTarget.ROLE_TITLE, [key])]
        return ItemEdits(EditTarget.ROLE_TITLE, key, records)

    def map(self, title: str, code: str | None, who: str, reason: str | None = None, version: int | None = None
            ) -> TitleMapping:
        """Map ``title`` (any spelling) to ``code`` archive-wide; ``code=None`` unmaps it (credits get back the
        codes they had)."""
        key = title_key(title)
        if not key:
            raise EditRejected(f"{title!r} is not a role title (nothing left after normalising it)")
        if code is not None:
            code = check_role_code(self.settings, code)
        edits = self._edits(key)
        if version is not None and version != edits.version:
            raise StaleVersion(EditTarget.ROLE_TITLE.value, key, version, edits.version)
        current = edits.active().get("role_code")
        if current == code:
            return self._mapping(key, title, 0)
        previous = {cid: body.get("role_code") for cid, body in self._credits_with(key)}
        if edits.records:  # keep what the credits had before the first mapping
            previous = {**previous, **edits.records[0].context.get("previous", {})}
        change = FieldChange(old=current, new=code, machine=None, follows_machine=code is None)
        record = EditRecord.new(EditTarget.ROLE_TITLE, key, edits.version + 1, who, "map_role_title",
                                {"role_code": change}, reason=self.layer._reason(reason),
                                context={"title": title, "previous": previous})
        try:
            self.layer.log.append(record.to_doc())
        except EditRecordTaken:
            raise StaleVersion(EditTarget.ROLE_TITLE.value, key, edits.version, self._edits(key).version) from None
        updated = self.apply(key, code, previous)
        self._site_title(code, title)
        return self._mapping(key, title, updated)

    def _credits_with(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        return [(cid, body) for cid, body in self.store.scan(IndexName.CREDITS)
                if title_key(body.get("role_text")) == key]

    def apply(self, key: str, code: str | None, previous: dict[str, str | None]) -> int:
        """Give every credit with the title the code (or its earlier one), unless a person set its code."""
        credits = self._credits_with(key)
        own = self.layer.log.of_targets(EditTarget.CREDIT.value, [cid for cid, _ in credits])
        pinned = {cid for (_, cid), e in fold(own).items() if "role_code" in e.active()}
        changed = []
        for cid, body in credits:
            if cid in pinned:
                continue
            fields = role_fields(self.settings, code if code is not None else previous.get(cid))
            new = {k: v for k, v in {**body, **fields}.items() if v is not None}
            if new != body:
                changed.append((cid, new))
        if changed:
            self.store.upsert(IndexName.CREDITS, changed)
            self.store.refresh()
        return len(changed)

    def _mapping(self, key: str, title: str, updated: int) -> TitleMapping:
        edits = self._edits(key)
        return TitleMapping(key=key, title=title, code=edits.active().get("role_code"), version=edits.version,
                            credits_updated=updated, history=list(reversed(edits.records)))

    def mapping(self, title: str) -> TitleMapping:
        key = title_key(title)
        edits = self._edits(key)
        if not edits.records:
            raise NotFound(f"the role title {title!r} was never mapped by a person")
        return self._mapping(key, edits.records[-1].context.get("title", title), 0)

    def site_titles_path(self) -> Path:
        from vidsearch.credits.roles.site import site_role_titles_path

        return site_role_titles_path(self.settings)

    def _site_title(self, code: str | None, title: str) -> None:
        """Put (code, title) in the site's title list — the authored-title TSV format the mapper reads — or take
        the title out of it (``code`` None)."""
        path = self.site_titles_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
        rows = [r for r in rows if len(r) < 2 or title_key(r[1]) != title_key(title)]
        rows += [[code, " ".join(title.split())]] if code is not None else []  # one line, one cell
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write("# role titles mapped by archivists (vidsearch edits); code<TAB>title\n")
            csv.writer(handle, delimiter="\t", lineterminator="\n").writerows(rows)
