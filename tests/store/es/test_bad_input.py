"""Bad input for the Elasticsearch backend: each gets one clear error naming the input, and nothing else is lost.

Unreachable or silent clusters, rejected credentials, TLS without the right CA, a server that is not
Elasticsearch, indices whose mapping or encoders disagree with ours, and documents ES would reject or silently
corrupt (NaN/inf vectors, wrong dims).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from tests.store.es.sample import DIMS, ENCODERS, es_settings, segment, stored_ids, unit_vectors, video_body
from vidsearch.config import Settings
from vidsearch.errors import ConfigurationError, EncoderMismatch, MappingConflict, StoreError
from vidsearch.schema import IndexName
from vidsearch.store.base import TextRetriever, VectorRetriever, VideoBundle
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from testkit.elasticsearch.fault_server import FaultServer, ids_of_bulk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the cluster ------------------------------------------------------------------------------------------------
def test_an_unreachable_cluster_is_one_clear_error_within_the_timeout(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    store = ElasticsearchStore(es_settings(url, tmp_path, connect_check_timeout_s=1.0))
    started = time.perf_counter()
    with pytest.raises(StoreError, match=rf"Elasticsearch at {url} is unreachable while connecting"):
        store.ensure_indices(ENCODERS)
    with pytest.raises(StoreError, match="unreachable"):
        store.upsert(IndexName.SEGMENTS, [segment(0)])
    assert time.perf_counter() - started < 2.0


def test_a_cluster_that_never_answers_fails_within_the_timeout_and_nothing_is_written(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = ElasticsearchStore(es_settings(url, tmp_path, connect_check_timeout_s=0.5))
        started = time.perf_counter()
        with pytest.raises(StoreError, match="did not answer in time while connecting"):
            store.commit_video(VideoBundle("v1", video_body(), {IndexName.SEGMENTS: [segment(0)]}))
        assert time.perf_counter() - started < 1.5


def test_a_cluster_lost_before_the_checkpoint_leaves_the_video_unfinished(tmp_path):
    with FaultServer(record=False) as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path, max_retries=1))
        store.ensure_indices(ENCODERS)
        # the segments land, then the cluster stops answering (refresh before removing stale docs)
        srv.inject(script=[None] + ["drop"] * 20, paths=("/_bulk", "/_refresh", "/_delete_by_query"))
        bundle = VideoBundle("v1", video_body(), {IndexName.SEGMENTS: [segment(i) for i in range(3)]},
                             frozenset({IndexName.SEGMENTS}))
        with pytest.raises(StoreError, match="unreachable while finding documents to remove"):
            store.commit_video(bundle)
        assert len(stored_ids(srv, IndexName.SEGMENTS)) == 3
        assert stored_ids(srv, IndexName.VIDEOS) == set()  # no checkpoint: the next run redoes the video
        store.close()


def test_rejected_api_key_is_a_clear_401_message_and_nothing_is_created(tmp_path):
    with FaultServer(api_key="right-key") as srv:
        wrong = ElasticsearchStore(es_settings(srv.url, tmp_path, api_key="wrong-key"))
        with pytest.raises(StoreError, match=r"rejected the credentials \(401\).*VIDSEARCH_ES__API_KEY"):
            wrong.ensure_indices(ENCODERS)
        assert srv.state.indices == {}
        right = ElasticsearchStore(es_settings(srv.url, tmp_path, api_key="right-key"))
        right.ensure_indices(ENCODERS)
        assert len(srv.state.indices) == len(IndexName)  # one per index the mappings define
        assert srv.requests[-1].headers["authorization"] == "ApiKey right-key"


def test_rejected_basic_auth_is_a_clear_401_message(tmp_path):
    with FaultServer(basic_auth=("elastic", "s3cret")) as srv:
        wrong = ElasticsearchStore(es_settings(srv.url, tmp_path, username="elastic", password="guess"))
        with pytest.raises(StoreError, match="rejected the credentials"):
            wrong.count(IndexName.SEGMENTS)
        right = ElasticsearchStore(es_settings(srv.url, tmp_path, username="elastic", password="s3cret"))
        right.ensure_indices(ENCODERS)
        assert right.count(IndexName.SEGMENTS) == 0


def test_credentials_revoked_mid_stream_stop_the_write_with_the_401_message(tmp_path):
    with FaultServer(record=False) as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path, bulk_chunk_size=10))
        store.ensure_indices(ENCODERS)
        srv.inject(script=[None, 401])
        with pytest.raises(StoreError, match="rejected the credentials") as caught:
            store.upsert(IndexName.SEGMENTS, [segment(i) for i in range(50)])
        assert caught.value.report.written == 10
        assert len(caught.value.report.failed) == 40


def _make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI."""
    ca_key, ca, key, csr, cert, ext = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr",
                                                           "server.pem", "san.ext"))
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=vidsearch test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out",
        str(cert), "-days", "2", "-extfile", str(ext))
    return ca, cert, key


