"""Cursor paging while new segments are indexed: the real API routes (create_api) over the real searcher
(SearchService with its encoder in the replica, as ``serve.colocate_encoders`` runs it) and the embedded store,
written to by a second store handle between page requests, as a running ingest job would."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.serve.conftest import LIVE_BEFORE as BEFORE
from tests.serve.conftest import LIVE_DURING as DURING
from tests.serve.conftest import LIVE_QUERY as QUERY

def _search(client: TestClient, k: int, cursor: str | None = None) -> dict:
    response = client.post("/v1/search", json={"query": QUERY, "k": k, **({"cursor": cursor} if cursor else {})})
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_never_repeat_or_skip_a_hit_while_segments_are_indexed(live_archive):
    client, index = live_archive
    before = {hit["segment_id"]: hit["score"] for hit in _search(client, 1000)["hits"]}
    assert len(before) == sum(map(len, BEFORE))  # the dense retriever returns every segment: all are hits
    shown: list[str] = []
    page = _search(client, 3)
    pages = 0
    while True:
        shown += [hit["segment_id"] for hit in page["hits"]]
        pages += 1
        if pages <= len(DURING):  # a video is indexed after each of the first pages, before the next request
            index(f"during{pages}", DURING[pages - 1])
        if not page["next_cursor"]:
            break
        assert pages < 20, "paging does not end"
        page = _search(client, 3, page["next_cursor"])
    assert len(shown) == len(set(shown)), [s for s in shown if shown.count(s) > 1]  # no hit twice
    assert set(before) <= set(shown), sorted(set(before) - set(shown))  # none of the first page's hits skipped
    new = [s for s in shown if s.startswith("during")]
    assert new, "the segments indexed while paging are found by the later pages"
    # the indexing really moved the old hits' scores (the case a (score, id) search_after key gets wrong)
    after = {hit["segment_id"]: hit["score"] for hit in _search(client, 1000)["hits"]}
    assert any(abs(after[s] - score) > 1e-6 for s, score in before.items())


def test_with_nothing_indexed_the_pages_are_the_ranking_cut_in_pieces(live_archive):
    client, _ = live_archive
    whole = [hit["segment_id"] for hit in _search(client, 1000)["hits"]]
    paged, cursor = [], None
    while True:
        page = _search(client, 5, cursor)
        paged += [hit["segment_id"] for hit in page["hits"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == whole
