"""A query photo, from a file or uploaded bytes, to a BGR uint8 array the face models take.

Photos arrive in every form cameras and editors write: EXIF-rotated phone pictures, grayscale scans, CMYK
JPEGs from print workflows, 16-bit PNG/TIFF, palette images with transparency. Each is turned upright and into
8-bit colour; anything that is not a decodable image, or is larger than the configured limits, gets an error
naming the photo. The pixel limit is checked from the header, before decoding, so a decompression bomb costs
nothing.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from vidsearch.faces.errors import NotAnImage, PhotoTooLarge


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def read_photo(source: Path | str | bytes, max_bytes: int, max_pixels: int, name: str | None = None
               ) -> np.ndarray:
    """The photo upright, as an H x W x 3 BGR uint8 array."""
    if isinstance(source, bytes | bytearray):
        label = name or "uploaded photo"
        size = len(source)
        if size > max_bytes:
            raise PhotoTooLarge(label, f"{_mb(size)} is over the {_mb(max_bytes)} limit")
        stream: io.BytesIO | Path = io.BytesIO(source)
    else:
        path = Path(source)
        label = name or str(path)
        if not path.is_file():
            raise NotAnImage(label, "no such file" if not path.exists() else "not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise PhotoTooLarge(label, f"{_mb(size)} is over the {_mb(max_bytes)} limit")
        stream = path
    if size == 0:
        raise NotAnImage(label, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            width, height = image.size
            if width * height > max_pixels:
                raise PhotoTooLarge(label, f"{width}x{height} is over the {max_pixels:,}-pixel limit")
            image.load()
    except PhotoTooLarge:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own, larger limit tripped while reading the header
        raise PhotoTooLarge(label, f"over the {max_pixels:,}-pixel limit ({exc})") from None
    except UnidentifiedImageError:
        raise NotAnImage(label, "not an image (expected JPEG, PNG, WebP, TIFF, BMP or GIF)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(label, f"the image cannot be decoded ({exc})") from None
    try:
        upright = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError):  # a damaged EXIF block: keep the pixels as stored
        upright = image
    return _to_bgr8(upright)


def _to_bgr8(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if (mode.startswith("I;16") or values.max(initial=0) > 255) else 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).round().astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "F":
        values = np.asarray(image, dtype=np.float64)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        grey = np.clip(values * scale, 0, 255).round().astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        image = canvas
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])
