"""Errors from ranking and relevance tooling, each naming the input it is about (the CLI prints one line,
the API answers with ``status``).

``UserFacingError`` is the base of every such error in the product: ``ranking`` stands below ``vidsearch``, so
the base lives here and ``vidsearch.errors.VidsearchError`` is this class.
"""

from __future__ import annotations

from pathlib import Path


class UserFacingError(Exception):
    """Base class: a problem a user can act on, described in one line."""

    status: int = 400
    title: str = "Bad request"


class InvalidRankingInput(UserFacingError):
    status = 400
    title = "Invalid query"


class InvalidWeights(InvalidRankingInput):
    """Fusion weights that cannot be used: negative, not finite, or all zero."""

    title = "Invalid fusion weights"


class UnknownFusionOption(InvalidRankingInput):
    """A fusion method, normalisation or missing-score policy that does not exist."""

    title = "Unknown fusion option"


class ProfileNotFound(UserFacingError):
    status = 404
    title = "Fusion profile not found"


class UnusableFile(UserFacingError):
    """A file that cannot be used as given; names the file and, where known, the line."""

    status = 422

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        super().__init__(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}")
        self.path, self.line, self.reason = str(path), line, reason


class InvalidProfile(UnusableFile):
    title = "Invalid fusion profile"

    def __init__(self, source: Path | str, reason: str):
        super().__init__(f"fusion profile {source}", reason)


class EvaluationInputError(UnusableFile):
    """A judgments, queries or run file that cannot be read."""

    title = "Unreadable evaluation input"


class UnknownMetric(UserFacingError):
    title = "Unknown metric"
