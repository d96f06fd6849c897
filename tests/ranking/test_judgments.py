"""Judgments and runs on disk: the formats people have (TREC, BEIR, JSONL), round trips, and bad files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ranking.errors import EvaluationInputError
from ranking.evaluation.judgments import (
    load_judgments,
    load_queries,
    save_jsonl_judgments,
    save_trec_qrels,
)
from ranking.evaluation.metrics import evaluate
from ranking.evaluation.runs import Run, load_trec_run, save_trec_run
from ranking.fusion import RankedList


def test_trec_beir_and_jsonl_judgments_read_alike(tmp_path: Path) -> None:
    trec = tmp_path / "q.trec"
    trec.write_text("q1 0 d1 2\nq1 0 d2 0\nq2 0 d3 1\n")
    beir = tmp_path / "q.tsv"
    beir.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\nq2\td3\t1\n")
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text('{"query_id": "q1", "doc_id": "d1", "relevance": 2, "query": "first"}\n'
                     '{"query_id": "q1", "doc_id": "d2", "relevance": 0}\n'
                     '{"qid": "q2", "docid": "d3"}\n')
    loaded = [load_judgments(p) for p in (trec, beir, jsonl)]
    assert all(j.qrels == {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}} for j in loaded)
    assert loaded[2].queries == {"q1": "first"}
    back = load_judgments(save_jsonl_judgments(loaded[2], tmp_path / "back.jsonl"))
    assert back.qrels == loaded[2].qrels and back.queries == loaded[2].queries
    assert load_judgments(save_trec_qrels(loaded[0], tmp_path / "back.trec")).qrels == loaded[0].qrels


def test_repeated_and_conflicting_judgments_are_counted_not_fatal(tmp_path: Path, caplog) -> None:
    path = tmp_path / "q.trec"
    path.write_text("q1 0 d1 1\nq1 0 d1 1\nq1 0 d2 1\nq1 0 d2 3\nq2 0 d9 0\n")
    with caplog.at_level(logging.WARNING):
        judgments = load_judgments(path)
    assert judgments.qrels["q1"] == {"d1": 1, "d2": 3}  # highest grade kept
    assert (judgments.report.repeated, judgments.report.conflicting) == (1, 1)
    assert judgments.report.queries_without_relevant == 1
    assert "conflicting" in caplog.text and "repeated" in caplog.text


def test_judged_documents_missing_from_the_index_are_warned_and_counted(tmp_path: Path, caplog) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"query_id": "q1", "doc_id": "seg-1", "relevance": 1}\n'
                    '{"query_id": "q1", "doc_id": "seg-gone", "relevance": 1}\n')
    judgments = load_judgments(path)
    with caplog.at_level(logging.WARNING):
        report = judgments.check_documents({"seg-1", "seg-2"})
    assert report.unknown_documents == 1 and report.unknown_examples == [("q1", "seg-gone")]
    assert "seg-gone" in caplog.text
    run = Run("r", {"q1": RankedList("r", ["seg-1", "seg-2"], [2.0, 1.0])})
    assert evaluate(judgments, run, ["recall@10"]).per_query["recall@10"][0] == 0.5  # still counts against


@pytest.mark.parametrize("content, fmt, message", [
    ("q1 0 d1 1 extra\n", "q.trec", "5 column"),
    ("q1 d1\n", "q.trec", "2 column"),
    ("q1 0 d1 high\n", "q.trec", "not a number"),
    ("q1 0 d1 1.5\n", "q.trec", "whole number"),
    ('{"query_id": "q1"}\n', "q.jsonl", "needs query_id and doc_id"),
    ("{broken\n", "q.jsonl", "not a JSON object"),
    ("\n\n", "q.trec", "no judgments"),
])
def test_unreadable_judgments_name_the_file_and_line(tmp_path: Path, content: str, fmt: str,
                                                     message: str) -> None:
    path = tmp_path / fmt
    path.write_text(content)
    with pytest.raises(EvaluationInputError, match=message) as caught:
        load_judgments(path)
    assert str(path) in str(caught.value)


def test_run_files_round_trip_and_sort_by_score(tmp_path: Path) -> None:
    path = tmp_path / "r.run"
    path.write_text("q1 Q0 d2 2 0.5 bm25\nq1 Q0 d1 1 0.9 bm25\nq1 Q0 d3 3 0.5 bm25\nq2 Q0 d4 1 3 bm25\n")
    run = load_trec_run(path)
    assert run.name == "bm25"
    assert run.rankings["q1"].ids == ["d1", "d3", "d2"]  # by score; ties by id descending, as trec_eval
    again = load_trec_run(save_trec_run(run, tmp_path / "again.run"))
    assert {q: r.ids for q, r in again.rankings.items()} == {q: r.ids for q, r in run.rankings.items()}


def test_empty_runs_nan_scores_and_repeats_are_reported_not_fatal(tmp_path: Path) -> None:
    empty = tmp_path / "empty.run"
    empty.write_text("")
    run = load_trec_run(empty)
    assert len(run) == 0 and any("empty" in w for w in run.warnings)
    messy = tmp_path / "messy.run"
    messy.write_text("q1 Q0 d1 1 nan r\nq1 Q0 d2 2 0.5 r\nq1 Q0 d2 3 0.4 r\nq1 Q0 d3 4 inf r\n")
    run = load_trec_run(messy)
    assert run.rankings["q1"].ids == ["d2"]
    assert any("2 line(s) with NaN" in w for w in run.warnings)
    assert any("repeated" in w for w in run.warnings)
    bad = tmp_path / "bad.run"
    bad.write_text("q1 Q0 d1 first 0.5 r\n")
    with pytest.raises(EvaluationInputError, match="bad.run:1"):
        load_trec_run(bad)


def test_queries_from_beir_jsonl_and_tsv(tmp_path: Path) -> None:
    jsonl = tmp_path / "queries.jsonl"
    jsonl.write_text('{"_id": "1", "text": "노아의 방주", "metadata": {}}\n{"_id": "2", "text": " sea  "}\n')
    assert load_queries(jsonl) == {"1": "노아의 방주", "2": "sea"}
    tsv = tmp_path / "queries.tsv"
    tsv.write_text("1\tfirst query\n2\t\n")
    with pytest.raises(EvaluationInputError, match="queries.tsv:2"):
        load_queries(tsv)


def test_real_beir_qrels_load_without_complaint(shared: Path) -> None:
    judgments = load_judgments(shared / "eval/dev/ir/scifact/qrels_train.tsv")
    assert len(judgments) == 809 and judgments.report.repeated == 0 and judgments.report.conflicting == 0
    assert len(judgments.query_ids()) == 809
