"""Runs inside Serve's HTTP proxy: a request whose ingress replica died before answering gets a 503 problem+json
with Retry-After, never the proxy's bare 500; and a small request body travels with the request (no call back).

Serve's proxy answers 503 only when no replica is available at all; a replica that dies while it holds a request
(``ActorDiedError``) leaves the proxy with nothing sent, and uvicorn then writes a plain-text 500. With the searcher
in the ingress (the default on small clusters) that is every search in flight on the replica. The proxy loads this
module through ``RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH`` (``vidsearch serve`` sets it for the proxies it starts;
on a cluster set it in the Ray head's environment: see docs/serve.md).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from vidsearch.serve_settings import ServeSettings

PROXY_CALLBACK_ENV = "RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH"
PROXY_CALLBACK = "serve.proxy_guard:proxy_middlewares"

log = logging.getLogger(__name__)


class ReplicaLossAs503:
    """ASGI middleware: an HTTP request that ends with no response started is answered 503 + Retry-After."""

    def __init__(self, app: Any, retry_after_s: int = 2) -> None:
        self.app = app
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            log.warning("the proxy failed before answering %s; sending 503", scope.get("path"), exc_info=True)
        if not started:
            await self._unavailable(scope, send)

    async def _unavailable(self, scope: dict, send: Any) -> None:
        body = json.dumps({
            "type": "about:blank", "title": "Service Unavailable", "status": 503,
            "detail": "the replica answering this request stopped (it is being restarted); retry shortly",
            "instance": scope.get("path", ""),
        }).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(self.retry_after_s).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


class BodyWithRequest:
    """Proxy side: a small request body (declared ``Content-Length`` ≤ ``limit``) is read here and sent to the
    replica inside the request's ASGI scope (``SCOPE_BODY``), which Serve pickles and ships whole. Without it the
    replica asks the proxy for the body with one more call back (a round trip of ~2–3 ms on 2 busy cores); a
    search body is a few hundred bytes. Larger or chunked bodies take Serve's own path."""

    def __init__(self, app: Any, limit: int = 64 * 1024) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        length = _content_length(scope) if scope["type"] == "http" else None
        if length is None or length > self.limit:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away while sending: Serve's path sees that
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        # the proxy still listens on receive() for the client's disconnect: that goes to the real one
        await self.app({**scope, SCOPE_BODY: b"".join(chunks)}, receive, send)


class ReplayBody:
    """Ingress side: the body the proxy sent with the request (``BodyWithRequest``) is the first message the app
    receives; later receive() calls (a disconnect) go to Serve's own channel."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = scope.get(SCOPE_BODY) if scope["type"] == "http" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


SCOPE_BODY = "vidsearch.body"


def _content_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(messages: list[dict], receive: Any) -> Any:
    pending = list(messages)

    async def replayed() -> dict:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def proxy_middlewares() -> list:
    """The proxy callback: Serve wraps its HTTP app in these (Starlette ``Middleware`` entries; the last is the
    outermost)."""
    from starlette.middleware import Middleware

    from vidsearch.config import Settings

    return [Middleware(ReplicaLossAs503, retry_after_s=Settings().serve.retry_after_s), Middleware(BodyWithRequest)]


def proxy_environment(settings: ServeSettings) -> dict[str, str]:
    """Environment for the Serve controller (its proxies inherit it): the guard, and ``serve.ray_serve_env``."""
    return {**settings.ray_serve_env, PROXY_CALLBACK_ENV: PROXY_CALLBACK,
            "VIDSEARCH_SERVE__RETRY_AFTER_S": str(settings.retry_after_s)}
