"""The edit routes under /v1: segments, credits, role titles, face identities, relevance judgments, history,
revert, undo and the audit log. Writes need an editor API key (``VIDSEARCH_EDITS__EDITOR_API_KEYS``, name → key;
the name is recorded as who made the edit); reads take the same keys as search. Optimistic concurrency: every item
answers with an ``ETag`` (its version); a write with ``If-Match`` (or ``version`` in the body) over an older
version is refused with 409 and the current version."""

import asyncio
import datetime as dt
import hmac
import re
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Security
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from serve.access import Forbidden, Unauthorized
from serve.models import DOC_ID_PATTERN
from serve.problems import PROBLEM_JSON, Problem, ServiceUnavailable, as_vidsearch_error, raise_if_problem
from vidsearch.config import Settings
from vidsearch.errors import InvalidQuery

ItemId = Annotated[str, PathParam(pattern=DOC_ID_PATTERN, description="a segment or credit id")]
Target = Annotated[str, PathParam(pattern=r"^(segment|credit)$", description="segment or credit")]
IdentityId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._-]{1,200}$")]
_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKey")
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


class EditDeskBackend(Protocol):
    async def run(self, operation: str, **kwargs: Any) -> Any: ...


class HandleDesk:
    """The editor deployment behind a handle: its errors come back as the VidsearchError they were."""

    def __init__(self, handle, timeout_s: float) -> None:
        self._handle = handle
        self._timeout_s = timeout_s

    async def run(self, operation: str, **kwargs: Any) -> Any:
        response = self._handle.run.remote(operation, kwargs)
        try:
            result = await asyncio.wait_for(response, timeout=self._timeout_s)
        except TimeoutError:
            response.cancel()
            raise ServiceUnavailable(f"the edit took longer than {self._timeout_s:g} s") from None
        except Exception as exc:
            known = as_vidsearch_error(exc)
            if known is not None:
                raise known from None
            raise
        return raise_if_problem(result)


class SwitchedOff:
    """No editor keys configured: no editor deployment runs, and every edit route says why."""

    async def run(self, operation: str, **kwargs: Any) -> Any:
        raise Forbidden("edits are switched off: no editor API key is configured (VIDSEARCH_EDITS__EDITOR_API_KEYS)")


class InProcessDesk:
    """An ``EditDesk`` in this process (an API without Serve, and the route tests): calls run on a worker thread."""

    def __init__(self, desk) -> None:
        self.desk = desk

    async def run(self, operation: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.desk, operation), **kwargs)


class EditorKeys:
    """Who is editing: the name of the editor key sent in X-API-Key (compared in constant time)."""

    def __init__(self, settings: Settings) -> None:
        self.editors = dict(settings.edits.editor_api_keys)
        # reads are open unless search keys are set (as for search); then search, admin and editor keys may read
        self.search_keys = [k.get_secret_value() for k in settings.serve.search_api_keys]
        self.readers = self.search_keys + [k.get_secret_value() for k in settings.serve.admin_api_keys]

    def _editor(self, key: str) -> str | None:
        who = None
        for name, secret in self.editors.items():
            if hmac.compare_digest(key.encode(), secret.get_secret_value().encode()):
                who = name
        return who

    async def editor(self, key: str | None = Security(_KEY)) -> str:
        if not self.editors:
            raise Forbidden("edits are switched off: no editor API key is configured "
                            "(VIDSEARCH_EDITS__EDITOR_API_KEYS)")
        if not key:
            raise Unauthorized("edits need an editor API key in the X-API-Key header")
        who = self._editor(key)
        if who is None:
            raise Forbidden("the X-API-Key is not an editor key (search and admin keys cannot edit)")
        return who

    async def reader(self, key: str | None = Security(_KEY)) -> None:
        if not self.search_keys:
            return
        if not key:
            raise Unauthorized("this server requires an API key: send it in the X-API-Key header")
        known = any(hmac.compare_digest(key.encode(), k.encode()) for k in self.readers)
        if not known and self._editor(key) is None:
            raise Forbidden("the X-API-Key is not a valid search, admin or editor key")


class Revert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_version: int = Field(ge=0, description="the version to return to; 0: the machine values")
    reason: str | None = None
    version: int | None = Field(None, ge=0, description="the version you saw (or send If-Match)")


class Undo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edit_id: str = Field(pattern=r"^ed-[0-9]+-[0-9a-f]+$")
    reason: str | None = None


class RoleTitleMap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200, description="the role title as credits show it")
    code: str | None = Field(description="an EBU RoleCodeCS code (GET /v1/role-codes); null unmaps the title")
    reason: str | None = None
    version: int | None = Field(None, ge=0)


