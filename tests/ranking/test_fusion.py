"""Fusion: the vectorised methods agree with the plain-Python reference on random lists, and every kind of bad
input a backend or a user can send is handled the documented way."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.errors import InvalidWeights, UnknownFusionOption
from ranking.fusion import RankedList, fuse, fuse_rrf, fuse_weighted
from ranking.fusion.reference import reference_rrf, reference_weighted
from vidsearch.store.base import Candidate


def random_lists(rng: np.random.Generator, count: int, pool: int = 60, tie_every: int = 0) -> list[RankedList]:
    names = ["bm25_ko", "bm25_en", "text_vec", "clip_vec", "face", "credits_ko"][:count]
    out = []
    for name in names:
        size = int(rng.integers(0, 40))
        ids = [f"seg{i}" for i in rng.choice(pool, size, replace=False)]
        scale = {"bm25_ko": 20, "bm25_en": 12}.get(name, 1)
        scores = np.sort(rng.random(size) * scale)[::-1]
        if tie_every and size:
            scores = np.round(scores * tie_every) / tie_every  # coarse scores: many ties
        out.append(RankedList(name, ids, scores))
    return out


def as_pairs(lists: list[RankedList]) -> dict[str, list[tuple[str, float]]]:
    return {lst.name: list(zip(lst.ids, lst.scores.tolist(), strict=True)) for lst in lists}


@pytest.mark.parametrize("normalization", ["minmax", "zscore", "max"])
@pytest.mark.parametrize("missing", ["zero", "min", "skip"])
def test_weighted_matches_reference(normalization: str, missing: str) -> None:
    rng = np.random.default_rng(7)
    for trial in range(40):
        lists = random_lists(rng, int(rng.integers(1, 7)), tie_every=4 if trial % 3 == 0 else 0)
        weights = None if trial % 4 == 0 else {lst.name: float(rng.random()) + 0.01 for lst in lists}
        if weights and trial % 5 == 1 and len(lists) > 1:
            weights[lists[0].name] = 0.0  # left out entirely
        fused = fuse_weighted(lists, weights=weights, normalization=normalization, missing=missing)
        expected = reference_weighted(as_pairs(lists), weights, normalization, missing)
        assert fused.ids == [doc for doc, _ in expected]
        np.testing.assert_allclose(fused.scores, [s for _, s in expected], rtol=1e-12, atol=1e-12)


def test_rrf_matches_reference_with_weights_and_k() -> None:
    rng = np.random.default_rng(11)
    for trial in range(60):
        lists = random_lists(rng, int(rng.integers(1, 7)))
        weights = None if trial % 3 == 0 else {lst.name: float(rng.random()) + 0.01 for lst in lists}
        if weights and trial % 5 == 1 and len(lists) > 1:
            weights[lists[-1].name] = 0.0
        k = int(rng.choice([1, 10, 60]))
        fused = fuse_rrf(lists, weights=weights, k=k)
        expected = reference_rrf(as_pairs(lists), weights, k)
        assert fused.ids == [doc for doc, _ in expected]
        np.testing.assert_allclose(fused.scores, [s for _, s in expected], rtol=1e-12, atol=1e-15)


def test_explain_gives_raw_normalised_and_contributions_for_every_hit() -> None:
    lists = {
        "bm25_ko": [Candidate("a", 12.0), Candidate("b", 6.0), Candidate("c", 3.0)],
        "text_vec": [Candidate("b", 0.9), Candidate("d", 0.5)],
    }
    fused = fuse(lists, weights={"bm25_ko": 0.4, "text_vec": 0.6})
    assert fused.ids == ["b", "a", "d", "c"]  # c and d tie at 0: the larger id first (trec_eval's order)
    b = fused.explain(0)
    assert b["bm25_ko"] == {"raw": 6.0, "normalised": pytest.approx(1 / 3), "contribution": pytest.approx(0.4 / 3),
                            "rank": 2}
    assert b["text_vec"] == {"raw": 0.9, "normalised": 1.0, "contribution": pytest.approx(0.6), "rank": 1}
    d = fused.explain(2)
    assert d["bm25_ko"] == {"raw": None, "normalised": None, "contribution": 0.0, "rank": None}
    every = fused.explanations()
    assert [e["id"] for e in every] == fused.ids
    for row, hit in enumerate(every):  # contributions add up to the fused score, for every hit
        assert sum(v["contribution"] for v in hit["lists"].values()) == pytest.approx(fused.scores[row])


def test_missing_policies_change_what_an_absent_list_costs() -> None:
    # "solo" is found only by bm25 (its best hit); "both" is found by both lists but is mediocre in each.
    lists = {
        "bm25": [Candidate("solo", 10.0), Candidate("both", 6.0), Candidate("x", 2.0)],
        "vec": [Candidate("y", 0.9), Candidate("both", 0.6), Candidate("z", 0.1)],
    }
    weights = {"bm25": 0.5, "vec": 0.5}
    skip = fuse(lists, weights=weights, missing="skip")
    zero = fuse(lists, weights=weights, missing="zero")
    # judged by one list alone, "solo" and "y" both score 1 (the tie goes to the larger id)
    assert skip.ids[:2] == ["y", "solo"] and skip.scores[1] == pytest.approx(1.0)
    assert zero.ids.index("both") < zero.ids.index("solo")  # agreement wins when absence costs
    # With z-scores, "zero" gives an absent list its mean; "min" its worst score: "solo" drops.
    z_zero = fuse(lists, weights=weights, normalization="zscore", missing="zero")
    z_min = fuse(lists, weights=weights, normalization="zscore", missing="min")
    solo_zero = z_zero.scores[z_zero.ids.index("solo")]
    solo_min = z_min.scores[z_min.ids.index("solo")]
    assert solo_min < solo_zero
    assert z_min.explain(z_min.ids.index("solo"))["vec"]["contribution"] < 0


def test_nan_scores_are_excluded_and_reported() -> None:
    lists = {"bm25": [Candidate("a", 3.0), Candidate("b", float("nan")), Candidate("c", 1.0)],
             "vec": [Candidate("b", 0.8), Candidate("d", float("inf"))]}
    fused = fuse(lists)
    assert fused.excluded == {"bm25": ["b"], "vec": ["d"]}
    assert "d" not in fused.ids
    assert set(fused.ids) == {"a", "b", "c"}  # b still comes from vec, where its score is finite
    assert fused.explain(fused.ids.index("b"))["bm25"]["raw"] is None
    assert any("non-finite" in n and "bm25" in n for n in fused.notices)
    assert np.isfinite(fused.scores).all()


def test_weights_that_do_not_sum_to_one_are_normalised_with_a_notice() -> None:
    lists = {"a": [Candidate("x", 1.0), Candidate("y", 0.5)], "b": [Candidate("y", 2.0), Candidate("x", 1.0)]}
    fused = fuse(lists, weights={"a": 3, "b": 1})
    assert fused.weights == {"a": 0.75, "b": 0.25}
    assert any("summed to 4" in n for n in fused.notices)
    same = fuse(lists, weights={"a": 0.75, "b": 0.25})
    assert same.ids == fused.ids and not same.notices
    np.testing.assert_allclose(same.scores, fused.scores)


@pytest.mark.parametrize("weights, message", [
    ({"a": -0.5, "b": 1.5}, "negative"),
    ({"a": 0.0, "b": 0.0}, "all zero"),
    ({"a": float("nan"), "b": 1.0}, "not finite"),
    ({"a": "heavy"}, "not a number"),
])
def test_unusable_weights_are_rejected_naming_the_list(weights: dict, message: str) -> None:
    lists = {"a": [Candidate("x", 1.0)], "b": [Candidate("y", 1.0)]}
    for method in ("weighted", "rrf"):
        with pytest.raises(InvalidWeights, match=message):
            fuse(lists, method=method, weights=weights)


def test_lists_without_a_weight_are_left_out_and_say_so() -> None:
    lists = {"bm25": [Candidate("a", 2.0)], "clip_vec": [Candidate("b", 0.9)], "face": [Candidate("c", 0.7)]}
    for method in ("weighted", "rrf"):
        fused = fuse(lists, method=method, weights={"bm25": 1.0, "face": 0.0})
        assert fused.ids == ["a"] and fused.lists == ["bm25"]  # as if the searcher never ran them
        assert any("clip_vec" in n and "left out" in n for n in fused.notices)
    nothing = fuse({"clip_vec": [Candidate("b", 0.9)]}, weights={"bm25": 1.0})
    assert nothing.ids == [] and any("weight 0" in n for n in nothing.notices)


def test_empty_and_degenerate_lists() -> None:
    assert fuse({}).ids == []
    assert fuse({"a": [], "b": []}, method="rrf").ids == []
    one = fuse({"a": [Candidate("x", 5.0), Candidate("y", 5.0)], "b": []})
    assert one.ids == ["y", "x"] and one.lists == ["a"]  # equal scores: both 1 after min-max, larger id first
    only_nan = fuse({"a": [Candidate("x", float("nan"))]})
    assert only_nan.ids == [] and only_nan.excluded == {"a": ["x"]}


def test_repeated_and_unsorted_candidates_are_cleaned() -> None:
    lists = {"a": [Candidate("x", 1.0), Candidate("y", 3.0), Candidate("x", 0.5)]}
    fused = fuse(lists, method="rrf")
    assert fused.ids == ["y", "x"]
    assert any("re-sorted" in n for n in fused.notices) and any("repeated" in n for n in fused.notices)


def test_unknown_options_are_named() -> None:
    lists = {"a": [Candidate("x", 1.0)]}
    with pytest.raises(UnknownFusionOption, match="borda"):
        fuse(lists, method="borda")
    with pytest.raises(UnknownFusionOption, match="softmax"):
        fuse(lists, normalization="softmax")
    with pytest.raises(UnknownFusionOption, match="ignore"):
        fuse(lists, missing="ignore")


def test_top_keeps_explanations_aligned() -> None:
    rng = np.random.default_rng(3)
    lists = random_lists(rng, 4)
    fused = fuse_weighted(lists)
    top = fused.top(5)
    assert top.ids == fused.ids[:5]
    for i in range(len(top)):
        assert top.explain(i) == fused.explain(i)


def test_accepts_id_score_tuples_and_ranked_lists() -> None:
    a = fuse({"a": (["x", "y"], [2.0, 1.0]), "b": RankedList("ignored", ["y"], np.array([1.0]))},
             weights={"a": 0.4, "b": 0.6})
    assert a.lists == ["a", "b"] and a.ids == ["y", "x"]


@pytest.mark.parametrize("distinct", [3, 40, 10_000])
def test_total_order_is_score_then_descending_id(distinct: int) -> None:
    from ranking.fusion.lists import total_order

    rng = np.random.default_rng(distinct)
    for _ in range(20):
        scores = rng.integers(0, distinct, 500).astype(np.float64) / 7
        ids = [f"d{i:04d}" for i in rng.permutation(500)]
        expected = sorted(range(500), key=lambda i: ids[i], reverse=True)
        expected.sort(key=lambda i: -scores[i])
        np.testing.assert_array_equal(total_order(ids, scores), expected)


@pytest.mark.parametrize("method, normalization, missing", [
    ("weighted", "minmax", "zero"), ("weighted", "zscore", "min"), ("weighted", "max", "skip"), ("rrf", None, None)])
def test_explain_agrees_with_the_matrices_and_adds_up(method: str, normalization: str, missing: str) -> None:
    rng = np.random.default_rng(5)
    lists = random_lists(rng, 5)
    options = {"method": method, "weights": {lst.name: float(rng.random()) + 0.05 for lst in lists}}
    if method == "weighted":
        options.update(normalization=normalization, missing=missing)
    fused = fuse({lst.name: lst for lst in lists}, **options)
    for i in range(len(fused)):
        explained = fused.explain(i)
        assert sum(v["contribution"] for v in explained.values()) == pytest.approx(fused.scores[i], abs=1e-12)
        for j, name in enumerate(fused.lists):
            assert explained[name]["contribution"] == pytest.approx(fused.contributions[i, j], abs=1e-12)
            raw = fused.raw[i, j]
            assert explained[name]["raw"] == (None if np.isnan(raw) else pytest.approx(raw))
            assert (explained[name]["rank"] or 0) == fused.ranks[i, j]
