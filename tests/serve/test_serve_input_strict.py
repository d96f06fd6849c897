"""Every input is a 4xx: lone UTF-16 surrogates anywhere (JSON strings and keys, paths, query strings, form fields,
file names) through every route of the OpenAPI document, strict JSON types, unknown retrievers in weights — and
cursor paging, and file paths only for admin callers."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.serve.serve_testkit import ADMIN_KEY, assert_problem

pytestmark = pytest.mark.slow  # shares the served demo fixture

SURROGATE = "\\ud800"  # as JSON text: a lone high surrogate
RAW_SURROGATE = "%ED%A0%80"  # the same code point UTF-8-encoded (bytes no valid UTF-8 text holds), in a URL


def _raw(url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _is_problem(status: int, headers: dict, body: bytes) -> dict:
    assert 400 <= status < 500, (status, body[:300])
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert content_type.startswith("application/problem+json"), (status, content_type, body[:300])
    problem = json.loads(body)  # the error path produced valid UTF-8 JSON
    assert problem["status"] == status and problem["detail"]
    return problem


SEARCH_BODIES = {  # JSON text with a lone surrogate in each string-bearing field of a search request
    "query": f'{{"query": "palace {SURROGATE}"}}',
    "profile": f'{{"query": "palace", "profile": "x{SURROGATE}"}}',
    "retrievers": f'{{"query": "palace", "retrievers": ["bm25_ko", "{SURROGATE}"]}}',
    "weights": f'{{"query": "palace", "weights": {{"{SURROGATE}": 1.0}}}}',
    "filters": f'{{"query": "palace", "filters": {{"video_ids": ["{SURROGATE}"]}}}}',
    "cursor": f'{{"query": "palace", "cursor": "{SURROGATE}"}}',
}


@pytest.mark.parametrize("field", sorted(SEARCH_BODIES))
def test_a_lone_surrogate_in_any_search_field_is_a_422_naming_it(served, field):
    status, headers, body = _raw(served.url, "POST", "/v1/search", SEARCH_BODIES[field].encode(),
                                 {"content-type": "application/json"})
    problem = _is_problem(status, headers, body)
    assert status == 422 and field in problem["detail"] and "surrogate" in problem["detail"], problem


def test_surrogates_through_every_route_of_the_api(served, client):
    """Every operation the OpenAPI document lists, each of its path and query parameters (and its JSON body or
    form) carrying a lone surrogate: a 4xx problem, never a 500 or a plain-text error."""
    spec = client.get("/openapi.json").json()
    assert len(spec["paths"]) >= 12
    tried = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for key in (None, ADMIN_KEY):
                headers = {"X-API-Key": key} if key else {}
                params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
                url = path
                for p in params:
                    url = url.replace("{" + p["name"] + "}", f"ab{RAW_SURROGATE}")
                query = "&".join(f"{p['name']}={RAW_SURROGATE}" for p in params if p["in"] == "query")
                body, content = None, (operation.get("requestBody") or {}).get("content", {})
                if "application/json" in content:
                    body = f'{{"query": "{SURROGATE}", "paths": ["/tmp/{SURROGATE}.mp4"]}}'.encode()
                    headers["content-type"] = "application/json"
                elif "multipart/form-data" in content:
                    boundary = "vidsearch-boundary"
                    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a".encode()
                            + b"\xed\xa0\x80.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n"
                            + f"--{boundary}\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n".encode()
                            + b"\xed\xa0\x80\r\n" + f"--{boundary}--\r\n".encode())
                    headers["content-type"] = f"multipart/form-data; boundary={boundary}"
                status, response_headers, answer = _raw(served.url, method.upper(),
                                                        url + (f"?{query}" if query else ""), body, headers)
                if "{" not in path and not body and not query:
                    assert status < 500, (method, path, status, answer[:300])  # nothing carried the surrogate
                    continue
                _is_problem(status, response_headers, answer)
                tried += 1
    # the error path holds for a surrogate in an unknown route too
    _is_problem(*_raw(served.url, "GET", f"/v1/{RAW_SURROGATE}"))
    assert tried >= 10


@pytest.mark.parametrize(("body", "phrase"), [
    ({"query": "palace", "k": "10"}, "k"),
    ({"query": "palace", "k": True}, "k"),
    ({"query": "palace", "k": 2.5}, "k"),
    ({"query": "palace", "explain": "true"}, "explain"),
    ({"query": "palace", "weights": {"bm25_ko": True}}, "weights"),
], ids=["k-string", "k-true", "k-float", "explain-string", "weight-true"])
def test_json_types_are_strict(client, body, phrase):
    assert_problem(client.post("/v1/search", json=body), 422, phrase)


def test_weights_for_an_unknown_retriever_are_a_422_listing_the_retrievers(client):
    body = assert_problem(client.post("/v1/search", json={"query": "palace", "weights": {"bm25_kr": 1.0}}), 422,
                          "bm25_kr")
    for name in ("bm25_ko", "bm25_en", "text_vec"):
        assert name in body["detail"]


def test_pages_follow_each_other_without_repeats(client):
    request = {"query": "palace at night", "retrievers": ["bm25_ko", "bm25_en", "text_vec"]}
    whole = client.post("/v1/search", json={**request, "k": 6}).json()
    assert len(whole["hits"]) == 6 and whole["next_cursor"]
    seen, cursor = [], None
    for _ in range(3):
        page = client.post("/v1/search", json={**request, "k": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["hits"]) == 2
        seen += [h["segment_id"] for h in page["hits"]]
        cursor = page["next_cursor"]
    assert seen == [h["segment_id"] for h in whole["hits"]]
    assert len(set(seen)) == len(seen)
    last = client.post("/v1/search", json={**request, "k": 1000}).json()
    assert last["next_cursor"] is None  # everything fitted on one page


def test_a_cursor_is_checked(client):
    first = client.post("/v1/search", json={"query": "palace", "k": 2}).json()
    assert_problem(client.post("/v1/search", json={"query": "kimchi", "k": 2, "cursor": first["next_cursor"]}), 422,
                   "different search")
    assert_problem(client.post("/v1/search", json={"query": "palace", "k": 2, "cursor": "not-a-cursor"}), 422,
                   "cursor")


def test_file_paths_only_for_admin_callers(client, served):
    public = client.post("/v1/search", json={"query": "한라산", "k": 3}).json()["hits"]
    admin = client.post("/v1/search", json={"query": "한라산", "k": 3}, headers={"X-API-Key": ADMIN_KEY}).json()["hits"]
    assert public and all(h["video_path"] is None for h in public) and all(h["title"] for h in public)
    assert [h["video_path"] for h in admin] == [str(served.video_path)] * len(admin) or \
        all(h["video_path"] for h in admin)
    video = client.get(f"/v1/videos/{served.video_id}").json()["video"]
    assert "path" not in video and not video.get("paths") and video["file_name"] == served.video_path.name
    as_admin = client.get(f"/v1/videos/{served.video_id}", headers={"X-API-Key": ADMIN_KEY}).json()["video"]
    assert as_admin["path"].endswith(served.video_path.name)
    segment = client.get(f"/v1/segments/{served.video_id}.s0000").json()
    assert "path" not in segment["video"]


def test_the_video_file_is_served_with_range_requests(client, served):
    whole = client.get(f"/v1/videos/{served.video_id}/media")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes" and len(whole.content) == served.video_path.stat().st_size
    part = client.get(f"/v1/videos/{served.video_id}/media", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == served.video_path.read_bytes()[100:200]


def test_thumbnails_and_page_files_are_cached_by_the_browser(client, served):
    hit = client.post("/v1/search", json={"query": "한라산", "k": 1}).json()["hits"][0]
    thumb = client.get(f"/v1/media/{hit['thumbnail']}")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "max-age=86400" in thumb.headers["cache-control"]
    assert "max-age=86400" in client.get("/static/app.js").headers["cache-control"]
    assert_problem(client.get("/v1/media/../../etc/passwd"), (404, 422))
