"""The embedded store as a user of one machine relies on it: it persists, survives crashes, serves searches while
a job writes, and its snapshots never change what a search returns."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from vidsearch.config import StoreSettings
from vidsearch.errors import EncoderMismatch
from vidsearch.schema import IndexName
from vidsearch.store.base import SearchFilters, TextRetriever, VectorRetriever, VideoBundle
from vidsearch.store.embedded.store import EmbeddedStore

ENCODERS = {"text": {"id": "test-encoder", "dims": 8}}


def _unit(rng: np.random.Generator, n: int, dims: int = 8) -> np.ndarray:
    x = rng.standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _segment(i: int, text: str, vector=None, video: str = "v1", **extra) -> tuple[str, dict]:
    body = {"video_id": video, "index": i, "start_s": float(i), "end_s": float(i + 1), "ocr_text": text, **extra}
    if vector is not None:
        body["text_vec"] = vector
    return f"{video}.s{i:04d}", body


def _open(path: Path, **settings) -> EmbeddedStore:
    store = EmbeddedStore(path, StoreSettings(**settings))
    store.ensure_indices(ENCODERS)
    return store


def _bm25(store: EmbeddedStore, query: str, **filters) -> list[str]:
    hits = store.search(IndexName.SEGMENTS, [TextRetriever("q", query, ("ocr_text.ko", "ocr_text.en"))],
                        SearchFilters(**filters) if filters else None)
    return [c.id for c in hits["q"]]


def test_reopened_store_answers_like_the_original(tmp_path):
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 50)
    store = _open(tmp_path)
    store.upsert(IndexName.SEGMENTS, [_segment(i, f"장면 {i} scene number {i}", vectors[i]) for i in range(50)])
    query = VectorRetriever("v", "text_vec", vectors[7], k=5)
    before = (_bm25(store, "장면 scene"), store.search(IndexName.SEGMENTS, [query])["v"])
    store.compact(force=True)
    store.close()

    reopened = _open(tmp_path)
    assert (_bm25(reopened, "장면 scene"), reopened.search(IndexName.SEGMENTS, [query])["v"]) == before
    assert reopened.search(IndexName.SEGMENTS, [query])["v"][0].id == "v1.s0007"


def test_writes_after_a_snapshot_are_searchable_and_deletes_stick(tmp_path):
    store = _open(tmp_path)
    store.upsert(IndexName.SEGMENTS, [_segment(i, "old text") for i in range(5)])
    store.compact(force=True)
    store.upsert(IndexName.SEGMENTS, [_segment(2, "새로운 자막 new caption")])  # replaces a snapshotted doc
    store.delete(IndexName.SEGMENTS, ["v1.s0003"])
    reader = _open(tmp_path)  # a second process would open the same way: snapshot + later journal rows
    assert _bm25(reader, "자막") == ["v1.s0002"]
    assert "v1.s0002" not in _bm25(reader, "old") and "v1.s0003" not in _bm25(reader, "old")
    assert reader.count(IndexName.SEGMENTS) == 4


def test_filters_combine_keywords_ranges_and_time_overlap(tmp_path):
    store = _open(tmp_path)
    store.upsert(IndexName.SEGMENTS, [
        _segment(0, "news today", channel="KBS", air_date="2024-01-05"),
        _segment(1, "news tonight", channel="MBC", air_date="2024-03-01"),
        _segment(5, "news at noon", video="v2", channel="KBS", air_date="2023-12-31"),
    ])
    assert _bm25(store, "news", channel=["KBS"]) == ["v1.s0000", "v2.s0005"] or \
        set(_bm25(store, "news", channel=["KBS"])) == {"v1.s0000", "v2.s0005"}
    assert _bm25(store, "news", air_date_from="2024-01-01") == ["v1.s0000", "v1.s0001"] or \
        set(_bm25(store, "news", air_date_from="2024-01-01")) == {"v1.s0000", "v1.s0001"}
    assert _bm25(store, "news", video_ids=["v2"]) == ["v2.s0005"]
    assert set(_bm25(store, "news", time_from_s=1.5, time_to_s=5.5)) == {"v1.s0001", "v2.s0005"}
    assert store.count(IndexName.SEGMENTS, SearchFilters(channel=["MBC"])) == 1


def test_vector_search_exact_and_hnsw_agree(tmp_path):
    rng = np.random.default_rng(3)
    centres = _unit(rng, 40)
    vectors = centres[rng.integers(0, 40, 3000)] + 0.3 * rng.standard_normal((3000, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = _open(tmp_path / "exact", ann_threshold=10**9)
    approx = _open(tmp_path / "ann", ann_threshold=1000)
    docs = [_segment(i, "x", vectors[i], channel="A" if i % 2 else "B") for i in range(3000)]
    exact.upsert(IndexName.SEGMENTS, docs)
    approx.upsert(IndexName.SEGMENTS, docs)
    recall = []
    for q in _unit(rng, 30):
        truth = [c.id for c in exact.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", q, k=10)])["v"]]
        found = [c.id for c in approx.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", q, k=10)])["v"]]
        recall.append(len(set(truth) & set(found)) / 10)
    assert approx.view(IndexName.SEGMENTS).vectors["text_vec"].ann is not None  # the graph was really used
    assert np.mean(recall) >= 0.95
    # A selective filter (1 in 2 docs here is "A"; one video is far fewer) still returns k allowed hits.
    filtered = approx.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", vectors[0], k=10)],
                             SearchFilters(channel=["A"]))["v"]
    assert len(filtered) == 10
    assert all(int(c.id.split("s")[-1]) % 2 == 1 for c in filtered)


def test_encoder_mismatch_is_refused_for_writes_and_queries(tmp_path):
    store = _open(tmp_path)
    with pytest.raises(EncoderMismatch, match="test-encoder"):
        store.ensure_indices({"text": {"id": "another-encoder", "dims": 8}})
    store.upsert(IndexName.SEGMENTS, [_segment(0, "x", np.eye(8)[0])])
    with pytest.raises(EncoderMismatch, match="another-encoder"):
        store.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", np.eye(8)[0], encoder="another-encoder")])
    with pytest.raises(EncoderMismatch, match="8-d"):
        store.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", np.ones(4) / 2)])


def test_bad_documents_are_rejected_and_reported_without_losing_the_rest(tmp_path):
    store = _open(tmp_path)
    nan = np.full(8, np.nan)
    report = store.upsert(IndexName.SEGMENTS, [
        _segment(0, "good"), _segment(1, "nan vector", nan), _segment(2, "short vector", [1.0, 0.0]),
        ("v1.s0003", {"video_id": "v1", "colour": "red"}), _segment(4, "also good"),
    ])
    assert report.written == 2
    reasons = dict(report.failed)
    assert "NaN" in reasons["v1.s0001"] and "shape" in reasons["v1.s0002"] and "colour" in reasons["v1.s0003"]
    assert store.count(IndexName.SEGMENTS) == 2


def test_commit_video_replaces_stale_documents_and_is_atomic(tmp_path):
    store = _open(tmp_path)
    first = VideoBundle("v1", {"path": "/a.mp4", "content_hash": "h", "file_name": "a.mp4", "duration_s": 3,
                               "fps": 25, "width": 2, "height": 2, "size_bytes": 1, "stages": {"shots": "1"}},
                        {IndexName.SEGMENTS: [_segment(i, f"first run {i}") for i in range(3)]},
                        frozenset({IndexName.SEGMENTS}))
    store.commit_video(first)
    second = VideoBundle("v1", {**first.video, "stages": {"shots": "2"}},
                         {IndexName.SEGMENTS: [_segment(0, "second run")]}, frozenset({IndexName.SEGMENTS}))
    store.commit_video(second)
    assert store.count(IndexName.SEGMENTS) == 1 and _bm25(store, "second") == ["v1.s0000"]
    assert store.get(IndexName.VIDEOS, ["v1"])["v1"]["stages"] == {"shots": "2"}
    broken = VideoBundle("v1", {**first.video, "stages": {"shots": "3"}},
                         {IndexName.SEGMENTS: [_segment(0, "third"), _segment(1, "bad", [np.inf] * 8)]},
                         frozenset({IndexName.SEGMENTS}))
    report = store.commit_video(broken)
    assert report.failed and store.get(IndexName.VIDEOS, ["v1"])["v1"]["stages"] == {"shots": "2"}
    assert _bm25(store, "third") == []  # nothing of a rejected bundle lands
    assert store.delete_video("v1") == 2 and store.count(IndexName.SEGMENTS) == 0


def _writer(path: str, start: int, count: int, ready) -> None:
    store = EmbeddedStore(Path(path))
    ready.set()
    for i in range(start, start + count):
        store.upsert(IndexName.SEGMENTS, [_segment(i, f"live caption {i}")])


def test_a_reader_searches_while_another_process_writes(tmp_path):
    _open(tmp_path).upsert(IndexName.SEGMENTS, [_segment(0, "live caption 0")])
    reader = _open(tmp_path)
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    writer = ctx.Process(target=_writer, args=(str(tmp_path), 1, 200, ready))
    writer.start()
    ready.wait(60)
    seen = []
    while writer.is_alive():
        seen.append(len(_bm25(reader, "caption")))  # must never raise "database is locked"
    writer.join()
    assert writer.exitcode == 0
    assert seen == sorted(seen)  # a reader only ever sees the store grow
    assert len(_bm25(reader, "caption")) == 100 and reader.count(IndexName.SEGMENTS) == 201  # k=100


def _crashing_writer(path: str) -> None:
    store = EmbeddedStore(Path(path))
    big = [_segment(i, f"batch two {i}", video="v2") for i in range(20_000)]
    store.upsert(IndexName.SEGMENTS, big)  # killed while this transaction is being written


def test_a_crash_mid_write_leaves_the_store_consistent(tmp_path):
    store = _open(tmp_path)
    store.upsert(IndexName.SEGMENTS, [_segment(i, f"batch one {i}") for i in range(10)])
    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=_crashing_writer, args=(str(tmp_path),))
    proc.start()
    deadline = time.time() + 120
    wal = tmp_path / "store.sqlite-wal"
    while time.time() < deadline and (not wal.exists() or wal.stat().st_size < 1_000_000):
        time.sleep(0.01)  # wait until the big transaction is mid-flight
    assert wal.stat().st_size >= 1_000_000, "the writer never got into its transaction"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    after = _open(tmp_path)
    count = after.count(IndexName.SEGMENTS)
    assert count in (10, 20_010)  # all of the transaction or none of it, never a part
    assert len(_bm25(after, "batch one")) == 10
    after.upsert(IndexName.SEGMENTS, [_segment(99, "after the crash")])
    assert _bm25(after, "crash") == ["v1.s0099"]
