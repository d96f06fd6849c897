"""Edits on the Elasticsearch backend, through the repo's fault server (it speaks ES's REST API; no ES server runs
here): the edit log is its own index that a blue/green rebuild never touches, a re-ingest into the new version gets
the edits applied, a stale concurrent write is refused, and every request the edit log sends matches Elastic's spec."""

from __future__ import annotations

import pytest

from tests.store.es import openapi
from tests.store.es.sample import ENCODERS, es_settings, segment, video_body
from vidsearch.edits.layer import EditLayer
from vidsearch.edits.overlay import overlay_bundle
from vidsearch.edits.records import EditTarget, StaleVersion
from vidsearch.schema import IndexName
from vidsearch.store.base import VideoBundle
from vidsearch.store.elasticsearch import reindex
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from testkit.elasticsearch.fault_server import FaultServer


@pytest.fixture
def es(tmp_path):
    with FaultServer(record=True) as server:
        store = ElasticsearchStore(es_settings(server.url, tmp_path))
        store.ensure_indices(ENCODERS)
        settings = es_settings(server.url, tmp_path)
        yield server, store, settings
        store.close()


def bundle(captions: list[str]) -> VideoBundle:
    docs = [segment(i, caption=c) for i, c in enumerate(captions)]
    return VideoBundle("v1", video_body(), {IndexName.SEGMENTS: docs}, frozenset({IndexName.SEGMENTS}))


def test_edits_survive_a_blue_green_rebuild_and_a_reingest_into_it(es):
    server, store, settings = es
    assert not store.commit_video(bundle(["해문대 해수욕장", "palace at night"])).failed
    store.refresh()
    layer = EditLayer(store, settings)
    layer.edit(EditTarget.SEGMENT, "v1.s00000", {"caption": "해운대 해수욕장", "keywords": ["부산"]}, who="alice")
    assert store.get(IndexName.SEGMENTS, ["v1.s00000"])["v1.s00000"]["caption"] == "해운대 해수욕장"

    reindex.begin(store, ENCODERS, [IndexName.SEGMENTS, IndexName.VIDEOS])  # the rebuild: new, empty versions
    fresh = bundle(["해문대 해수욕장", "palace at night"])  # the archive re-analysed into them
    overlay_bundle(store, settings, fresh)
    assert not store.commit_video(fresh).failed
    reindex.finish(store, [IndexName.SEGMENTS, IndexName.VIDEOS])
    store.refresh()

    body = store.get(IndexName.SEGMENTS, ["v1.s00000"])["v1.s00000"]
    assert body["caption"] == "해운대 해수욕장" and body["keywords"] == ["부산"]
    assert "vidsearch-edits" in server.state.indices  # its own plain index, untouched by the swap
    state = layer.state(EditTarget.SEGMENT, "v1.s00000")
    assert state.version == 1 and state.machine["caption"] == "해문대 해수욕장"

    with pytest.raises(StaleVersion):  # version 1 exists: ES's create refuses the second writer
        layer.edit(EditTarget.SEGMENT, "v1.s00000", {"caption": "x"}, who="bob", version=0)
    layer.revert(EditTarget.SEGMENT, "v1.s00000", 0, who="alice")
    assert store.get(IndexName.SEGMENTS, ["v1.s00000"])["v1.s00000"]["caption"] == "해문대 해수욕장"

    sent = [r for r in server.requests if "edits" in r.path]
    assert sent, "the edit log sent nothing"
    for request in sent:
        problems = openapi.request_errors(request.method, request.path, request.params, request.body)
        # The spec models SortOptions only with _score/_doc/_geo_distance/_script keys, not the field-keyed form
        # ({"seq": {"order": "desc"}}) that Elasticsearch documents and accepts; everything else must match.
        problems = [p for p in problems if "sort/0: 'seq' was unexpected" not in p]
        assert problems == [], request
