"""Significance tests: the t-test against its textbook formula, the randomisation test against exact
enumeration of every sign assignment, and the run comparison's wins/ties/losses."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from ranking.evaluation.metrics import Evaluation
from ranking.evaluation.significance import compare, paired_t_test, randomisation_test


def test_paired_t_test_matches_the_formula() -> None:
    rng = np.random.default_rng(0)
    a = rng.random(30)
    b = a + rng.normal(0.05, 0.1, 30)
    d = b - a
    t = d.mean() / (d.std(ddof=1) / math.sqrt(d.size))
    expected = 2 * stats.t.sf(abs(t), df=d.size - 1)
    assert paired_t_test(a, b) == pytest.approx(expected, rel=1e-9)


def test_t_test_edge_cases() -> None:
    a = np.array([0.2, 0.4, 0.6])
    assert paired_t_test(a, a) == 1.0
    assert paired_t_test(a, a + 0.1) == 0.0  # a constant improvement on every query
    assert paired_t_test(a[:1], a[:1] + 0.3) == 1.0  # one query is no evidence


def test_randomisation_matches_exact_enumeration() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(12)
    b = a + rng.normal(0.08, 0.15, 12)
    d = b - a
    observed = abs(d.mean())
    flips = np.array(list(itertools.product([-1, 1], repeat=d.size)))
    exact = float(np.mean(np.abs(flips @ d) / d.size >= observed - 1e-12))
    estimate = randomisation_test(a, b, trials=40_000, seed=3)
    assert estimate == pytest.approx(exact, abs=0.01)
    assert randomisation_test(a, b, trials=2000, seed=5) == randomisation_test(a, b, trials=2000, seed=5)


def test_compare_counts_wins_losses_and_flags_a_real_improvement() -> None:
    queries = [f"q{i}" for i in range(60)]
    rng = np.random.default_rng(2)
    base = rng.random(60) * 0.6
    better = np.clip(base + 0.2, 0, 1)
    better[:5] = base[:5]  # five ties
    better[5:8] = base[5:8] - 0.1  # three losses
    evaluations = [Evaluation("bm25", queries, {"ndcg@10": base}), Evaluation("hybrid", queries,
                                                                            {"ndcg@10": better})]
    [result] = compare(evaluations, ["ndcg@10"], trials=5000)
    assert (result.wins, result.ties, result.losses) == (52, 5, 3)
    assert result.delta == pytest.approx(better.mean() - base.mean())
    assert result.significant(0.01)
    [same] = compare([evaluations[0], Evaluation("again", queries, {"ndcg@10": base.copy()})], trials=500)
    assert same.t_test_p == 1.0 and same.randomisation_p == 1.0 and not same.significant()


def test_compare_pairs_only_common_queries() -> None:
    a = Evaluation("a", ["q1", "q2", "q3"], {"mrr": np.array([1.0, 0.5, 0.0])})
    b = Evaluation("b", ["q3", "q2"], {"mrr": np.array([1.0, 0.5])})
    [result] = compare([a, b], trials=100)
    assert result.queries == 2 and result.query_ids == ["q2", "q3"]
    assert (result.wins, result.ties, result.losses) == (1, 1, 0)
