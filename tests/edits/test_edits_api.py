"""The edit routes in this process over an embedded archive: versions and ETags, optimistic concurrency, the
editor key, and bad input answered with a clear 4xx and never applied. (Serve and the page: test_edits_served.)"""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

from tests.edits.conftest import ADMIN_KEY, EDITOR_KEYS
from tests.edits.test_edit_layer import found
from tests.serve.serve_testkit import assert_problem

SEG = "vid1.s0000"


def test_edit_revert_and_audit_log(edit_api, archive):
    _, store = archive
    item = edit_api.get(f"/v1/edits/segment/{SEG}")
    assert item.status_code == 200 and item.headers["etag"] == '"0"'
    edited = edit_api.patch(f"/v1/segments/{SEG}", headers={"If-Match": item.headers["etag"]},
                            json={"caption": "해운대 해수욕장", "reason": "OCR misread"})
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"1"' and edited.json()["edited"] == ["caption"]
    assert found(store, "해운대") == [SEG]
    reverted = edit_api.post(f"/v1/edits/segment/{SEG}/revert", json={"to_version": 0}, headers={"If-Match": '"1"'})
    assert reverted.status_code == 200 and reverted.json()["version"] == 2 and found(store, "해운대") == []
    log = edit_api.get("/v1/edits", params={"who": "alice", "target": "segment"}).json()
    assert [r["kind"] for r in log] == ["revert", "edit"] and log[1]["reason"] == "OCR misread"
    assert edit_api.get("/v1/edits", params={"who": "bob"}).json() == []


def test_concurrent_edits_one_wins_the_other_gets_409_with_the_current_version(edit_api):
    def write(who: str) -> httpx.Response:
        return edit_api.patch(f"/v1/segments/{SEG}", headers={"If-Match": '"0"', "X-API-Key": EDITOR_KEYS[who]},
                              json={"title": f"title by {who}"})

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(write, ["alice", "bob"]))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200)
    assert_problem(next(a for a in answers if a.status_code == 409), 409, "at version 1")
    shown = edit_api.get(f"/v1/edits/segment/{SEG}").json()
    assert shown["values"]["title"] == winner.json()["values"]["title"] and shown["version"] == 1


def test_writes_need_an_editor_key_and_are_never_applied_without_one(edit_api):
    path = f"/v1/segments/{SEG}"
    assert_problem(edit_api.patch(path, json={"caption": "x"}, headers={"X-API-Key": ""}), 401, "editor API key")
    assert_problem(edit_api.patch(path, json={"caption": "x"}, headers={"X-API-Key": ADMIN_KEY}), 403,
                   "not an editor key")
    assert_problem(edit_api.patch(path, json={"caption": "x"}, headers={"X-API-Key": "guess"}), 403)
    assert edit_api.get(f"/v1/edits/segment/{SEG}").json()["version"] == 0
    assert edit_api.get("/v1/edits/whoami", headers={"X-API-Key": EDITOR_KEYS["bob"]}).json() == {"who": "bob"}


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(edit_api):
    path = f"/v1/segments/{SEG}"
    assert_problem(edit_api.patch(path, json={"start_s": 1}), 422, "cannot be edited")
    assert_problem(edit_api.patch(path, json={"caption": "x" * 10_001}), 422, "limit")
    assert_problem(edit_api.patch(path, json={"caption": "x" * 300_000}), 413)
    assert_problem(edit_api.patch(path, json={"caption": 5}), 422, "text")
    assert_problem(edit_api.patch(path, json={}), 422, "nothing to change")
    assert_problem(edit_api.patch(path, headers={"If-Match": "yesterday"}, json={"caption": "y"}), 400, "If-Match")
    assert_problem(edit_api.patch("/v1/segments/vid1.s9999", json={"caption": "y"}), 404, "no segment")
    assert_problem(edit_api.patch("/v1/segments/bad%20id", json={"caption": "y"}), 422)
    assert_problem(edit_api.patch(path, content=b"{not json", headers={"Content-Type": "application/json"}), 400)
    assert edit_api.get(f"/v1/edits/segment/{SEG}").json()["version"] == 0
    body = assert_problem(edit_api.patch("/v1/credits/vid1.c0001", json={"role_code": "99.99"}), 422,
                          "unknown role code")
    assert "/v1/role-codes" in body["detail"]
    codes = edit_api.get("/v1/role-codes", params={"q": "photography director"}).json()
    assert "6.1" in [c["code"] for c in codes]

    script = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    stored = edit_api.patch(path, json={"synopsis": script})
    assert stored.status_code == 200 and stored.json()["values"]["synopsis"] == script  # text, verbatim

    first = edit_api.patch(path, json={"keywords": "a, b"}).json()["history"][0]
    assert edit_api.get(f"/v1/edits/segment/{SEG}").json()["values"]["keywords"] == ["a", "b"]
    later = edit_api.patch(path, json={"keywords": ["c"]}).json()["history"][0]
    blocked = assert_problem(edit_api.post(f"/v1/edits/segment/{SEG}/undo", json={"edit_id": first["id"]}), 409,
                             "undo that one first")
    assert later["id"] in blocked["detail"]


