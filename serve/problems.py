"""RFC 7807 problem details: every error the API returns is ``application/problem+json`` with a title, the HTTP
status and a detail line a person can act on.

Errors raised inside a deployment travel back to the ingress through Ray. ``RemoteProblem`` carries the status,
title and message of a ``VidsearchError`` in a form that always pickles (some error classes take several
constructor arguments, which default exception pickling cannot rebuild).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, ParamSpec, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from vidsearch.errors import VidsearchError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
P = ParamSpec("P")
R = TypeVar("R")


class Problem(BaseModel):
    type: str = Field("about:blank", description="a URI naming the problem type")
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="the request path")
    errors: list[dict[str, Any]] | None = Field(None, description="one entry per invalid input, for 422s")


class RemoteProblem(VidsearchError):
    """A VidsearchError as it crosses a deployment handle."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(status, title, detail)
        self.status = status
        self.title = title
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class ServiceUnavailable(VidsearchError):
    """A deployment the request needs is down, restarting, overloaded or too slow: answered 503 + Retry-After."""

    status = 503
    title = "Service unavailable"
    retry_after_s = 2


# Ray's exceptions when a replica died, is restarting, or its queue is full (by name: they move between modules).
REPLICA_FAILURES = frozenset({"ActorDiedError", "ActorUnavailableError", "RayActorError", "WorkerCrashedError",
                              "DeploymentUnavailableError", "BackPressureError", "RequestCancelledError",
                              "ActorUnschedulableError", "NodeDiedError", "OwnerDiedError"})


def replica_failure(exc: BaseException) -> str | None:
    """The name of the Ray failure inside ``exc`` when a replica (not the request) is at fault, else None."""
    seen = 0
    while exc is not None and seen < 5:
        for cls in type(exc).__mro__:
            if cls.__name__ in REPLICA_FAILURES:
                return type(exc).__name__
        exc = getattr(exc, "cause", None) or exc.__cause__
        seen += 1
    return None


class FeatureUnavailable(VidsearchError):
    """A route whose models or stages are not part of this installation."""

    status = 501
    title = "Not available in this installation"


def travels(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | RemoteProblem]]:
    """Decorate a deployment method so its VidsearchErrors reach the ingress intact: they are *returned* as a
    ``RemoteProblem`` (a client's mistake is not a replica failure, so Serve neither logs a traceback for it nor
    wraps it) and ``raise_if_problem`` raises them again on the caller's side."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | RemoteProblem:
        try:
            return await method(*args, **kwargs)
        except RemoteProblem as exc:
            return exc
        except VidsearchError as exc:
            return RemoteProblem(exc.status, exc.title, str(exc))
        except ValidationError as exc:
            return RemoteProblem(422, "Invalid request", _validation_summary(exc.errors()))

    return wrapper


def raise_if_problem(result: R | RemoteProblem) -> R:
    if isinstance(result, RemoteProblem):
        raise result
    return result


def as_vidsearch_error(exc: BaseException) -> VidsearchError | None:
    """The VidsearchError inside an exception raised by a deployment handle call (Ray wraps it), if any."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, VidsearchError):
            return exc
        exc = getattr(exc, "cause", None) or exc.__cause__
        seen += 1
    return None


def printable(value: Any) -> Any:
    """``value`` with every string made encodable as UTF-8 (a lone surrogate becomes U+FFFD), recursively: input
    echoed into an error must never break the error itself."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogate(value) else value
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# The last resort: bytes prepared at import, sent when building any other error response failed.
_FALLBACK = (b'{"type":"about:blank","title":"Internal Server Error","status":500,'
             b'"detail":"unexpected server error while reporting an error; it has been logged"}')


def problem(status: int, detail: str, *, title: str | None = None, instance: str | None = None,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> Response:
    try:
        if title is None:
            try:
                title = HTTPStatus(status).phrase
            except ValueError:
                title = "Error"
        if status == 503 and not (headers and "Retry-After" in headers):
            headers = {**(headers or {}), "Retry-After": str(ServiceUnavailable.retry_after_s)}
        body = Problem(title=printable(title), status=status, detail=printable(str(detail)),
                       instance=printable(instance), errors=printable(errors))
        return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON,
                            headers=headers)
    except Exception:  # noqa: BLE001 - an error response must always go out
        log.exception("could not build the problem response for status %s", status)
        return Response(_FALLBACK, status_code=500, media_type=PROBLEM_JSON)


def _location(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body",)] or ["body"]
    return ".".join(parts)


def _validation_summary(errors: list[dict[str, Any]]) -> str:
    shown = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors[:3]]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(shown) + more


def _plain_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors without the offending input (which may be huge or binary) and with JSON-safe fields."""
    out = []
    for e in errors[:20]:
        out.append({"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
                    "type": str(e.get("type", ""))})
    return out


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(VidsearchError)
    async def _vidsearch(request: Request, exc: VidsearchError) -> Response:
        if exc.status >= 500:
            log.warning("%s %s: %s", request.method, printable(request.url.path), printable(str(exc)))
        headers = {"Retry-After": str(getattr(exc, "retry_after_s", ServiceUnavailable.retry_after_s))} \
            if exc.status == 503 else None
        return problem(exc.status, str(exc), title=exc.title, instance=request.url.path, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            reason = next(str(e.get("ctx", {}).get("error", "")) for e in errors if e.get("type") == "json_invalid")
            return problem(400, f"the request body is not valid JSON{': ' + reason if reason else ''}",
                           title="Malformed JSON", instance=request.url.path)
        return problem(422, _validation_summary(errors), title="Invalid request", instance=request.url.path,
                       errors=_plain_errors(errors))

    def allowed_methods(request: Request) -> list[str]:
        """Every method some route serves on this path: Starlette's 405 names only the first route that matched the
        path, and the edit routes share paths with the search routes (GET and PATCH on a segment)."""
        methods = []
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
            scope = {**request.scope, "method": method}
            if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
                methods.append(method)
        return methods

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path!r}; the API is under /v1 (see /docs)"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}"
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(exc.status_code, detail, instance=request.url.path, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        try:
            known = as_vidsearch_error(exc)
            if known is not None:
                return await _vidsearch(request, known)
            name = replica_failure(exc) or type(exc).__name__
            if name in REPLICA_FAILURES or isinstance(exc, TimeoutError):
                return problem(503, f"the search service is busy or restarting ({name}); retry shortly",
                               title=ServiceUnavailable.title, instance=request.url.path)
            log.error("unexpected error on %s %s", request.method, printable(request.url.path),
                      exc_info=(type(exc), exc, exc.__traceback__))
            return problem(500, f"unexpected server error ({name}); it has been logged", instance=request.url.path)
        except Exception:  # noqa: BLE001 - the error path itself must never fail
            return Response(_FALLBACK, status_code=500, media_type=PROBLEM_JSON)
