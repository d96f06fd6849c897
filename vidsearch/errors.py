"""Specific exceptions, each naming the input it is about. The CLI prints ``str(error)`` as one line; the API
maps ``VidsearchError.status`` to an RFC 7807 problem response."""

from __future__ import annotations

from pathlib import Path

from ranking.errors import InvalidRankingInput, UserFacingError

# The base class of every error a user can act on (defined in ranking, the layer below, so its errors are ours).
VidsearchError = UserFacingError


class ConfigurationError(VidsearchError):
    status = 500
    title = "Server misconfigured"


class MissingDependency(VidsearchError):
    """A system program, data file or model is missing; ``fix`` says how to install it."""

    status = 503
    title = "Dependency missing"

    def __init__(self, what: str, fix: str):
        super().__init__(f"{what} is missing: {fix}")
        self.what = what
        self.fix = fix


class MediaError(VidsearchError):
    """A video file that cannot be used. Ingest records it and goes on with the rest of the batch."""

    status = 422
    title = "Unusable media"

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class UnreadableVideo(MediaError):
    pass


class NoVideoStream(MediaError):
    pass


class InvalidQuery(InvalidRankingInput):
    """A request that cannot be searched; fusion's own input errors (weights, options) are kinds of it."""


class NotFound(VidsearchError):
    status = 404
    title = "Not found"


class EncoderMismatch(VidsearchError):
    """An index was built by one encoder and a query was encoded by another: the vectors are incomparable."""

    status = 409
    title = "Encoder mismatch"


class StoreError(VidsearchError):
    status = 503
    title = "Index store unavailable"


class MappingConflict(StoreError):
    status = 409
    title = "Mapping conflict"


class DocumentRejected(VidsearchError):
    """A document failed validation before being sent (NaN vector, wrong dims, unknown field)."""

    status = 422
    title = "Document rejected"

    def __init__(self, doc_id: str, reason: str):
        super().__init__(f"document {doc_id!r}: {reason}")
        self.doc_id = doc_id
        self.reason = reason