def test_credit_delete_restore_and_role_title_mapping(edit_api):
    deleted = edit_api.delete("/v1/credits/vid1.c0003", params={"reason": "not a credit"})
    assert deleted.status_code == 200 and deleted.json()["deleted"]
    assert_problem(edit_api.patch("/v1/credits/vid1.c0003", json={"name": "x"}), 422, "deleted")
    restored = edit_api.post("/v1/edits/credit/vid1.c0003/revert", json={"to_version": 0})
    assert restored.status_code == 200 and not restored.json()["deleted"]

    queue = edit_api.get("/v1/role-titles/queue", params={"suggest": "false"}).json()
    assert [q["title"] for q in queue] == ["음향효과맨", "조명기사"]
    mapped = edit_api.post("/v1/role-titles/map", json={"title": "음향효과맨", "code": "23.8"})
    assert mapped.status_code == 200 and mapped.json()["credits_updated"] == 2
    assert edit_api.get("/v1/edits/credit/vid1.c0002").json()["document"]["role_code"] == "23.8"
    assert_problem(edit_api.post("/v1/role-titles/map", json={"title": "조명기사", "code": "nope"}), 422,
                   "unknown role code")


def test_without_editor_keys_the_edit_routes_say_they_are_off(settings):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from serve.edits_api import install_edit_routes
    from serve.problems import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)
    install_edit_routes(app, settings, None)  # what the Serve app mounts when no editor key is configured
    with TestClient(app) as client:
        assert_problem(client.get(f"/v1/edits/segment/{SEG}"), 403, "switched off")
        assert_problem(client.patch(f"/v1/segments/{SEG}", json={"caption": "x"}, headers={"X-API-Key": "k"}),
                       403, "switched off")


def test_audit_log_time_bounds_at_the_ends_of_the_calendar(edit_api):
    edit_api.patch(f"/v1/segments/{SEG}", json={"caption": "x"})
    everything = {"since": "0001-01-01T00:00:00", "until": "9999-12-31T23:59:59Z"}
    assert len(edit_api.get("/v1/edits", params=everything).json()) == 1
    assert edit_api.get("/v1/edits", params={"until": "2000-01-01T00:00:00+09:00"}).json() == []


def test_a_405_lists_every_method_served_on_the_path(settings):
    """The edit routes share paths with the search routes: a wrong method names all that the path serves."""
    from fastapi.testclient import TestClient

    from serve.api import create_api
    from serve.edits_api import install_edit_routes

    app = create_api(settings, None)
    install_edit_routes(app, settings, None)
    with TestClient(app) as client:
        for path, allowed in [(f"/v1/segments/{SEG}", "GET, PATCH"), ("/v1/credits/c1", "PATCH, DELETE"),
                              ("/v1/judgments", "GET, POST")]:
            response = client.put(path, json={})
            assert_problem(response, 405, "not allowed")
            assert response.headers["allow"] == allowed, path


SEARCH_KEY = "search-key-0123456789"


@pytest.mark.slow  # the searcher service warms up its analysers and encoder in this process
def test_with_search_keys_an_editor_key_searches_reads_and_edits_but_is_no_admin(archive):
    """The roles with search keys configured: a search key reads, an editor key reads *and* edits (an archivist
    searches to find what to correct), an admin key administers; nobody else gets anything. The full API — the
    real searcher in this process (as with serve.search_in_ingress) and the edit routes — over the archive."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from serve.api import create_api
    from serve.app import HandleBackend, InProcessHandle
    from serve.edits_api import InProcessDesk, install_edit_routes
    from serve.searcher import SearchService
    from vidsearch.edits.desk import EditDesk

    settings, store = archive
    settings = settings.model_copy(update={
        "edits": settings.edits.model_copy(update={
            "editor_api_keys": {name: SecretStr(key) for name, key in EDITOR_KEYS.items()}}),
        "serve": settings.serve.model_copy(update={
            "search_api_keys": [SecretStr(SEARCH_KEY)], "admin_api_keys": [SecretStr(ADMIN_KEY)],
            "colocate_encoders": True})})
    searcher = InProcessHandle(SearchService.func_or_class(settings))
    app = create_api(settings, HandleBackend(searcher, searcher, settings.serve))
    install_edit_routes(app, settings, InProcessDesk(EditDesk(store, settings)))
    editor, searcher_key = {"X-API-Key": EDITOR_KEYS["alice"]}, {"X-API-Key": SEARCH_KEY}

    def hits(client: TestClient, query: str, headers: dict) -> list[str]:
        answer = client.post("/v1/search", json={"query": query, "k": 3, "retrievers": ["bm25_ko", "bm25_en"]},
                             headers=headers)
        assert answer.status_code == 200, answer.text
        return [h["segment_id"] for h in answer.json()["hits"]]

    with TestClient(app) as client:
        assert_problem(client.post("/v1/search", json={"query": "palace"}), 401, "API key")
        assert_problem(client.post("/v1/search", json={"query": "palace"}, headers={"X-API-Key": "guess"}), 403,
                       "search, editor or admin key")
        assert hits(client, "palace", editor)[0] == "vid1.s0001"  # an editor finds what to correct ...
        assert client.get(f"/v1/segments/{SEG}", headers=editor).status_code == 200  # ... opens it ...
        assert client.get("/v1/capabilities", headers=editor).status_code == 200
        edited = client.patch(f"/v1/segments/{SEG}", json={"caption": "해운대 해수욕장"}, headers=editor)
        assert edited.status_code == 200, edited.text  # ... corrects it ...
        assert hits(client, "해운대", editor)[0] == SEG  # ... and finds it by the corrected word
        assert hits(client, "해운대", searcher_key)[0] == SEG
        assert_problem(client.patch(f"/v1/segments/{SEG}", json={"caption": "x"}, headers=searcher_key), 403,
                       "not an editor key")
        assert client.get(f"/v1/edits/segment/{SEG}", headers=searcher_key).json()["version"] == 1
        assert_problem(client.get("/v1/admin/jobs", headers=editor), 403, "not an admin key")
        hit = client.post("/v1/search", json={"query": "palace", "k": 1}, headers=editor).json()["hits"][0]
        assert hit["video_path"] is None  # server paths stay admin-only
