"""Dense pseudo-relevance feedback (``ranking/feedback.py``, a profile's ``feedback``): the query vector moves
toward the first pass's fused top documents, the vector list is searched again and fused again — in the searcher
(the CLI and Serve path) and, identically, in the relevance tooling's runs (``feedback_run``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ranking.errors import InvalidProfile
from ranking.evaluation import fuse_runs
from ranking.feedback import FeedbackSettings, rocchio
from ranking.profiles import read_profile
from vidsearch.config import Settings
from vidsearch.documents import Segment
from vidsearch.relevance.retrieval import QueryVectorLookup, collect_runs, feedback_run
from vidsearch.schema import IndexName
from vidsearch.search import Searcher, SearchRequest
from vidsearch.store.embedded.store import EmbeddedStore

ENCODER = "test/hand-made@1"


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


QUERY = unit(1, 0, 0, 0)
# "glacier" matches only s0 (BM25 and dense agree on it). s2 shares s0's topic but not the query's direction, s4
# leans a little toward the query: without feedback s4 is above s2, with feedback from s0 s2 overtakes it.
DOCS = {
    "v.s0": ("glacier melt in greenland", unit(1, 1, 0, 0)),
    "v.s1": ("ice sheets and sea level", unit(1, 0, 1, 0)),
    "v.s2": ("meltwater lakes on ice", unit(0, 1, 0, 0)),
    "v.s3": ("a recipe for bread", unit(0, 0, 0, 1)),
    "v.s4": ("mountain weather today", unit(0.3, 0, 0, 1)),
}


def test_rocchio_moves_the_query_toward_the_feedback_centroid() -> None:
    docs = np.stack([unit(1, 1, 0, 0), unit(0, 1, 1, 0)])
    moved = rocchio(QUERY, docs, 1.0)
    centroid = docs.mean(axis=0) / np.linalg.norm(docs.mean(axis=0))
    assert np.isclose(np.linalg.norm(moved), 1.0)
    assert float(moved @ centroid) > float(QUERY @ centroid)
    expected = QUERY + docs.mean(axis=0)
    assert np.allclose(moved, expected / np.linalg.norm(expected))
    stronger = rocchio(QUERY, docs, 3.0)
    assert float(stronger @ centroid) > float(moved @ centroid)  # the weight says how far it moves
    assert np.array_equal(rocchio(QUERY, docs, 1.0), moved)  # deterministic
    assert np.array_equal(rocchio(QUERY, np.zeros((0, 4)), 1.0), QUERY)  # nothing found: unchanged
    with pytest.raises(ValueError, match="do not match"):
        rocchio(QUERY, np.ones((2, 3)), 1.0)


def test_a_bad_feedback_setting_names_the_field(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"weights": {"bm25_en": 1}, "feedback": {"depth": 0}}))
    with pytest.raises(InvalidProfile, match="feedback.depth"):
        read_profile(path)
    path.write_text(json.dumps({"weights": {"bm25_en": 1}, "feedback": {"weight": -1}}))
    with pytest.raises(InvalidProfile, match="feedback.weight"):
        read_profile(path)


@pytest.fixture()
def searcher(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    plain = {"weights": {"bm25_en": 0.5, "text_vec": 0.5}, "normalization": "minmax"}
    (profiles / "plain.json").write_text(json.dumps(plain))
    (profiles / "prf.json").write_text(json.dumps({**plain, "feedback": {"depth": 1, "weight": 1.0}}))
    settings = Settings(data_dir=tmp_path / "data", log_level="WARNING", ranking={"profiles_dir": str(profiles)})
    store = EmbeddedStore(settings.store_dir, settings.store)
    store.ensure_indices({"text": {"id": ENCODER, "dims": 4}})
    segments = []
    for n, (doc_id, (caption, vector)) in enumerate(DOCS.items()):
        segment = Segment(id=doc_id, video_id="v", index=n, start_s=n * 4.0, end_s=n * 4.0 + 4, caption=caption)
        segment.text_vec = vector.tolist()
        segments.append(segment)
    store.upsert(IndexName.SEGMENTS, [(s.id, s.to_doc()) for s in segments])
    searcher = Searcher(settings, store=store, text_encoder=QueryVectorLookup(ENCODER, ["glacier"], QUERY[None]))
    yield searcher
    store.close()


def _ranking(searcher: Searcher, profile: str) -> tuple[list[str], dict[str, float]]:
    answer = searcher.search(SearchRequest(query="glacier", profile=profile, k=10, explain=True))
    return [h.segment_id for h in answer.hits], {h.segment_id: h.explain["text_vec"]["raw"] for h in answer.hits}


def test_feedback_searches_the_vector_list_again_with_the_moved_query(searcher) -> None:
    plain, plain_dense = _ranking(searcher, "plain")
    moved, moved_dense = _ranking(searcher, "prf")
    assert plain[0] == moved[0] == "v.s0"
    assert plain.index("v.s4") < plain.index("v.s2")  # without feedback s4 leans closer to the query
    assert moved.index("v.s2") < moved.index("v.s4")  # the fused top document (s0) pulled its neighbour up
    query = rocchio(QUERY, [DOCS["v.s0"][1]], 1.0)
    for doc_id, (_, vector) in DOCS.items():  # the store scores a dot product as Elasticsearch does: (1 + d) / 2
        assert moved_dense[doc_id] == pytest.approx((1 + float(query @ vector)) / 2, abs=1e-5)
        assert plain_dense[doc_id] == pytest.approx((1 + float(QUERY @ vector)) / 2, abs=1e-5)
    assert _ranking(searcher, "prf") == (moved, moved_dense)  # deterministic


def test_the_relevance_runs_give_the_searchers_own_answer(searcher) -> None:
    """Tuning and evaluating a feedback profile offline measures exactly what the searcher returns."""
    profile = searcher.resolve_profile("prf")
    queries = {"q1": "glacier"}
    runs = collect_runs(searcher.store, queries, lambda text: searcher.retrievers_for(text, ["bm25_en", "text_vec"],
                                                                                       100))
    again = feedback_run(searcher, queries, runs, profile, 100)
    fused = fuse_runs({**runs, "text_vec": again}, "prf", method=profile.method.value, weights=profile.weights,
                      normalization=profile.normalization.value, missing=profile.missing.value)
    assert list(fused.get("q1").ids) == _ranking(searcher, "prf")[0]
    assert list(fused.get("q1").ids) != list(fuse_runs(runs, "plain", weights=profile.weights).get("q1").ids)
    with pytest.raises(ValueError, match="no feedback"):
        feedback_run(searcher, queries, runs, searcher.resolve_profile("plain"), 100)


def test_feedback_settings_defaults() -> None:
    settings = FeedbackSettings()
    assert (settings.retriever, settings.depth, settings.weight) == ("text_vec", 3, 1.0)
