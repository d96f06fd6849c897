"""A search whose query encoder is missing runs on the other retrievers, says which and why, and keeps their
weights in proportion; with nothing left it is a 503, never an empty answer."""

from __future__ import annotations

import pytest

from serve.problems import ServiceUnavailable
from serve.searcher import _drop_retrievers
from vidsearch.search import QueryPlan, SearchRequest


def _plan() -> QueryPlan:
    return QueryPlan(request=SearchRequest(query="palace"), query="palace",
                     retrievers=["bm25_ko", "bm25_en", "text_vec"],
                     weights={"bm25_ko": 0.2, "bm25_en": 0.2, "text_vec": 0.6}, fusion="linear",
                     normalization="minmax", rrf_k=60, missing="min", unavailable={})


def test_a_missing_encoder_leaves_the_bm25_lists_in_proportion_and_a_notice():
    plan = _plan()
    _drop_retrievers(plan, {"text_vec": "failed (RuntimeError)"})
    assert plan.retrievers == ["bm25_ko", "bm25_en"]
    assert plan.weights == pytest.approx({"bm25_ko": 0.5, "bm25_en": 0.5})
    assert plan.notices == ["text_vec left out: its query encoder failed (RuntimeError); the other retrievers "
                            "answered"]


def test_a_search_with_no_retriever_left_is_a_503():
    plan = _plan()
    plan.retrievers, plan.weights = ["text_vec"], {"text_vec": 1.0}
    with pytest.raises(ServiceUnavailable, match="text_vec"):
        _drop_retrievers(plan, {"text_vec": "is unavailable (ActorDiedError)"})