def test_tls_with_the_cluster_ca_file_works_and_without_it_fails_clearly(tmp_path):
    ca, cert, key = _make_tls(tmp_path)
    with FaultServer(tls=(str(cert), str(key)), api_key="k") as srv:
        assert srv.url.startswith("https://")
        store = ElasticsearchStore(es_settings(srv.url, tmp_path, ca_file=ca, api_key="k"))
        store.ensure_indices(ENCODERS)
        assert store.count(IndexName.SEGMENTS) == 0
        untrusting = ElasticsearchStore(es_settings(srv.url, tmp_path, api_key="k", max_retries=0))
        with pytest.raises(StoreError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            untrusting.count(IndexName.SEGMENTS)


def test_a_server_that_is_not_elasticsearch_is_refused(tmp_path):
    with FaultServer(product_header=False) as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path))
        with pytest.raises(StoreError, match="is not Elasticsearch"):
            store.ensure_indices(ENCODERS)


@pytest.mark.parametrize("es, message", [
    ({"api_key": "k", "username": "u", "password": "p"}, "exclusive"),
    ({"username": "u"}, "go together"),
    ({"nori_user_dictionary_path": "dict.txt", "nori_user_dictionary_rules": ["김민수"]}, "not both"),
])
def test_contradictory_settings_are_refused_at_load(tmp_path, es, message):
    with pytest.raises(ValidationError, match=message):
        Settings(data_dir=tmp_path, es_url="http://localhost:9200", es=es)


def test_a_missing_url_or_ca_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="VIDSEARCH_ES_URL"):
        ElasticsearchStore(Settings(data_dir=tmp_path))
    with pytest.raises(ConfigurationError, match="ca_file"):
        ElasticsearchStore(es_settings("https://localhost:9200", tmp_path, ca_file=tmp_path / "missing.pem"))


# -- indices that disagree with the mapping or the encoders -----------------------------------------------------
def test_a_field_mapped_differently_in_the_cluster_is_refused_by_name(tmp_path):
    with FaultServer() as srv:
        ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)
        segments = srv.state.indices["vidsearch-segments-v1"].mappings["properties"]
        segments["channel"] = {"type": "text"}
        with pytest.raises(MappingConflict, match=r"vidsearch-segments-v1: field 'channel': type is 'text'"):
            ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)
        segments["channel"] = {"type": "keyword"}
        segments["title"]["fields"]["ko"]["analyzer"] = "standard"
        with pytest.raises(MappingConflict, match=r"field 'title.ko': analyzer is 'standard'.*'vidsearch_ko'"):
            ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)


def test_a_field_new_in_the_mapping_is_added_not_refused(tmp_path):
    with FaultServer() as srv:
        ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)
        del srv.state.indices["vidsearch-segments-v1"].mappings["properties"]["caption"]
        ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)
        assert "caption" in srv.state.indices["vidsearch-segments-v1"].mappings["properties"]