class IdentityName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    reason: str | None = None


class IdentityMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    others: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,200}$")]] = Field(min_length=1, max_length=100)
    reason: str | None = None


class IdentitySplit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_ids: list[Annotated[str, Field(pattern=DOC_ID_PATTERN)]] = Field(min_length=1, max_length=1000)
    reason: str | None = None


class NotThisPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(pattern=DOC_ID_PATTERN)
    reason: str | None = None


class IdentityUndo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: str | None = Field(None, pattern=r"^ev-[0-9]+-[0-9a-f]+$", description="default: the newest change")
    reason: str | None = None


class JudgmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=2000)
    doc_id: str = Field(pattern=DOC_ID_PATTERN)
    relevance: int = Field(ge=0, le=3, description="0 not relevant … 3 highly relevant")
    profile: str | None = Field(None, max_length=200)
    ranking: list[Annotated[str, Field(pattern=DOC_ID_PATTERN)]] = Field(default_factory=list, max_length=200)
    rank: int | None = Field(None, ge=1)
    weights: dict[str, float] = Field(default_factory=dict, max_length=20)


def _version(if_match: str | None, body_version: Any) -> int | None:
    if body_version is not None:
        if isinstance(body_version, bool) or not isinstance(body_version, int) or body_version < 0:
            raise InvalidQuery("version must be a whole number ≥ 0")
        return body_version
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match)
    if not found:
        raise InvalidQuery(f"If-Match {if_match!r} is not an item version such as \"3\"")
    return int(found.group(1))


def _with_etag(state: Any) -> JSONResponse:
    body = state.model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": f'"{body["version"]}"', "Cache-Control": "no-store"})


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": Problem, "content": {PROBLEM_JSON: {}}} for s in statuses}


