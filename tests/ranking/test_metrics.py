"""Metrics: hand-checked cases, and agreement with ranx (the reference library) on random runs with graded
judgments, unretrieved relevant documents, unanswered queries and short runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ranking.errors import UnknownMetric
from ranking.evaluation.judgments import Judgments
from ranking.evaluation.metrics import evaluate, parse_metric
from ranking.evaluation.runs import Run
from ranking.fusion import RankedList


def run_of(name: str, rankings: dict[str, list[str]]) -> Run:
    return Run(name, {q: RankedList(name, ids, np.linspace(1, 0, len(ids))) for q, ids in rankings.items()})


def test_hand_computed_values() -> None:
    judgments = Judgments({"q1": {"d1": 2, "d2": 1, "d9": 1}, "q2": {"d5": 1}})
    run = run_of("r", {"q1": ["d3", "d1", "d2", "d4"], "q2": ["d6", "d7"]})
    result = evaluate(judgments, run, ["ndcg@3", "recall@3", "p@2", "mrr", "map"])
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 2 + 1 / math.log2(3) + 1 / math.log2(4)
    q1 = {name: values[0] for name, values in result.per_query.items()}
    assert q1["ndcg@3"] == pytest.approx(dcg / idcg)
    assert q1["recall@3"] == pytest.approx(2 / 3)  # d9 was never retrieved
    assert q1["p@2"] == pytest.approx(1 / 2)
    assert q1["mrr"] == pytest.approx(1 / 2)
    assert q1["map"] == pytest.approx((1 / 2 + 2 / 3) / 3)
    assert all(values[1] == 0 for values in result.per_query.values())  # q2 found nothing relevant


def test_queries_without_relevant_documents_are_left_out_and_unanswered_ones_score_zero() -> None:
    judgments = Judgments({"q1": {"d1": 1}, "q2": {"d2": 0}, "q3": {"d3": 1}})
    run = run_of("r", {"q1": ["d1"]})
    result = evaluate(judgments, run, ["ndcg@10"])
    assert result.query_ids == ["q1", "q3"]
    assert result.per_query["ndcg@10"].tolist() == [1.0, 0.0]
    assert any("no results for 1 of 2" in w for w in result.warnings)


def test_empty_run_scores_zero_everywhere() -> None:
    judgments = Judgments({"q1": {"d1": 1}, "q2": {"d2": 1}})
    result = evaluate(judgments, Run("empty", {}), ["ndcg@10", "recall@100", "mrr", "map", "p@5"])
    assert all(v.tolist() == [0.0, 0.0] for v in result.per_query.values())


@pytest.mark.parametrize("text, name", [("NDCG@10", "ndcg@10"), ("precision@5", "p@5"), ("R@100", "recall@100"),
                                        ("mrr", "mrr"), ("AP@100", "map@100")])
def test_metric_names(text: str, name: str) -> None:
    assert parse_metric(text).name == name


@pytest.mark.parametrize("text", ["ndcg", "f1@10", "recall@0", "p"])
def test_unknown_metrics_are_named(text: str) -> None:
    with pytest.raises(UnknownMetric, match=text.split("@")[0]):
        parse_metric(text)


def random_case(seed: int) -> tuple[Judgments, Run]:
    rng = np.random.default_rng(seed)
    docs = [f"d{i}" for i in range(80)]
    qrels, rankings = {}, {}
    for q in range(40):
        judged = rng.choice(80, int(rng.integers(1, 12)), replace=False)
        grades = rng.integers(1, 4, judged.size)
        grades[rng.random(judged.size) < 0.2] = 0  # some judged non-relevant
        grades[0] = max(grades[0], 1)
        qrels[f"q{q}"] = {docs[i]: int(g) for i, g in zip(judged, grades, strict=True)}
        if q % 9 == 8:
            continue  # unanswered query
        size = int(rng.integers(1, 60))
        rankings[f"q{q}"] = [docs[i] for i in rng.choice(80, size, replace=False)]
    rankings["q_unjudged"] = ["d1", "d2"]
    run = Run("r", {q: RankedList("r", ids, np.arange(len(ids), 0, -1, dtype=np.float64))
                    for q, ids in rankings.items()})
    return Judgments(qrels), run


@pytest.mark.slow  # ranx compiles its numba kernels on first use (about a minute on a cold CI cache)
def test_agrees_with_ranx() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ranx import Qrels
        from ranx import Run as RanxRun
        from ranx import evaluate as ranx_evaluate

    metrics = {"ndcg@10": "ndcg@10", "ndcg@5": "ndcg@5", "recall@20": "recall@20", "recall@100": "recall@100",
               "p@10": "precision@10", "mrr": "mrr", "mrr@5": "mrr@5", "map": "map", "map@10": "map@10"}
    for seed in range(3):
        judgments, run = random_case(seed)
        ours = evaluate(judgments, run, list(metrics))
        qrels = Qrels({q: d for q, d in judgments.qrels.items() if q in ours.query_ids})
        ranx_run = RanxRun({q: {d: float(s) for d, s in zip(r.ids, r.scores, strict=True)}
                            for q, r in run.rankings.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ranx_evaluate(qrels, ranx_run, list(metrics.values()), return_mean=False,
                                   make_comparable=True)
        order = list(qrels.keys())
        for ours_name, ranx_name in metrics.items():
            mine = dict(zip(ours.query_ids, ours.per_query[ours_name], strict=True))
            np.testing.assert_allclose([mine[q] for q in order], theirs[ranx_name], atol=1e-9,
                                       err_msg=f"{ours_name} (seed {seed})")
