"""The bulk client path under injected faults: every document lands exactly once or is reported by id.

The fault server (127.0.0.1) answers like Elasticsearch and injects 429s, 503s, slow answers, dropped
connections and per-item failures; the store's real client path (elasticsearch-py, streaming_bulk) runs
against it unchanged.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.store.es.sample import segment, stored_ids, unit_vectors, video_body
from vidsearch.schema import IndexName
from vidsearch.store.base import VideoBundle
from vidsearch.store.elasticsearch.bulk import BulkInterrupted

N = 10_000


def _docs(n: int, with_vectors: bool = True):
    vectors = unit_vectors(n) if with_vectors else [None] * n
    return [segment(i, vector=vectors[i]) for i in range(n)]


def _write(store, docs):
    acked: Counter = Counter()
    report = store.upsert(IndexName.SEGMENTS, docs, on_ack=lambda op, doc_id: acked.update([doc_id]))
    return report, acked


def test_ten_thousand_docs_through_30_percent_item_429s_all_land_once(server, store_on):
    store = store_on(server, initial_backoff_s=0.001, max_backoff_s=0.01)
    docs = _docs(N)
    server.inject(item_429_rate=0.3, seed=1)
    report, acked = _write(store, docs)

    ids = {doc_id for doc_id, _ in docs}
    assert report.written == N and report.failed == []
    assert set(acked) == ids and max(acked.values()) == 1  # every id acknowledged, none twice
    assert stored_ids(server, IndexName.SEGMENTS) == ids
    assert all(server.counters.applied[i] == 1 for i in ids)  # a rejected item is never applied twice
    assert server.counters.injected["item_429"] > 0.25 * N  # the faults really happened


@pytest.mark.parametrize("fault", ["request_429_rate", "request_503_rate"])
def test_whole_bulk_requests_rejected_30_percent_of_the_time_are_resent(server, store_on, fault):
    store = store_on(server, bulk_chunk_size=200)
    docs = _docs(3000)
    server.inject(**{fault: 0.3}, seed=2)
    report, acked = _write(store, docs)
    assert report.written == 3000 and report.failed == []
    assert len(acked) == 3000 and max(acked.values()) == 1
    assert server.counters.injected[int(fault[8:11])] > 0
    assert all(server.counters.applied[i] == 1 for i, _ in docs)


def test_item_503s_are_retried_like_429s(server, store_on):
    store = store_on(server)
    server.inject(item_503_rate=0.3, seed=3)
    report, acked = _write(store, _docs(2000))
    assert report.written == 2000 and not report.failed and max(acked.values()) == 1
    assert server.counters.injected["item_503"] > 0


def test_backoff_doubles_between_retries(server, store_on):
    store = store_on(server, initial_backoff_s=0.1, max_backoff_s=10.0)
    server.inject(script=[429, 429, 429])
    started = time.perf_counter()
    report, _ = _write(store, _docs(10))
    elapsed = time.perf_counter() - started
    assert report.written == 10
    assert server.counters.bulk_requests == 4  # three rejections, then success
    assert 0.1 + 0.2 + 0.4 <= elapsed < 3.0  # waited 0.1, 0.2, 0.4 s: exponential, not a busy loop


def test_backoff_is_capped(server, store_on):
    store = store_on(server, initial_backoff_s=0.05, max_backoff_s=0.1, max_retries=6)
    server.inject(script=[503] * 6)
    started = time.perf_counter()
    report, _ = _write(store, _docs(5))
    elapsed = time.perf_counter() - started
    assert report.written == 5
    assert elapsed < 0.05 + 0.1 * 5 + 1.0  # 0.05, then the cap 0.1 five times


def test_permanent_item_failures_are_reported_by_id_and_the_rest_land(server, store_on):
    store = store_on(server)
    docs = _docs(1000)
    bad = {docs[3][0], docs[500][0], docs[999][0]}
    server.inject(reject_ids=frozenset(bad), item_429_rate=0.2, seed=4)
    report, acked = _write(store, docs)
    assert report.written == 997
    assert {doc_id for doc_id, _ in report.failed} == bad
    assert all("document_parsing_exception" in reason for _, reason in report.failed)
    assert set(acked) == {d for d, _ in docs} - bad
    assert report.written + len(report.failed) == len(docs)  # nothing silently dropped


def test_documents_rejected_beyond_every_retry_are_reported_not_dropped(server, store_on):
    store = store_on(server, max_retries=2, final_retry_passes=1)
    docs = _docs(300)
    server.inject(item_429_rate=1.0)
    report, acked = _write(store, docs)
    assert report.written == 0 and not acked
    assert {d for d, _ in report.failed} == {d for d, _ in docs}
    assert all("still rejected after retries: 429" in reason for _, reason in report.failed)


def test_documents_still_rejected_after_the_stream_land_in_the_final_pass(server, store_on):
    store = store_on(server, max_retries=1, final_retry_passes=2, bulk_chunk_size=100)
    docs = _docs(200)
    server.inject(script=[429, 429, 429, 429])  # chunk 1 twice, chunk 2 twice: both exhaust their retries
    report, acked = _write(store, docs)
    assert report.written == 200 and not report.failed
    assert max(acked.values()) == 1


def test_connections_dropped_before_an_answer_are_retried_without_duplicates(server, store_on):
    store = store_on(server, bulk_chunk_size=250)
    docs = _docs(3000)
    server.inject(drop_rate=0.3, seed=5)
    report, acked = _write(store, docs)
    assert report.written == 3000 and not report.failed and max(acked.values()) == 1
    assert server.counters.injected["drop"] > 0
    assert all(server.counters.applied[i] == 1 for i, _ in docs)


def test_an_answer_lost_after_the_write_applied_is_harmless(server, store_on):
    """The cluster applied the chunk but the answer never came: the resend overwrites by id (version 2), so
    the index still holds each document once and each is acknowledged once."""
    store = store_on(server, bulk_chunk_size=250)
    docs = _docs(1000)
    server.inject(script=["drop_after"])  # the first chunk is applied, then its answer is lost
    report, acked = _write(store, docs)
    assert report.written == 1000 and not report.failed and max(acked.values()) == 1
    assert stored_ids(server, IndexName.SEGMENTS) == {d for d, _ in docs}
    assert [server.counters.applied[d] for d, _ in docs] == [2] * 250 + [1] * 750

    server.inject(drop_after_apply_rate=0.3, seed=6)  # at random, repeatedly: the same invariants hold
    report, acked = _write(store, docs)
    assert report.written == 1000 and not report.failed and max(acked.values()) == 1
    assert stored_ids(server, IndexName.SEGMENTS) == {d for d, _ in docs}
    assert server.counters.injected["drop_after"] > 0


def test_a_bulk_answer_slower_than_the_timeout_is_resent(server, store_on):
    store = store_on(server, bulk_timeout_s=0.3)
    docs = _docs(600)
    server.inject(script=["slow"], slow_s=1.0)
    report, acked = _write(store, docs)
    assert report.written == 600 and not report.failed and max(acked.values()) == 1
    assert server.counters.injected["slow"] == 1


def test_a_cluster_lost_mid_stream_stops_and_names_every_document_not_acknowledged(server, store_on):
    store = store_on(server, bulk_chunk_size=100, max_retries=2)
    docs = _docs(1000)
    bad = segment(5000, vector=[float("nan")] * 8)  # rejected before sending, still reported
    server.inject(script=[None] * 3 + ["drop"] * 50)  # three chunks land, then every request is cut off
    started = time.perf_counter()
    with pytest.raises(BulkInterrupted, match="unreachable") as caught:
        _write(store, docs + [bad])
    report = caught.value.report
    assert report.written == 300
    assert {d for d, _ in report.failed} == {d for d, _ in docs[300:]} | {bad[0]}
    assert dict(report.failed)[bad[0]] == "text_vec contains NaN or infinite values"
    assert time.perf_counter() - started < 5


def test_parallel_bulk_threads_keep_every_guarantee(server, store_on):
    store = store_on(server, bulk_threads=4, bulk_chunk_size=200)
    docs = _docs(4000)
    server.inject(item_429_rate=0.3, request_503_rate=0.1, seed=7)
    report, acked = _write(store, docs)
    assert report.written == 4000 and not report.failed
    assert set(acked) == {d for d, _ in docs} and max(acked.values()) == 1
    assert all(server.counters.applied[i] == 1 for i, _ in docs)


def test_commit_video_writes_the_checkpoint_only_when_every_document_landed(server, store_on):
    store = store_on(server)
    segments = [segment(i, video="v9") for i in range(20)]
    server.inject(reject_ids=frozenset({segments[7][0]}))
    report = store.commit_video(VideoBundle("v9", video_body("v9"), {IndexName.SEGMENTS: segments},
                                            frozenset({IndexName.SEGMENTS})))
    assert [d for d, _ in report.failed] == [segments[7][0]]
    assert "v9" not in stored_ids(server, IndexName.VIDEOS)  # not checkpointed: the next run redoes it

    server.inject(item_429_rate=0.5, seed=8)  # the rerun goes through despite the busy cluster
    report = store.commit_video(VideoBundle("v9", video_body("v9"), {IndexName.SEGMENTS: segments},
                                            frozenset({IndexName.SEGMENTS})))
    assert not report.failed and report.written == 21
    assert "v9" in stored_ids(server, IndexName.VIDEOS)
