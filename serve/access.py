"""Who may call what, and how much they may send: API keys (admin routes always; read routes when configured),
request body limits enforced while the body streams in, and security headers on every response."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from http import HTTPStatus

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.problems import PROBLEM_JSON
from vidsearch.serve_settings import ServeSettings
from vidsearch.errors import VidsearchError


class Unauthorized(VidsearchError):
    status = 401
    title = "API key required"


class Forbidden(VidsearchError):
    status = 403
    title = "Forbidden"


_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKey",
                           description="required on admin routes, and on read routes when search keys are set")


def _matches(given: str, keys: list) -> bool:
    # compare against every key in constant time, so timing reveals neither which key nor how much matched
    found = False
    for key in keys:
        found |= hmac.compare_digest(given.encode(), key.get_secret_value().encode())
    return found


class AccessKeys:
    """Roles: a search key reads; an editor key (``edits.editor_api_keys``) reads and edits — an archivist
    searches to find what to correct; an admin key reads and runs admin routes. Only admin keys see file paths."""

    def __init__(self, settings: ServeSettings, editor_keys: Iterable[SecretStr] = ()) -> None:
        self.admin_keys = list(settings.admin_api_keys)
        self.search_keys = list(settings.search_api_keys)
        self.editor_keys = list(editor_keys)

    async def reader(self, key: str | None = Security(_KEY_HEADER)) -> None:
        if not self.search_keys:
            return
        if not key:
            raise Unauthorized("this server requires an API key for search: send it in the X-API-Key header")
        if not _matches(key, self.search_keys + self.editor_keys + self.admin_keys):
            raise Forbidden("the X-API-Key is not a valid search, editor or admin key")

    async def is_admin(self, request: Request) -> bool:
        """Whether the caller holds an admin key (it then sees server file paths); never refuses a request, so it
        reads the header itself rather than declaring a security requirement in the OpenAPI description."""
        key = request.headers.get("X-API-Key")
        return bool(key and self.admin_keys and _matches(key, self.admin_keys))

    async def admin(self, key: str | None = Security(_KEY_HEADER)) -> None:
        if not self.admin_keys:
            raise Forbidden("admin routes are switched off: no admin API key is configured "
                            "(VIDSEARCH_SERVE__ADMIN_API_KEYS)")
        if not key:
            raise Unauthorized("admin routes need an admin API key in the X-API-Key header")
        if not _matches(key, self.admin_keys):
            raise Forbidden("the X-API-Key is not an admin key")


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``; FastAPI re-raises HTTPExceptions from body parsing, so the problem handler
    answers it."""


class BodyLimits:
    """Refuse request bodies over the limit with 413 — from Content-Length when it is sent, else while the body
    streams in — so an oversized request never reaches a handler or fills memory."""

    def __init__(self, app: ASGIApp, json_bytes: int, upload_bytes: int, upload_paths: tuple[str, ...]) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.upload_bytes = upload_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in self.upload_paths
        # multipart framing adds a little to the photo itself
        limit = self.upload_bytes + 64 * 1024 if upload else self.json_bytes
        what = "an upload" if upload else "a request body"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _reject(send, 400, "the Content-Length header is not a number")
                return
            if length > limit:
                await _reject(send, 413, f"{what} of {length:,} bytes is over the limit of {limit:,} bytes")
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(413, f"{what} is over the limit of {limit:,} bytes")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge as exc:
            if not started:
                await _reject(send, 413, exc.detail)


async def _reject(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                       "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """nosniff everywhere; a strict content security policy on the page (it loads only its own files)."""

    CSP = (b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
           b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = scope["path"] == "/" or scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if page:
                    headers.append((b"content-security-policy", self.CSP))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
