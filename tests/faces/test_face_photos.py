"""Photos in the forms cameras and editors write them: each must give the same face as the plain RGB
original."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from vidsearch.faces.models import distance_of
from vidsearch.faces.photos import read_photo
from vidsearch.faces.search import faces_in_photo

LIMITS = {"max_bytes": 50 << 20, "max_pixels": 50_000_000}


@pytest.fixture(scope="module")
def original(people) -> Image.Image:
    image = Image.open(people["Marissa"][0].path).convert("RGB")
    image.thumbnail((700, 700))
    return image


def _embed(model, image_bgr: np.ndarray) -> np.ndarray:
    image, faces, _ = faces_in_photo(image_bgr, model)
    assert faces, "no face found"
    face = max(faces, key=lambda f: f.area)
    return model.embed([model.align(image, face)])[0]


@pytest.fixture(scope="module")
def reference(face_model, original) -> np.ndarray:
    return _embed(face_model, np.asarray(original)[:, :, ::-1].copy())


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _same_face(model, reference, data: bytes, tolerance: float = 0.12) -> np.ndarray:
    bgr = read_photo(data, **LIMITS)
    assert bgr.dtype == np.uint8 and bgr.ndim == 3 and bgr.shape[2] == 3
    distance = float(distance_of(reference @ _embed(model, bgr)))
    assert distance < tolerance, distance
    return bgr


def test_grayscale(face_model, reference, original):
    bgr = _same_face(face_model, reference, _saved(original.convert("L"), "JPEG", quality=95), 0.2)
    assert (bgr[:, :, 0] == bgr[:, :, 2]).all()


def test_cmyk_jpeg(face_model, reference, original):
    data = _saved(original.convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    bgr = _same_face(face_model, reference, data)
    assert np.abs(bgr[:, :, ::-1].astype(int) - np.asarray(original, int)).mean() < 8


def test_16_bit_colour_and_grey(face_model, reference, original):
    rgb16 = np.asarray(original).astype(np.uint16) * 257
    ok, png = cv2.imencode(".png", rgb16[:, :, ::-1].copy())
    assert ok
    bgr = _same_face(face_model, reference, png.tobytes())
    assert np.abs(bgr[:, :, ::-1].astype(int) - np.asarray(original, int)).max() <= 1
    grey16 = np.asarray(original.convert("L")).astype(np.uint16) * 257
    data = _saved(Image.fromarray(grey16), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    grey = read_photo(data, **LIMITS)
    assert (
        abs(int(grey[..., 0].mean()) - int(np.asarray(original.convert("L")).mean())) <= 1
    )  # not clipped white
    _same_face(face_model, reference, data, 0.2)


@pytest.mark.parametrize(
    "orientation, stored",
    [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270), (3, Image.Transpose.ROTATE_180)],
)
def test_exif_rotated_phone_photos_are_turned_upright(face_model, reference, original, orientation, stored):
    sideways = original.transpose(stored)  # the pixels as a phone stores them ...
    exif = Image.Exif()
    exif[0x0112] = orientation  # ... and the tag that tells viewers how to turn them
    data = _saved(sideways, "JPEG", quality=95, exif=exif.tobytes())
    bgr = _same_face(face_model, reference, data)
    assert bgr.shape[:2] == (original.height, original.width)


def test_transparent_png_is_flattened_onto_white(face_model, reference, original):
    rgba = original.convert("RGBA")
    rgba.putalpha(255)
    corner = np.asarray(rgba).copy()
    corner[:20, :20, 3] = 0
    bgr = _same_face(face_model, reference, _saved(Image.fromarray(corner), "PNG"))
    assert (bgr[:10, :10] == 255).all()


def test_webp_and_palette_images(face_model, reference, original):
    _same_face(face_model, reference, _saved(original, "WEBP", quality=95))
    _same_face(
        face_model, reference, _saved(original.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"), 0.2
    )
