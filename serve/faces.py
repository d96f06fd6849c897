"""Search by photo behind the API: an uploaded photo → the face encoder deployment → kNN over person vectors.

The face models and the persons index come from the faces work (``vidsearch.faces``); where it is not part of the
installation the route says so (501) instead of pretending.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from vidsearch.errors import InvalidQuery, VidsearchError

if TYPE_CHECKING:
    from serve.models import FaceSearchResponse
    from vidsearch.config import Settings


class PhotoRejected(VidsearchError):
    status = 415
    title = "Unsupported photo"


class PhotoTooLarge(VidsearchError):
    status = 413
    title = "Photo too large"


@dataclass(frozen=True)
class FaceQuery:
    photo: bytes
    k: int = 10
    threshold: float | None = None
    face_index: int | None = None


def check_photo(data: bytes, filename: str | None, max_pixels: int) -> tuple[int, int]:
    """Refuse what is not a decodable image, before any model sees it. Returns (width, height)."""
    name = filename or "the upload"
    if not data:
        raise InvalidQuery(f"{name} is empty; upload a JPEG, PNG or WebP photo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.verify()
    except UnidentifiedImageError:
        raise PhotoRejected(f"{name} is not an image (unrecognised format); upload a JPEG, PNG or WebP photo"
                            ) from None
    except Image.DecompressionBombError as exc:
        raise PhotoTooLarge(f"{name}: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoRejected(f"{name} is a damaged or truncated image ({exc}); upload a JPEG, PNG or WebP photo"
                            ) from None
    if width * height > max_pixels:
        raise PhotoTooLarge(f"{name} is {width}×{height} pixels; the limit is {max_pixels:,} pixels "
                            "(VIDSEARCH_SERVE__MAX_IMAGE_PIXELS)")
    return width, height


def face_search_status(settings: Settings, face_encoder: Any) -> str | None:
    """None when search by photo works in this installation, else the reason it does not."""
    if face_encoder is None:
        return ("search by photo needs the faces feature (vidsearch.faces: face detection and embedding, and a "
                "persons index), which is not part of this installation")
    return None


def search_faces(store: Any, settings: Settings, query: FaceQuery, encoded: Any) -> FaceSearchResponse:
    raise NotImplementedError("search by photo is wired when vidsearch.faces provides it")
