"""Problems with a query photo, each naming the photo. The CLI prints one line; the API answers 4xx."""

from __future__ import annotations

from vidsearch.errors import InvalidQuery


class InvalidPhoto(InvalidQuery):
    status = 422
    title = "Unusable photo"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class NotAnImage(InvalidPhoto):
    status = 415
    title = "Not an image"


class PhotoTooLarge(InvalidPhoto):
    status = 413
    title = "Photo too large"


class NoFaceFound(InvalidPhoto):
    title = "No face found"


class FaceTooSmall(InvalidPhoto):
    title = "Face too small"


class FaceIndexOutOfRange(InvalidPhoto):
    status = 400
    title = "No such face"