def test_a_persons_index_from_before_track_vectors_gains_the_field_in_place(tmp_path):
    """Person documents carry their tracks' vectors (kept in the source, not indexed): an archive's persons index
    created before that is brought up to date with one PUT _mapping, no reindex."""
    with FaultServer() as srv:
        ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)
        del srv.state.indices["vidsearch-persons-v1"].mappings["properties"]["track_vecs"]
        ElasticsearchStore(es_settings(srv.url, tmp_path)).ensure_indices(ENCODERS)
        added = srv.state.indices["vidsearch-persons-v1"].mappings["properties"]["track_vecs"]
        assert added == {"type": "object", "enabled": False}


def test_indices_vidsearch_did_not_create_are_never_written(tmp_path):
    with FaultServer() as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path))
        store.client.indices.create(index="vidsearch-segments", body={"mappings": {"properties": {}}})
        with pytest.raises(MappingConflict, match="index named vidsearch-segments exists and is not a vidsearch"):
            store.ensure_indices(ENCODERS)
        store.client.indices.delete(index="vidsearch-segments")
        store.client.indices.create(index="vidsearch-segments-v1", body={"aliases": {"vidsearch-segments": {}}})
        with pytest.raises(MappingConflict, match="not created by vidsearch"):
            store.ensure_indices(ENCODERS)


def test_an_index_built_by_other_encoders_is_refused_for_writes_and_queries(recording_server, store_on):
    srv = recording_server
    store = store_on(srv)
    store.upsert(IndexName.SEGMENTS, [segment(0, vector=unit_vectors(1)[0])])
    with pytest.raises(EncoderMismatch, match=r"built by test-text-encoder \(8-d\).*other-encoder \(8-d\)"):
        store.ensure_indices({"text": {"id": "other-encoder", "dims": DIMS}})
    with pytest.raises(EncoderMismatch, match=r"\(8-d\).*\(16-d\)"):
        store.ensure_indices({"text": {"id": "test-text-encoder", "dims": 16}})
    query = unit_vectors(1)[0]
    with pytest.raises(EncoderMismatch, match="built by test-text-encoder; the query was encoded by other"):
        store.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", query, encoder="other")])
    with pytest.raises(EncoderMismatch, match=r"holds 8-d vectors; the query vector has shape \(16,\)"):
        store.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", unit_vectors(1, 16)[0])])
    searches_sent = [r for r in srv.requests if r.path.endswith("_msearch")]
    assert searches_sent == []  # refused before anything was sent


def test_queries_are_refused_once_another_process_swapped_in_other_encoders(tmp_path):
    with FaultServer() as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path, meta_cache_s=0))
        store.ensure_indices(ENCODERS)
        query = VectorRetriever("v", "text_vec", unit_vectors(1)[0], encoder="test-text-encoder")
        assert store.search(IndexName.SEGMENTS, [query]) == {"v": []}
        meta = srv.state.indices["vidsearch-segments-v1"].mappings["_meta"]["vidsearch"]
        meta["encoders"]["text"] = {"id": "bge-m3", "dims": DIMS}  # what a swap to a reindexed version does
        with pytest.raises(EncoderMismatch, match="built by bge-m3"):
            store.search(IndexName.SEGMENTS, [query])


def test_a_bbq_index_is_refused_for_an_encoder_below_64_dims(tmp_path):
    with FaultServer() as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path, vector_index_type="bbq_hnsw"))
        with pytest.raises(ConfigurationError, match="bbq_hnsw needs at least 64 dims"):
            store.ensure_indices(ENCODERS)


# -- documents ----------------------------------------------------------------------------------------------------
def test_bad_vectors_are_rejected_before_sending_and_reported(recording_server, store_on):
    srv = recording_server
    store = store_on(srv)
    good = unit_vectors(2)
    nan, inf = good[0].copy(), good[0].copy()
    nan[3], inf[5] = np.nan, np.inf
    docs = [segment(0, vector=good[0]), segment(1, vector=nan), segment(2, vector=inf),
            segment(3, vector=unit_vectors(1, 16)[0]), segment(4, vector=np.zeros(DIMS)),
            segment(5, vector=good[1]), segment(6, colour="red")]
    report = store.upsert(IndexName.SEGMENTS, docs)
    reasons = dict(report.failed)
    assert report.written == 2
    assert "NaN or infinite" in reasons["v1.s00001"] and "NaN or infinite" in reasons["v1.s00002"]
    assert "shape (16,), expected (8,)" in reasons["v1.s00003"]
    assert "zero vector" in reasons["v1.s00004"]
    assert "unknown field 'colour'" in reasons["v1.s00006"]
    sent = {i for r in srv.requests if r.path.endswith("/_bulk") for i in ids_of_bulk(r.body)}
    assert sent == {"v1.s00000", "v1.s00005"}


