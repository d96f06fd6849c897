"""The CLOVA OCR client against a local HTTP server on 127.0.0.1 that speaks the service's documented protocol:
``X-OCR-SECRET`` header, a V2 JSON body with one base64 image, a V2 response with ``images[].fields[]``
(``inferText``, ``inferConfidence``, ``boundingPoly.vertices``), and its errors (401 code 0002, 429, 400 code 0025,
500 code 0500). The server "recognises" the ink rows of the image it is sent, in order, so what comes back
depends on the client having stacked and mapped the lines correctly."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest
from pydantic import SecretStr

from tests.ocr.conftest import draw_line
from vidsearch.ocr.clova import ClovaEngine, stack_lines
from vidsearch.ocr.engine import FallbackEngine, OcrServiceError, build_engine
from vidsearch.ocr.geometry import runs
from vidsearch.ocr.preprocess import binarize_for_ocr
from vidsearch.ocr.settings import OcrSettings
from vidsearch.ocr.tesseract import TesseractEngine

SECRET = "test-secret"
TEXTS = ["촬영감독 김민수", "Director of Photography", "조명 정우성"]


class FakeClova:
    """State shared with the handler: what to answer, what was asked."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.texts: list[str] = []
        self.requests: list[dict] = []


def _handler(state: FakeClova):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"headers": dict(self.headers), "body": body})
            if self.headers.get("X-OCR-SECRET") != SECRET:
                return self._reply(401, {"code": "0002", "message": "Secret key validate failed."})
            if state.mode == "429":
                return self._reply(429, {"code": "0025", "message": "Too many requests."})
            if state.mode == "quota":
                return self._reply(400, {"code": "0023", "message": "API request count reach the upper limit."})
            if state.mode == "500":
                return self._reply(500, {"code": "0500", "message": "Unknown service error."})
            if body.get("version") != "V2" or len(body.get("images", [])) != 1:
                return self._reply(400, {"code": "0011", "message": "Request body invalid."})
            image = body["images"][0]
            sheet = cv2.imdecode(np.frombuffer(base64.b64decode(image["data"]), np.uint8), cv2.IMREAD_GRAYSCALE)
            bands = runs((sheet < 128).any(axis=1), max_gap=6)
            fields = []
            for (y0, y1), text in zip(bands, state.texts):
                columns = np.flatnonzero((sheet[y0:y1] < 128).any(axis=0))
                x0, x1 = int(columns[0]), int(columns[-1])
                words = text.split(" ")
                step = (x1 - x0) / len(words)
                for k, word in enumerate(words):
                    a, b = x0 + k * step, x0 + (k + 1) * step - 0.25 * (y1 - y0)
                    fields.append({"valueType": "ALL", "inferText": word, "inferConfidence": 0.99, "type": "NORMAL",
                                   "lineBreak": k == len(words) - 1,
                                   "boundingPoly": {"vertices": [{"x": a, "y": y0}, {"x": b, "y": y0},
                                                                 {"x": b, "y": y1}, {"x": a, "y": y1}]}})
            state.texts = state.texts[len(bands):]
            return self._reply(200, {"version": "V2", "requestId": body["requestId"], "timestamp": body["timestamp"],
                                     "images": [{"uid": "u1", "name": image["name"], "inferResult": "SUCCESS",
                                                 "message": "SUCCESS", "validationResult": {"result": "NO_REQUESTED"},
                                                 "fields": fields}]})

    return Handler


@pytest.fixture
def clova():
    state = FakeClova()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/general"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def images():
    return [binarize_for_ocr(draw_line(text)) for text in TEXTS]


def _settings(url: str, secret: str | None = SECRET, **kwargs) -> OcrSettings:
    return OcrSettings(engine="clova", clova_url=url, clova_secret=SecretStr(secret) if secret else None,
                       clova_retries=0, **kwargs)


def test_lines_are_stacked_sent_and_mapped_back(clova, images):
    state, url = clova
    state.texts = list(TEXTS)
    engine = ClovaEngine.from_settings(_settings(url))
    lines = engine.read_lines(images)
    assert [line.text for line in lines] == TEXTS
    assert all(line.confidence == pytest.approx(0.99) for line in lines)
    [request] = state.requests
    assert request["headers"]["X-OCR-SECRET"] == SECRET and request["body"]["lang"] == "ko"
    assert request["body"]["images"][0]["format"] == "png"


def test_a_batch_taller_than_the_limit_goes_in_several_requests(clova, images):
    state, url = clova
    state.texts = list(TEXTS)
    engine = ClovaEngine.from_settings(_settings(url, clova_max_image_height=256))
    assert [line.text for line in engine.read_lines(images)] == TEXTS
    assert len(state.requests) == len(stack_lines(images, 256)) > 1


@pytest.mark.parametrize(("mode", "secret", "kind", "message"), [
    ("ok", "wrong-secret", "auth", "secret was rejected (HTTP 401, code 0002"),
    ("429", SECRET, "quota", "over quota or rate limit (HTTP 429"),
    ("quota", SECRET, "quota", "code 0023: API request count reach the upper limit"),
    ("500", SECRET, "service", "service error (HTTP 500, code 0500"),
])
def test_service_errors_are_clear(clova, images, mode, secret, kind, message):
    state, url = clova
    state.mode = mode
    engine = ClovaEngine.from_settings(_settings(url, secret))
    with pytest.raises(OcrServiceError, match="CLOVA OCR") as info:
        engine.read_lines(images)
    assert info.value.kind == kind and message in str(info.value)


def test_retries_a_throttled_request_once(clova, images):
    state, url = clova
    state.mode = "429"
    engine = ClovaEngine.from_settings(_settings(url).model_copy(update={"clova_retries": 1}))
    with pytest.raises(OcrServiceError):
        engine.read_lines(images[:1])
    assert len(state.requests) == 2


def test_unreachable_service_is_reported():
    engine = ClovaEngine("http://127.0.0.1:9/general", SECRET, retries=0, timeout_s=2)
    with pytest.raises(OcrServiceError, match="cannot reach") as info:
        engine.read_lines([np.full((40, 100), 255, np.uint8)])
    assert info.value.kind == "unavailable"


def test_missing_key_is_a_clear_error_without_fallback():
    with pytest.raises(OcrServiceError, match="no secret configured .*VIDSEARCH_OCR__CLOVA_SECRET"):
        build_engine(_settings("http://127.0.0.1:9/general", secret=None, fallback_to_tesseract=False))
    with pytest.raises(OcrServiceError, match="no invoke URL"):
        build_engine(OcrSettings(engine="clova", fallback_to_tesseract=False))


def test_missing_key_falls_back_to_tesseract_when_configured():
    engine = build_engine(_settings("http://127.0.0.1:9/general", secret=None, fallback_to_tesseract=True))
    assert isinstance(engine, TesseractEngine)


def test_invalid_key_falls_back_to_tesseract_and_stays_there(clova, images, caplog):
    state, url = clova
    engine = build_engine(_settings(url, "wrong-secret", fallback_to_tesseract=True))
    assert isinstance(engine, FallbackEngine)
    first = engine.read_lines(images)
    second = engine.read_lines(images[:1])
    assert [line.text for line in first] == TEXTS  # Tesseract read them
    assert second[0].text == TEXTS[0]
    assert len(state.requests) == 1  # no second request once the key was refused
    assert "falling back to tesseract" in caplog.text
