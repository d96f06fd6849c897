"""The contract every IndexBackend honours, run against each backend: the embedded store always, a real
Elasticsearch cluster when ``VIDSEARCH_ES_URL`` is set (``docker compose up -d --wait`` starts one; see
docs/elasticsearch.md). Writes become visible to searches after ``refresh()``.

What a user relies on: documents come back as written, filters restrict every retriever alike, BM25 ranks the
better text match first (Korean morphemes and English stems included), kNN finds the nearest vectors with ES's
``dot_product`` scores, re-committing a video replaces its stale documents, and vectors from another encoder are
refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest

from vidsearch.config import Settings, StoreSettings
from vidsearch.errors import EncoderMismatch
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend, Range, SearchFilters, TextRetriever, VectorRetriever, VideoBundle

ENCODERS = {"text": {"id": "behaviour-test-encoder", "dims": 16}}
SEG = IndexName.SEGMENTS
NO_CLUSTER = ("VIDSEARCH_ES_URL is not set: the Elasticsearch leg of the behaviour suite needs a real cluster "
              "(`docker compose up -d --wait`, then VIDSEARCH_ES_URL=http://localhost:9200; "
              "docs/elasticsearch.md)")


def _embedded(tmp_path) -> Iterator[IndexBackend]:
    from vidsearch.store.embedded.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store", StoreSettings())
    store.ensure_indices(ENCODERS)
    yield store
    store.close()


def _elasticsearch(tmp_path) -> Iterator[IndexBackend]:
    from vidsearch.store.elasticsearch.backend import ElasticsearchStore

    prefix = f"vidsearch-test-{uuid.uuid4().hex[:8]}"  # every test gets its own indices
    store = ElasticsearchStore(Settings(data_dir=tmp_path, es={"index_prefix": prefix, "number_of_replicas": 0}))
    store.ensure_indices(ENCODERS)
    yield store
    for index in IndexName:
        for version in store.versions.list(index):
            store.client.indices.delete(index=version.name)
    store.close()


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=[
    pytest.mark.live_es, pytest.mark.skipif(not Settings().es_url, reason=NO_CLUSTER)])])
def store(request, tmp_path) -> Iterator[IndexBackend]:
    yield from (_embedded if request.param == "embedded" else _elasticsearch)(tmp_path)


def _unit(n: int, seed: int = 0, dims: int = 16) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _seg(i: int, video: str = "v1", **fields) -> tuple[str, dict]:
    return f"{video}.s{i:04d}", {"video_id": video, "index": i, "start_s": float(10 * i),
                                 "end_s": float(10 * i + 10), **fields}


def _video(video: str = "v1", segments: int = 0) -> dict:
    return {"path": f"/archive/{video}.mp4", "content_hash": f"h-{video}", "file_name": f"{video}.mp4",
            "duration_s": 100.0, "fps": 25.0, "width": 640, "height": 360, "size_bytes": 1,
            "stages": {"shots": "1"}, "segment_count": segments}


def _ids(store: IndexBackend, query: str, fields=("ocr_text.ko", "ocr_text.en"), filters=None, **kw) -> list[str]:
    hits = store.search(SEG, [TextRetriever("q", query, tuple(fields), **kw)], filters)
    return [c.id for c in hits["q"]]


def test_documents_come_back_as_written_and_deletes_stick(store):
    vectors = _unit(3)
    report = store.upsert(SEG, [_seg(i, ocr_text=f"장면 {i}", text_vec=vectors[i], keyframes_s=[1.5, 2.5])
                                for i in range(3)])
    store.refresh()
    assert report.written == 3 and not report.failed
    got = store.get(SEG, ["v1.s0001", "v1.s0009"])
    assert list(got) == ["v1.s0001"]
    assert got["v1.s0001"]["ocr_text"] == "장면 1" and got["v1.s0001"]["keyframes_s"] == [1.5, 2.5]
    assert "text_vec" not in got["v1.s0001"]
    with_vec = store.get(SEG, ["v1.s0001"], with_vectors=True)["v1.s0001"]["text_vec"]
    assert np.allclose(with_vec, vectors[1], atol=1e-5)
    assert store.delete(SEG, ["v1.s0001", "v1.s0009"]) == 1
    store.refresh()
    assert store.get(SEG, ["v1.s0001"]) == {} and store.count(SEG) == 2


def test_filters_restrict_counts_scans_and_every_retriever(store):
    vectors = _unit(4)
    store.upsert(SEG, [
        _seg(0, ocr_text="news today", channel="KBS", air_date="2024-01-05", text_vec=vectors[0],
             person_ids=["v1.p000"]),
        _seg(1, ocr_text="news tonight", channel="MBC", air_date="2024-03-01", text_vec=vectors[1]),
        _seg(5, video="v2", ocr_text="news at noon", channel="KBS", air_date="2023-12-31", text_vec=vectors[2]),
        _seg(6, video="v2", ocr_text="weather", channel="KBS", air_date="2024-02-02", text_vec=vectors[3]),
    ])
    store.refresh()
    kbs_2024 = SearchFilters(channel=["KBS"], air_date_from="2024-01-01")
    assert sorted(_ids(store, "news", filters=kbs_2024)) == ["v1.s0000"]
    assert store.count(SEG, kbs_2024) == 2
    assert sorted(i for i, _ in store.scan(SEG, kbs_2024)) == ["v1.s0000", "v2.s0006"]
    overlap = SearchFilters(time_from_s=15.0, time_to_s=55.0)  # segments [10,20) and [50,60) overlap it
    assert store.count(SEG, overlap) == 2
    assert sorted(_ids(store, "news", filters=overlap)) == ["v1.s0001", "v2.s0005"]
    knn = store.search(SEG, [VectorRetriever("v", "text_vec", vectors[1], k=4)], SearchFilters(video_ids=["v2"]))
    assert {c.id for c in knn["v"]} == {"v2.s0005", "v2.s0006"}
    assert store.count(SEG, SearchFilters(terms={"person_ids": ["v1.p000"]})) == 1
    assert store.count(SEG, SearchFilters(ranges={"index": Range(gte=1, lte=5)})) == 2
    assert store.count(IndexName.VIDEOS, SearchFilters(video_ids=["v1"])) == 0


def test_bm25_ranks_the_better_match_first(store):
    store.upsert(SEG, [
        _seg(0, ocr_text="archive footage of the harbour at night with boats and cranes and lights"),
        _seg(1, ocr_text="harbour"),
        _seg(2, ocr_text="harbour harbour festival"),
        _seg(3, ocr_text="mountain village in winter"),
    ])
    store.refresh()
    ranked = _ids(store, "harbour")
    assert ranked[:2] == ["v1.s0002", "v1.s0001"] and ranked[2] == "v1.s0000" and "v1.s0003" not in ranked


def test_english_stems_and_korean_morphemes_match_inflected_forms(store):
    store.upsert(SEG, [
        _seg(0, ocr_text="The runners were running along the river"),
        _seg(1, ocr_text="서울에서 열린 영화제에 배우들이 참석했다"),
        _seg(2, ocr_text="a quiet morning"),
    ])
    store.refresh()
    assert _ids(store, "run", ("ocr_text.en",)) == ["v1.s0000"]
    assert _ids(store, "영화제", ("ocr_text.ko",)) == ["v1.s0001"]
    assert _ids(store, "배우", ("ocr_text.ko",)) == ["v1.s0001"]


def test_best_fields_and_boosts_decide_between_fields(store):
    store.upsert(SEG, [_seg(0, title="Harbour Lights", ocr_text="nothing relevant here"),
                       _seg(1, title="Evening programme", ocr_text="harbour lights")])
    store.refresh()
    fields = ("title.en", "ocr_text.en")
    assert _ids(store, "harbour lights", fields, boosts={"title.en": 5.0})[0] == "v1.s0000"
    assert _ids(store, "harbour lights", fields, boosts={"ocr_text.en": 5.0})[0] == "v1.s0001"


def test_knn_finds_the_nearest_with_elasticsearch_dot_product_scores(store):
    vectors = _unit(50, seed=1)
    store.upsert(SEG, [_seg(i, text_vec=vectors[i]) for i in range(50)])
    store.refresh()
    query = vectors[7] + 0.05 * _unit(1, seed=2)[0]
    query /= np.linalg.norm(query)
    hits = store.search(SEG, [VectorRetriever("v", "text_vec", query, k=5, encoder="behaviour-test-encoder")])["v"]
    exact = (1 + vectors @ query) / 2
    assert hits[0].id == "v1.s0007"
    assert [h.id for h in hits] == [f"v1.s{i:04d}" for i in np.argsort(-exact)[:5]]
    for hit in hits:  # ES reports dot_product as (1 + dot) / 2; int8 quantisation may shift it a little
        assert hit.score == pytest.approx(exact[int(hit.id[-4:])], abs=0.01)


def test_recommitting_a_video_replaces_its_stale_documents(store):
    def bundle(n: int, text: str) -> VideoBundle:
        return VideoBundle("v1", _video(segments=n), {SEG: [_seg(i, ocr_text=text) for i in range(n)]},
                           frozenset({SEG}))

    store.upsert(SEG, [_seg(0, video="v2", ocr_text="other video")])
    first = store.commit_video(bundle(5, "first cut"))
    store.refresh()
    assert not first.failed and store.count(SEG, SearchFilters(video_ids=["v1"])) == 5
    second = store.commit_video(bundle(3, "second cut"))
    store.refresh()
    assert not second.failed and second.deleted == 2
    assert sorted(i for i, _ in store.scan(SEG, SearchFilters(video_ids=["v1"]))) == [
        "v1.s0000", "v1.s0001", "v1.s0002"]
    assert _ids(store, "first") == [] and len(_ids(store, "second")) == 3
    assert store.get(IndexName.VIDEOS, ["v1"])["v1"]["segment_count"] == 3
    assert store.count(SEG, SearchFilters(video_ids=["v2"])) == 1  # another video is untouched
    assert store.delete_video("v1") == 4
    store.refresh()
    assert store.count(SEG) == 1 and store.get(IndexName.VIDEOS, ["v1"]) == {}


def test_a_commit_with_a_rejected_document_is_not_checkpointed(store):
    bad = _unit(1)[0].copy()
    bad[0] = np.nan
    report = store.commit_video(VideoBundle("v1", _video(), {SEG: [_seg(0), _seg(1, text_vec=bad)]},
                                            frozenset({SEG})))
    store.refresh()
    assert [d for d, _ in report.failed] == ["v1.s0001"]
    assert store.get(IndexName.VIDEOS, ["v1"]) == {} and store.count(SEG) == 0


def test_vectors_from_another_encoder_are_refused(store):
    store.upsert(SEG, [_seg(0, text_vec=_unit(1)[0])])
    store.refresh()
    with pytest.raises(EncoderMismatch):
        store.ensure_indices({"text": {"id": "another-encoder", "dims": 16}})
    with pytest.raises(EncoderMismatch):
        store.search(SEG, [VectorRetriever("v", "text_vec", _unit(1)[0], encoder="another-encoder")])
    with pytest.raises(EncoderMismatch):
        store.search(SEG, [VectorRetriever("v", "text_vec", _unit(1, dims=8)[0])])
    assert store.encoders()["text"] == {"id": "behaviour-test-encoder", "dims": 16}


def test_scan_returns_every_document_once_across_pages(store):
    store.upsert(SEG, [_seg(i, ocr_text=f"page {i}") for i in range(25)])
    store.refresh()
    scanned = [i for i, _ in store.scan(SEG, batch_size=4)]
    assert len(scanned) == 25 and set(scanned) == {f"v1.s{i:04d}" for i in range(25)}
    assert all("ocr_text" in body for _, body in store.scan(SEG, batch_size=10))
    assert store.count(SEG) == 25