def test_a_vector_without_a_recorded_encoder_is_rejected(tmp_path):
    with FaultServer() as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path))
        store.ensure_indices(ENCODERS)  # no image_text encoder configured
        report = store.upsert(IndexName.SEGMENTS, [segment(0, clip_vec=unit_vectors(1)[0].tolist())])
        assert report.written == 0
        assert "clip_vec has a vector but no encoder is recorded" in report.failed[0][1]


def test_a_video_with_one_bad_document_sends_nothing(recording_server, store_on):
    srv = recording_server
    store = store_on(srv)
    bad = unit_vectors(1)[0].copy()
    bad[0] = np.nan
    srv.clear_requests()
    report = store.commit_video(VideoBundle("v1", video_body(), {
        IndexName.SEGMENTS: [segment(0), segment(1, vector=bad)]}, frozenset({IndexName.SEGMENTS})))
    assert [d for d, _ in report.failed] == ["v1.s00001"]
    assert [r for r in srv.requests if r.method != "GET"] == []


def test_an_unknown_text_field_or_vector_field_in_a_query_is_invalid(tmp_path):
    from vidsearch.errors import InvalidQuery

    with FaultServer() as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path))
        store.ensure_indices(ENCODERS)
        with pytest.raises(InvalidQuery, match="no text fields"):
            store.search(IndexName.SEGMENTS, [TextRetriever("t", "news", ("headline.en",))])
        with pytest.raises(InvalidQuery, match="no vector field 'face_vec'"):
            store.search(IndexName.SEGMENTS, [VectorRetriever("v", "face_vec", unit_vectors(1)[0])])


def test_server_side_fusion_is_refused_without_an_enterprise_licence(recording_server, store_on):
    from vidsearch.errors import InvalidQuery

    srv = recording_server
    retrievers = [TextRetriever("bm25", "news", ("ocr_text.en",)),
                  VectorRetriever("v", "text_vec", unit_vectors(1)[0])]
    store = store_on(srv)
    with pytest.raises(InvalidQuery, match="unknown server fusion 'rank'"):
        store.search_fused(IndexName.SEGMENTS, retrievers, method="rank")
    with pytest.raises(InvalidQuery, match="needs an Enterprise licence; .* has 'basic'"):
        store.search_fused(IndexName.SEGMENTS, retrievers, method="rrf")
    assert not any(r.body and "retriever" in r.body for r in srv.requests if r.path.endswith("/_search"))
    srv.licence = "trial"
    store.upsert(IndexName.SEGMENTS, [segment(0, vector=unit_vectors(1)[0])])
    assert [c.id for c in store.search_fused(IndexName.SEGMENTS, retrievers, method="rrf")] == ["v1.s00000"]
    sent = [r.body for r in srv.requests if r.path.endswith("/_search") and r.body and "retriever" in r.body]
    assert list(sent[-1]["retriever"]) == ["rrf"]


def test_nori_user_dictionary_comes_from_settings_and_a_local_file(recording_server, store_on, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("# programme people\n김민수\n촬영감독 촬영 감독\n\n", encoding="utf-8")
    store_on(recording_server, nori_user_dictionary_rules=["박지성"], nori_user_dictionary_file=names)
    tokenizer = recording_server.state.indices["vidsearch-segments-v1"].analysis["tokenizer"]["vidsearch_nori"]
    assert tokenizer["user_dictionary_rules"] == ["박지성", "김민수", "촬영감독 촬영 감독"]
    assert tokenizer["decompound_mode"] == "mixed"
    with FaultServer() as other, pytest.raises(ConfigurationError, match="missing.txt"):
        store_on(other, nori_user_dictionary_file=tmp_path / "missing.txt")