def install_edit_routes(app: FastAPI, settings: Settings, desk: EditDeskBackend | None) -> None:
    desk = desk or SwitchedOff()
    keys = EditorKeys(settings)
    # declared only when search keys are set, so the OpenAPI document says truthfully whether reads need a key
    reader = [Depends(keys.reader)] if settings.serve.search_api_keys else []
    Editor = Annotated[str, Depends(keys.editor)]
    IfMatch = Annotated[str | None, Header(description='the version you edit, e.g. "3" (from the ETag)')]
    router = APIRouter(prefix="/v1", tags=["edits"], responses=_problems(400, 401, 403, 404, 409, 413, 422, 503))

    @router.get("/edits/{target}/{item_id}", dependencies=reader, summary="An item's values, machine values, "
                "version (ETag) and history")
    async def item(target: Target, item_id: ItemId) -> JSONResponse:
        return _with_etag(await desk.run("item", target=target, target_id=item_id))

    async def _edit(target: str, item_id: str, body: dict[str, Any], who: str, if_match: str | None
                    ) -> JSONResponse:
        changes = dict(body)
        reason = changes.pop("reason", None)
        version = _version(if_match, changes.pop("version", None))
        if reason is not None and not isinstance(reason, str):
            raise InvalidQuery("reason must be text")
        state = await desk.run("edit", target=target, target_id=item_id, changes=changes, who=who, reason=reason,
                               version=version)
        return _with_etag(state)

    @router.patch("/segments/{segment_id}", summary="Correct a segment's title, description (synopsis), OCR "
                  "text, caption or keywords; searched at once")
    async def edit_segment(segment_id: ItemId, who: Editor, if_match: IfMatch = None,
                           body: dict[str, Any] = Body(examples=[{"caption": "해운대 해수욕장", "reason": "OCR"}])
                           ) -> JSONResponse:
        return await _edit("segment", segment_id, body, who, if_match)

    @router.patch("/credits/{item_id}", summary="Correct a credit's name, role text or role code")
    async def edit_credit(item_id: ItemId, who: Editor, if_match: IfMatch = None,
                          body: dict[str, Any] = Body(examples=[{"role_code": "6.1"}])) -> JSONResponse:
        return await _edit("credit", item_id, body, who, if_match)

    @router.delete("/credits/{item_id}", summary="Delete a false credit (an edit: revert brings it back)")
    async def delete_credit(item_id: ItemId, who: Editor, if_match: IfMatch = None,
                            reason: Annotated[str | None, Query(max_length=500)] = None) -> JSONResponse:
        return await _edit("credit", item_id, {"deleted": True, "reason": reason}, who, if_match)

    @router.post("/edits/{target}/{item_id}/revert", summary="Return an item to any earlier version")
    async def revert(target: Target, item_id: ItemId, body: Revert, who: Editor, if_match: IfMatch = None
                     ) -> JSONResponse:
        state = await desk.run("revert", target=target, target_id=item_id, to_version=body.to_version, who=who,
                               reason=body.reason, version=_version(if_match, body.version))
        return _with_etag(state)

    @router.post("/edits/{target}/{item_id}/undo", summary="Take back one edit (refused while a later edit "
                 "changed the same fields)")
    async def undo(target: Target, item_id: ItemId, body: Undo, who: Editor) -> JSONResponse:
        return _with_etag(await desk.run("undo", target=target, target_id=item_id, record_id=body.edit_id,
                                         who=who, reason=body.reason))

    @router.get("/edits", dependencies=reader, summary="The audit log, newest first")
    async def audit(who: Annotated[str | None, Query(max_length=200)] = None,
                    kind: Annotated[str | None, Query(max_length=50)] = None,
                    target: Annotated[str | None, Query(pattern=r"^(segment|credit|role_title|judgment|identity)$")
                                      ] = None,
                    since: dt.datetime | None = None, until: dt.datetime | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
        return await desk.run("audit", who=who, kind=kind, target=target, since=since, until=until, limit=limit)

    @router.get("/edits/review", dependencies=reader, summary="Edits whose machine value changed under them")
    async def review(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
        return await desk.run("review", limit=limit)

    @router.get("/edits/whoami", summary="The editor name of the X-API-Key")
    async def whoami(who: Editor) -> dict[str, str]:
        return {"who": who}

    @router.get("/role-titles/queue", dependencies=reader, summary="Unmapped role titles, most frequent first, "
                "with the mapper's top-5")
    async def role_queue(limit: Annotated[int, Query(ge=1, le=500)] = 50, suggest: bool = True) -> Any:
        return await desk.run("role_queue", limit=limit, suggest=suggest)

    @router.post("/role-titles/map", summary="Map a role title to an EBU code for the whole archive")
    async def map_title(body: RoleTitleMap, who: Editor) -> Any:
        return await desk.run("map_role_title", title=body.title, code=body.code, who=who, reason=body.reason,
                              version=body.version)

    @router.get("/role-codes", dependencies=reader, summary="EBU role codes whose label contains every word")
    async def role_codes(q: Annotated[str | None, Query(max_length=200)] = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Any:
        return await desk.run("role_codes", words=q, limit=limit)

    @router.get("/identities", dependencies=reader, summary="Archive identities (persons across videos)")
    async def identities() -> Any:
        return await desk.run("identities")

    @router.get("/identities/history", dependencies=reader, summary="Identity changes, newest first")
    async def identity_history(identity_id: Annotated[str | None, Query(max_length=200)] = None,
                               limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Any:
        return await desk.run("identity_history", identity_id=identity_id, limit=limit)

    @router.post("/identities/undo", summary="Undo an identity change exactly (default: the newest)")
    async def identity_undo(body: IdentityUndo, who: Editor) -> Any:
        return await desk.run("undo_identity", event_id=body.event_id, who=who, reason=body.reason)

    @router.post("/identities/{identity_id}/name", summary="Name (or rename) a person")
    async def identity_name(identity_id: IdentityId, body: IdentityName, who: Editor) -> Any:
        return await desk.run("rename_identity", identity_id=identity_id, name=body.name, who=who,
                              reason=body.reason)

    @router.post("/identities/{identity_id}/merge", summary="Merge other identities into this one")
    async def identity_merge(identity_id: IdentityId, body: IdentityMerge, who: Editor) -> Any:
        return await desk.run("merge_identities", keep=identity_id, others=body.others, who=who,
                              reason=body.reason)

    @router.post("/identities/{identity_id}/split", summary="Split persons off into a new identity")
    async def identity_split(identity_id: IdentityId, body: IdentitySplit, who: Editor) -> Any:
        return await desk.run("split_identity", identity_id=identity_id, person_ids=body.person_ids, who=who,
                              reason=body.reason)

    @router.post("/identities/{identity_id}/not-this-person", summary="A face sample that is someone else")
    async def not_this_person(identity_id: IdentityId, body: NotThisPerson, who: Editor) -> Any:
        return await desk.run("not_this_person", identity_id=identity_id, person_id=body.person_id, who=who,
                              reason=body.reason)

    @router.post("/judgments", summary="Mark a hit relevant or not for a query (stored with what was shown)")
    async def judge(body: JudgmentIn, who: Editor) -> Any:
        return await desk.run("judge", who=who, **body.model_dump())

    @router.get("/judgments", dependencies=reader, summary="The newest judgment of each (query, hit)")
    async def judgments(query: Annotated[str | None, Query(max_length=2000)] = None) -> Any:
        return await desk.run("judgments", query=query)

    app.include_router(router)
