"""Rankings never depend on the order lists (or tied candidates) arrive in, and a written run gives trec_eval's
own metrics (pytrec_eval wraps trec_eval) even where scores tie, as RRF scores often do."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import pytrec_eval
from ranx import Qrels, Run as RanxRun, evaluate as ranx_evaluate

from ranking.evaluation import evaluate
from ranking.evaluation.judgments import Judgments
from ranking.evaluation.runs import Run, fuse_runs, load_trec_run, save_trec_run
from ranking.fusion import fuse
from ranking.fusion.lists import RankedList


def _tied_lists(rng: np.random.Generator, names: list[str], docs: int = 60) -> dict[str, tuple[list, list]]:
    """Lists with few distinct scores (many ties), each a random subset of one document pool."""
    out = {}
    for name in names:
        ids = [f"doc{int(i):03d}" for i in rng.choice(docs, size=int(rng.integers(5, docs)), replace=False)]
        scores = np.sort(rng.integers(0, 4, len(ids)).astype(np.float64))[::-1]
        out[name] = (ids, scores.tolist())
    return out


def _shuffled_ties(ids: list[str], scores: list[float], rng: np.random.Generator) -> tuple[list, list]:
    """The same list with tied candidates in another order (as another backend might return them)."""
    keys = rng.random(len(ids))
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], keys[i]))
    return [ids[i] for i in order], [scores[i] for i in order]


@pytest.mark.parametrize("method, normalization", [("rrf", "minmax"), ("weighted", "minmax"),
                                                   ("weighted", "zscore")])
def test_same_ranking_whatever_order_lists_and_ties_arrive_in(method: str, normalization: str) -> None:
    rng = np.random.default_rng(19)
    names = ["bm25_en", "bm25_ko", "text_vec"]
    weights = None if method == "rrf" else {"bm25_en": 0.3, "bm25_ko": 0.3, "text_vec": 0.4}
    ties = 0
    for _ in range(15):
        lists = _tied_lists(rng, names)
        expected = fuse(lists, method=method, weights=weights, normalization=normalization)
        for permutation in itertools.permutations(names):
            arrived = {n: _shuffled_ties(*lists[n], rng) for n in permutation}
            got = fuse(arrived, method=method, weights=weights, normalization=normalization)
            assert got.ids == expected.ids
            np.testing.assert_array_equal(got.scores, expected.scores)  # bit for bit: one summation order
        tied = np.flatnonzero(expected.scores[1:] == expected.scores[:-1])
        ties += tied.size
        for i in tied:  # the tie rule itself: the larger id first
            assert expected.ids[i] > expected.ids[i + 1]
    assert ties > 20, "the generator must produce fused ties for this test to mean anything"


def _judgments(rng: np.random.Generator, queries: list[str], docs: int = 60) -> Judgments:
    qrels = {q: {f"doc{int(d):03d}": int(rng.integers(1, 3)) for d in rng.choice(docs, 6, replace=False)}
             for q in queries}
    return Judgments(qrels, {}, "generated")


def test_written_runs_give_trec_eval_metrics_even_with_ties(tmp_path) -> None:
    rng = np.random.default_rng(7)
    queries = [f"q{i}" for i in range(40)]
    per_list = {name: {q: _tied_lists(rng, [name])[name] for q in queries} for name in ("bm25", "vec")}
    runs = {name: Run(name, {q: RankedList.ordered(name, *lq) for q, lq in by_query.items()})
            for name, by_query in per_list.items()}
    judgments = _judgments(rng, queries)
    fused = fuse_runs(runs, "rrf", method="rrf", rrf_k=60)
    ties = sum(int((r.scores[1:] == r.scores[:-1]).sum()) for r in fused.rankings.values())
    assert ties > 100
    path = save_trec_run(fused, tmp_path / "rrf.run")
    reread = load_trec_run(path)
    assert all(reread.get(q).ids == fused.get(q).ids for q in queries)

    ours = evaluate(judgments, reread, ["ndcg@10", "recall@20", "map"])
    trec_run: dict[str, dict[str, float]] = {}
    for line in path.read_text().splitlines():
        q, _, doc, _, score, _ = line.split()
        trec_run.setdefault(q, {})[doc] = float(score)
    evaluator = pytrec_eval.RelevanceEvaluator(judgments.qrels, {"ndcg_cut.10", "recall.20", "map"})
    trec = evaluator.evaluate(trec_run)
    for metric, key in (("ndcg@10", "ndcg_cut_10"), ("recall@20", "recall_20"), ("map", "map")):
        theirs = np.array([trec[q][key] for q in ours.query_ids])
        np.testing.assert_allclose(ours.per_query[metric], theirs, atol=1e-12, err_msg=metric)
        assert ours.means[metric] == pytest.approx(evaluate(judgments, fused, [metric]).means[metric])

    # ranx breaks ties by its own sort, so it is the reference only where the file has no ties: give it the
    # run's order as strictly decreasing scores and it must agree too.
    strict = {q: {d: float(len(r.ids) - i) for i, d in enumerate(r.ids)} for q, r in reread.rankings.items()}
    ranx_scores = ranx_evaluate(Qrels(judgments.qrels), RanxRun(strict), ["ndcg@10", "recall@20", "map"])
    for metric in ("ndcg@10", "recall@20", "map"):
        assert ours.means[metric] == pytest.approx(ranx_scores[metric], abs=1e-9)


def test_run_files_are_read_in_trec_eval_order_not_rank_column(tmp_path) -> None:
    path = tmp_path / "tied.run"
    path.write_text("q1 Q0 a 1 0.5 t\nq1 Q0 c 2 0.5 t\nq1 Q0 b 3 0.5 t\nq1 Q0 z 4 0.25 t\n")
    assert load_trec_run(path).get("q1").ids == ["c", "b", "a", "z"]
