"""Bad input over real HTTP: every case is a 4xx RFC 7807 problem naming what was wrong, and the server goes on
answering."""

from __future__ import annotations

import http.client
import io
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.serve.serve_testkit import ADMIN_KEY, assert_problem

pytestmark = pytest.mark.slow  # shares the served demo fixture


def _raw_get(url: str, path: str) -> tuple[int, str, bytes]:
    """GET a path byte for byte (httpx and browsers would normalise the dot segments away)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        conn.close()


def test_malformed_json(client):
    response = client.post("/v1/search", content=b'{"query": "palace", ', headers={"content-type": "application/json"})
    assert_problem(response, 400, "not valid JSON")


def test_body_that_is_not_an_object(client):
    assert_problem(client.post("/v1/search", json=["palace"]), 422)
    assert_problem(client.post("/v1/search", content=b"query=palace", headers={"content-type": "text/plain"}), 422)


@pytest.mark.parametrize(("body", "phrase"), [
    ({}, "query"),
    ({"query": 42}, "query"),
    ({"query": "palace", "k": "ten"}, "k"),
    ({"query": "palace", "k": 0}, "greater than or equal to 1"),
    ({"query": "palace", "k": -5}, "greater than or equal to 1"),
    ({"query": "palace", "k": 1001}, "less than or equal to 1000"),
    ({"query": "palace", "explain": "maybe"}, "explain"),
    ({"query": "palace", "weights": {"bm25_ko": "heavy"}}, "weights"),
    ({"query": "palace", "fusion": "borda"}, "fusion"),
    ({"query": "palace", "filters": {"time_from_s": 30, "time_to_s": 10}}, "time_from_s is after time_to_s"),
    ({"query": "palace", "filters": {"air_date_from": "yesterday"}}, "air_date_from"),
    ({"query": "palace", "colour": "red"}, "colour"),
], ids=["missing-query", "query-number", "k-string", "k-zero", "k-negative", "k-too-big", "explain-string",
        "weight-string", "unknown-fusion", "time-range-reversed", "bad-date", "unknown-field"])
def test_invalid_search_requests(client, body, phrase):
    assert_problem(client.post("/v1/search", json=body), 422, phrase)


@pytest.mark.parametrize(("body", "phrase"), [
    ({"query": "   "}, "empty"),
    ({"query": "x" * 2001}, "limit"),
    ({"query": "palace", "weights": {"bm25_ko": -1}}, "≥ 0"),
    ({"query": "palace", "weights": {"bm25_ko": 0, "text_vec": 0}}, "no positive weight"),
    ({"query": "palace", "retrievers": ["bm42"]}, "unknown retrievers"),
    ({"query": "palace", "retrievers": ["clip_vec"]}, "no positive weight for the retrievers in use (clip_vec)"),
    ({"query": "palace", "filters": {"terms": {"caption": ["x"]}}}, "not a keyword field"),
], ids=["blank-query", "query-too-long", "negative-weight", "zero-weights", "unknown-retriever",
        "retriever-without-weight", "filter-on-text-field"])
def test_requests_the_searcher_refuses(client, body, phrase):
    assert_problem(client.post("/v1/search", json=body), 400, phrase)


@pytest.mark.parametrize("name", ["no-such-profile", "../../etc/passwd"])
def test_an_unknown_profile_is_a_404_listing_the_profiles_there_are(client, name):
    body = assert_problem(client.post("/v1/search", json={"query": "palace", "profile": name}), 404, repr(name))
    assert body["title"] == "Fusion profile not found"
    if "/" not in name:
        assert "available: dense-when-palace, english-only" in body["detail"]


def test_nan_weight_is_refused(client):
    response = client.post("/v1/search", content=b'{"query": "palace", "weights": {"bm25_ko": NaN}}',
                           headers={"content-type": "application/json"})
    assert_problem(response, (400, 422))


def test_a_50_mb_body_is_refused_before_it_is_read(client):
    response = client.post("/v1/search", content=b"x" * (50 * 1024 * 1024),
                           headers={"content-type": "application/json"})
    assert_problem(response, 413, "over the limit")


def test_a_50_mb_streamed_body_without_length_is_refused(client):
    def chunks():
        for _ in range(50):
            yield b" " * (1024 * 1024)

    response = client.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "over the limit")


def test_uploads_that_are_not_usable_photos(client, served):
    assert_problem(client.post("/v1/search/face", files={"photo": ("notes.txt", b"hello, not an image")}),
                   415, "notes.txt", "not an image")
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(png, "PNG")
    truncated = png.getvalue()[:60]
    assert_problem(client.post("/v1/search/face", files={"photo": ("cut.png", truncated)}), 415, "cut.png")
    assert_problem(client.post("/v1/search/face", files={"photo": ("empty.jpg", b"")}), 415, "empty")
    assert_problem(client.post("/v1/search/face", files={"photo": ("wall.png", png.getvalue())}), 422,
                   "wall.png", "no face found")
    assert_problem(client.post("/v1/search/face", data={"k": "5"}), 422, "photo")
    zero_k = client.post("/v1/search/face", files={"photo": ("a.png", png.getvalue())}, data={"k": "0"})
    assert_problem(zero_k, 422, "k")
    huge = b"\xff" * (served.settings.serve.max_upload_bytes + 100_000)
    assert_problem(client.post("/v1/search/face", files={"photo": ("huge.jpg", huge)}), 413)


def test_photo_with_too_many_pixels(client, served):
    side = int(served.settings.faces.max_photo_pixels ** 0.5) + 100
    png = io.BytesIO()
    Image.new("1", (side, side)).save(png, "PNG", optimize=True)  # a tiny file that decodes to a huge image
    assert len(png.getvalue()) < served.settings.serve.max_upload_bytes
    assert_problem(client.post("/v1/search/face", files={"photo": ("bomb.png", png.getvalue())}), 413, "pixel limit")


@pytest.mark.parametrize("path", [
    "/v1/thumbnails/../../etc/passwd",
    "/v1/thumbnails/..%2F..%2Fetc%2Fpasswd",
    "/v1/thumbnails/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/v1/videos/../../etc/passwd",
    "/v1/videos/..%2F..%2Fetc%2Fpasswd",
    "/v1/segments/....%2F%2Fetc%2Fpasswd",
    "/v1/thumbnails/%2Fetc%2Fpasswd",
    "/v1/thumbnails/..",
])
def test_path_traversal_never_reads_files(served, path):
    status, content_type, body = _raw_get(served.url, path)
    assert 400 <= status < 500, (status, body[:200])
    assert content_type.startswith("application/problem+json")
    assert b"root:" not in body


@pytest.mark.parametrize("path", [
    "/v1/videos/0123456789abcdef0123", "/v1/videos/0123456789abcdef0123/persons",
    "/v1/segments/0123456789abcdef0123.s0001", "/v1/thumbnails/0123456789abcdef0123.s0001",
])
def test_unknown_ids(client, path):
    assert_problem(client.get(path), 404, "0123456789abcdef0123")


def test_thumbnail_number_out_of_range(client, served):
    segment = f"{served.video_id}.s0000"
    assert_problem(client.get(f"/v1/thumbnails/{segment}", params={"n": -1}), 422, "n")


def test_unknown_route_and_wrong_method(client):
    assert_problem(client.get("/v2/search"), 404, "/v2/search")
    assert_problem(client.get("/v1/search"), 405, "GET")


def test_admin_body_validation(client):
    headers = {"X-API-Key": ADMIN_KEY}
    assert_problem(client.post("/v1/admin/ingest", json={"paths": []}, headers=headers), 422, "paths")
    assert_problem(client.post("/v1/admin/ingest", json={"paths": ["/tmp/x\u0000y"]}, headers=headers), 400, "NUL")
    assert_problem(client.post("/v1/admin/ingest", json={"paths": ["~nobody-here/x.mp4"]}, headers=headers), 400,
                   "relative")  # no ~ expansion (it raised for unknown users)
    lone_surrogate = b'{"paths": ["/tmp/\\udbaa.mp4"]}'
    assert_problem(client.post("/v1/admin/ingest", content=lone_surrogate,
                               headers={**headers, "content-type": "application/json"}), 422, "paths", "surrogate")
    assert_problem(client.get("/v1/admin/jobs/../../etc/passwd", headers=headers), (404, 422))


def test_server_still_answers_after_the_abuse(client):
    assert client.post("/v1/search", json={"query": "한라산", "k": 1}).json()["hits"]
