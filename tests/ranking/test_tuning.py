"""Weight tuning: the simplex grids, the query split, the pool's metric equal to fusing and evaluating, and a
sweep that finds the mix a planted dataset rewards and reports it on queries it did not tune on."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from ranking.errors import EvaluationInputError, InvalidWeights
from ranking.evaluation.judgments import Judgments
from ranking.evaluation.metrics import evaluate
from ranking.evaluation.runs import Run, fuse_runs
from ranking.fusion import RankedList
from ranking.tuning.pool import CandidatePool, FusionSetting
from ranking.tuning.simplex import simplex_grid, simplex_random
from ranking.tuning.sweep import split_queries, sweep


@pytest.mark.parametrize("lists, step", [(2, 0.1), (3, 0.05), (6, 0.25), (1, 0.5)])
def test_grid_covers_the_simplex(lists: int, step: float) -> None:
    grid = simplex_grid(lists, step)
    parts = round(1 / step)
    assert grid.shape == (comb(parts + lists - 1, lists - 1), lists)
    np.testing.assert_allclose(grid.sum(axis=1), 1.0)
    assert (grid >= 0).all()
    assert len({tuple(np.round(row, 9)) for row in grid}) == len(grid)
    assert any(np.allclose(row, np.eye(lists)[0]) for row in grid)  # corners: each list alone


def test_grid_and_random_reject_bad_steps() -> None:
    with pytest.raises(InvalidWeights, match="divide 1"):
        simplex_grid(3, 0.3)
    with pytest.raises(InvalidWeights, match="coarser"):
        simplex_grid(8, 0.01)
    points = simplex_random(4, 50, seed=1)
    assert points.shape == (55, 4)
    np.testing.assert_allclose(points.sum(axis=1), 1.0)
    np.testing.assert_array_equal(points, simplex_random(4, 50, seed=1))


def test_split_is_deterministic_and_keeps_groups_together() -> None:
    queries = [f"q{i}" for i in range(100)]
    train, val = split_queries(queries, 0.5, seed=4)
    assert sorted(train + val) == sorted(queries) and not set(train) & set(val)
    assert abs(len(train) - 50) <= 1
    assert split_queries(list(reversed(queries)), 0.5, seed=4)[0] == list(reversed(train))
    groups = {q: f"article{i // 10}" for i, q in enumerate(queries)}
    train, val = split_queries(queries, 0.3, seed=0, groups=groups)
    assert not {groups[q] for q in train} & {groups[q] for q in val}
    assert len(val) == 30


def planted(seed: int, queries: int = 80) -> tuple[dict[str, Run], Judgments]:
    """Two retrievers that each find the relevant document on different queries, and rank it better when they
    agree: a mix should beat either alone."""
    rng = np.random.default_rng(seed)
    runs: dict[str, dict[str, RankedList]] = {"bm25": {}, "dense": {}}
    qrels = {}
    for q in range(queries):
        qid = f"q{q}"
        relevant = f"rel{q}"
        qrels[qid] = {relevant: 1}
        for name, good in (("bm25", q % 3 != 0), ("dense", q % 3 != 1)):
            ids = [f"{name}-noise{q}-{i}" for i in range(30)] + [f"shared{q}-{i}" for i in range(10)]
            rng.shuffle(ids)
            position = int(rng.integers(0, 3)) if good else int(rng.integers(12, 30))
            ids.insert(position, relevant)
            scale = 15.0 if name == "bm25" else 1.0
            scores = np.sort(rng.random(len(ids)))[::-1] * scale
            runs[name][qid] = RankedList(name, ids, scores)
    return {name: Run(name, r) for name, r in runs.items()}, Judgments(qrels)


@pytest.mark.parametrize("setting", [FusionSetting(), FusionSetting(normalization="zscore", missing="min"),
                                     FusionSetting(normalization="max", missing="skip"),
                                     FusionSetting(method="rrf", rrf_k=10)])
def test_pool_metric_equals_fusing_then_evaluating(setting: FusionSetting) -> None:
    runs, judgments = planted(0, queries=30)
    queries = judgments.query_ids()
    pool = CandidatePool(runs, judgments, queries, setting, depth=100)
    weights = np.array([[1.0, 0.0], [0.3, 0.7], [0.5, 0.5], [0.85, 0.15], [0.0, 1.0]])
    for metric in ("ndcg@10", "recall@20", "mrr", "map@100"):
        by_pool = pool.scores(weights, metric)
        for column, w in enumerate(weights):
            fused = fuse_runs(runs, method=setting.method, weights={"bm25": w[0], "dense": w[1]},
                              normalization=setting.normalization, missing=setting.missing, rrf_k=setting.rrf_k)
            direct = evaluate(judgments, fused, [metric], queries).per_query[metric]
            np.testing.assert_allclose(by_pool[:, column], direct, atol=1e-12, err_msg=f"{metric} {w}")


def test_sweep_finds_the_mix_and_reports_it_on_unseen_queries() -> None:
    runs, judgments = planted(1)
    train, val = split_queries(judgments.query_ids(), 0.5, seed=0)
    result = sweep(runs, judgments, train, val, metric="ndcg@10", step=0.05)
    best = result.best
    assert 0.1 < best.weights["bm25"] < 0.9  # neither retriever alone
    assert best.train >= max(result.baselines["bm25"][0], result.baselines["dense"][0])
    assert best.validation > max(result.baselines["bm25"][1], result.baselines["dense"][1])
    assert len(result.points) == 21
    corner = next(p for p in result.points if p.weights["bm25"] == 1.0)
    assert corner.validation == pytest.approx(result.baselines["bm25"][1])  # one list alone = that run
    profile = result.profile("news-hybrid", judgments="planted")
    assert profile.weights == best.weights and profile.tuned.validation_score == best.validation
    assert profile.tuned.baseline["rrf k=60"] == result.baselines["rrf k=60"][1]


def test_sweep_over_several_settings_and_random_search() -> None:
    runs, judgments = planted(2, queries=40)
    train, val = split_queries(judgments.query_ids(), 0.5, seed=1)
    settings = [FusionSetting(), FusionSetting(normalization="zscore", missing="min"), FusionSetting("rrf")]
    result = sweep(runs, judgments, train, val, metric="mrr", settings=settings, step=None, samples=30, seed=2)
    assert len(result.points) == 3 * 33
    assert result.best.train == max(p.train for p in result.points)
    assert result.search == "random 30 points (seed 2)"


def test_pool_with_three_lists_and_lists_left_out() -> None:
    runs, judgments = planted(3, queries=25)
    rng = np.random.default_rng(9)
    third = {}
    for q, ranking in runs["dense"].rankings.items():
        ids = list(rng.permutation(ranking.ids + runs["bm25"].rankings[q].ids[:10]))[:30]
        ids = list(dict.fromkeys(ids))
        third[q] = RankedList("clip", ids, np.round(np.sort(rng.random(len(ids)))[::-1], 1))  # many ties
    runs["clip"] = Run("clip", third)
    queries = judgments.query_ids()
    weights = np.array([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3]])
    for setting in (FusionSetting(), FusionSetting(method="rrf"), FusionSetting(normalization="zscore",
                                                                                  missing="skip")):
        pool = CandidatePool(runs, judgments, queries, setting, depth=50)
        by_pool = pool.scores(weights, "ndcg@10")
        for column, w in enumerate(weights):
            fused = fuse_runs(runs, method=setting.method, weights=dict(zip(pool.lists, w, strict=True)),
                              normalization=setting.normalization, missing=setting.missing)
            direct = evaluate(judgments, fused, ["ndcg@10"], queries).per_query["ndcg@10"]
            np.testing.assert_allclose(by_pool[:, column], direct, atol=1e-12, err_msg=f"{setting} {w}")


def test_grouped_splits_from_a_file_or_document_ids_keep_groups_together(tmp_path) -> None:
    from ranking.tuning.sweep import groups_by_document_prefix, read_groups

    qrels = {f"q{i}": {f"article{i % 7}_{i % 3}": 1} for i in range(70)}
    judgments = Judgments(qrels)
    by_prefix = groups_by_document_prefix(judgments, "_")
    assert by_prefix["q8"] == "article1"
    path = tmp_path / "groups.tsv"
    path.write_text("query-id\tgroup\n" + "".join(f"q{i}\tg{i % 5}\n" for i in range(70)))
    from_file = read_groups(path)
    for groups in (by_prefix, from_file):
        train, validation = split_queries(list(qrels), 0.5, 3, groups)
        assert train and validation
        assert not {groups[q] for q in train} & {groups[q] for q in validation}
    path.write_text("q1\tg1\textra\n")
    with pytest.raises(EvaluationInputError, match="groups.tsv:1"):
        read_groups(path)


def test_bar_axes_zoom_to_the_values() -> None:
    from ranking.report.plots import zoomed_limits

    bottom, top = zoomed_limits([0.963, 0.982])
    assert 0.9 < bottom < 0.963 and 0.982 < top < 1.02
    assert zoomed_limits([0.0, 0.4])[0] == 0.0
