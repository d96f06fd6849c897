"""CLOVA OCR (NAVER Cloud) General API client.

One request carries one image (the service's limit), so line crops are stacked into tall images with white
gaps and each recognised field is assigned back to the crop its box centre falls in. The secret comes from
settings (``ocr.clova_secret``, i.e. ``VIDSEARCH_OCR__CLOVA_SECRET``), sent as ``X-OCR-SECRET``.

Failures become ``OcrServiceError`` with a ``kind``: ``config`` (no URL or secret), ``auth`` (HTTP 401, code
0002), ``quota`` (HTTP 429, or codes 0023/0025 — request count or rate limit), ``service`` (5xx, or an image the
service failed), ``unavailable`` (network), ``request`` (other 4xx). ``FallbackEngine`` turns them into a switch to
Tesseract when ``ocr.fallback_to_tesseract`` is on.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import httpx
import numpy as np

from vidsearch.ocr.engine import OcrLine, OcrServiceError, OcrWord, join_words
from vidsearch.ocr.settings import OcrSettings

log = logging.getLogger(__name__)

SERVICE = "CLOVA OCR"
_QUOTA_CODES = {"0023", "0025"}
_GAP_PX = 24


@dataclass(frozen=True)
class _Placement:
    index: int  # which input image
    y0: int
    y1: int


def stack_lines(images: Sequence[np.ndarray], max_height: int) -> list[tuple[np.ndarray, list[_Placement]]]:
    """Line images (grey or BGR) → tall white sheets, each at most ``max_height`` (a taller line gets its own)."""
    sheets: list[tuple[np.ndarray, list[_Placement]]] = []
    batch: list[int] = []
    height = 0

    def flush() -> None:
        if not batch:
            return
        width = max(images[i].shape[1] for i in batch)
        sheet = np.full((sum(images[i].shape[0] + _GAP_PX for i in batch) + _GAP_PX, width), 255, np.uint8)
        places, y = [], _GAP_PX
        for i in batch:
            line = images[i] if images[i].ndim == 2 else cv2.cvtColor(images[i], cv2.COLOR_BGR2GRAY)
            sheet[y:y + line.shape[0], :line.shape[1]] = line
            places.append(_Placement(i, y, y + line.shape[0]))
            y += line.shape[0] + _GAP_PX
        sheets.append((sheet, places))
        batch.clear()

    for i, image in enumerate(images):
        if batch and height + image.shape[0] + _GAP_PX > max_height:
            flush()
            height = 0
        batch.append(i)
        height += image.shape[0] + _GAP_PX
    flush()
    return sheets


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text.strip()[:200]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    return str(body.get("code", "")), str(body.get("message", "")).strip()


class ClovaEngine:
    name = "clova"

    def __init__(self, url: str, secret: str, *, lang: str = "ko", timeout_s: float = 30.0,
                 max_image_height: int = 4000, retries: int = 1, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self._secret = secret
        self.lang = lang
        self.max_image_height = max_image_height
        self.retries = retries
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> ClovaEngine:
        if not settings.clova_url:
            raise OcrServiceError(SERVICE, "config", "no invoke URL configured (set ocr.clova_url / VIDSEARCH_OCR__CLOVA_URL)")
        secret = settings.clova_secret.get_secret_value() if settings.clova_secret else ""
        if not secret:
            raise OcrServiceError(SERVICE, "config", "no secret configured (set ocr.clova_secret / VIDSEARCH_OCR__CLOVA_SECRET)")
        return cls(settings.clova_url, secret, lang=settings.clova_lang, timeout_s=settings.clova_timeout_s,
                   max_image_height=settings.clova_max_image_height, retries=settings.clova_retries)

    def close(self) -> None:
        self._client.close()

    def _post(self, sheet: np.ndarray) -> dict[str, Any]:
        ok, png = cv2.imencode(".png", sheet)
        if not ok:
            raise OcrServiceError(SERVICE, "request", "could not encode a line sheet as PNG")
        body = {
            "version": "V2",
            "requestId": uuid.uuid4().hex,
            "timestamp": int(time.time() * 1000),
            "lang": self.lang,
            "images": [{"format": "png", "name": "credit-lines", "data": base64.b64encode(png.tobytes()).decode()}],
        }
        headers = {"X-OCR-SECRET": self._secret, "Content-Type": "application/json"}
        for attempt in range(self.retries + 1):
            try:
                response = self._client.post(self.url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                if attempt < self.retries:
                    continue
                raise OcrServiceError(SERVICE, "unavailable", f"cannot reach {self.url}: {exc}") from None
            if response.status_code == 200:
                return response.json()
            code, message = _error_detail(response)
            detail = f"HTTP {response.status_code}" + (f", code {code}" if code else "") + (f": {message}" if message else "")
            if response.status_code == 401 or code == "0002":
                raise OcrServiceError(SERVICE, "auth", f"the secret was rejected ({detail}); check ocr.clova_secret")
            retryable = response.status_code == 429 or code in _QUOTA_CODES or response.status_code >= 500
            if retryable and attempt < self.retries:
                time.sleep(min(2.0, float(response.headers.get("Retry-After", 0.5) or 0.5)))
                continue
            if response.status_code == 429 or code in _QUOTA_CODES:
                raise OcrServiceError(SERVICE, "quota", f"over quota or rate limit ({detail})")
            if response.status_code >= 500:
                raise OcrServiceError(SERVICE, "service", f"service error ({detail})")
            raise OcrServiceError(SERVICE, "request", f"request refused ({detail})")
        raise AssertionError("unreachable")

    def read_lines(self, images: Sequence[np.ndarray]) -> list[OcrLine]:
        words: list[list[OcrWord]] = [[] for _ in images]
        for sheet, places in stack_lines(images, self.max_image_height):
            result = self._post(sheet)
            for image in result.get("images", []):
                if image.get("inferResult") != "SUCCESS":
                    raise OcrServiceError(SERVICE, "service",
                                          f"image not read: {image.get('inferResult')} {image.get('message', '')}".strip())
                for found in image.get("fields", []):
                    vertices = found.get("boundingPoly", {}).get("vertices", [])
                    if not vertices:
                        continue
                    xs = [float(v.get("x", 0)) for v in vertices]
                    ys = [float(v.get("y", 0)) for v in vertices]
                    cy = (min(ys) + max(ys)) / 2
                    place = next((p for p in places if p.y0 - _GAP_PX / 2 <= cy < p.y1 + _GAP_PX / 2), None)
                    if place is None:
                        continue
                    words[place.index].append(OcrWord(str(found.get("inferText", "")), min(xs), max(xs),
                                                      float(found.get("inferConfidence", 0.0)), max(ys) - min(ys)))
        out = []
        for line_words in words:
            line_words = sorted((w for w in line_words if w.text.strip()), key=lambda w: w.x0)
            if not line_words:
                out.append(OcrLine("", 0.0))
                continue
            confidence = float(np.mean([w.confidence for w in line_words]))
            height = float(np.median([w.height for w in line_words]))
            # CLOVA's fields are whole words: any gap between two is a space
            out.append(OcrLine(join_words(line_words, height, space_gap=-1.0), confidence, tuple(line_words)))
        return out
