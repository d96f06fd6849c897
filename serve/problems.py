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
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    status = 503
    title = "Service unavailable"


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


def problem(status: int, detail: str, *, title: str | None = None, instance: str | None = None,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    if title is None:
        try:
            title = HTTPStatus(status).phrase
        except ValueError:
            title = "Error"
    body = Problem(title=title, status=status, detail=detail, instance=instance, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON,
                        headers=headers)


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
    async def _vidsearch(request: Request, exc: VidsearchError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        return problem(exc.status, str(exc), title=exc.title, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            reason = next(str(e.get("ctx", {}).get("error", "")) for e in errors if e.get("type") == "json_invalid")
            return problem(400, f"the request body is not valid JSON{': ' + reason if reason else ''}",
                           title="Malformed JSON", instance=request.url.path)
        return problem(422, _validation_summary(errors), title="Invalid request", instance=request.url.path,
                       errors=_plain_errors(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path!r}; the API is under /v1 (see /docs)"
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem(exc.status_code, detail, instance=request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        known = as_vidsearch_error(exc)
        if known is not None:
            return await _vidsearch(request, known)
        name = type(exc).__name__
        if name in ("BackPressureError", "DeploymentUnavailableError", "TimeoutError"):
            return problem(503, f"the search service is busy or restarting ({name}); retry shortly",
                           instance=request.url.path, headers={"Retry-After": "1"})
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, f"unexpected server error ({name}); it has been logged", instance=request.url.path)
