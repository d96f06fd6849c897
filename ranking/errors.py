"""Errors from ranking and relevance tooling, each naming the input it is about (the CLI prints one line,
the API answers with ``status``)."""

from __future__ import annotations

from pathlib import Path

from vidsearch.errors import InvalidQuery, NotFound, VidsearchError


class InvalidWeights(InvalidQuery):
    """Fusion weights that cannot be used: negative, not finite, or all zero."""

    title = "Invalid fusion weights"


class UnknownFusionOption(InvalidQuery):
    """A fusion method, normalisation or missing-score policy that does not exist."""

    title = "Unknown fusion option"


class ProfileNotFound(NotFound):
    title = "Fusion profile not found"


class InvalidProfile(VidsearchError):
    status = 422
    title = "Invalid fusion profile"

    def __init__(self, source: Path | str, reason: str):
        super().__init__(f"fusion profile {source}: {reason}")
        self.source = str(source)
        self.reason = reason


class EvaluationInputError(VidsearchError):
    """A judgments, queries or run file that cannot be read; names the file and, where known, the line."""

    status = 422
    title = "Unreadable evaluation input"

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


class UnknownMetric(VidsearchError):
    title = "Unknown metric"
