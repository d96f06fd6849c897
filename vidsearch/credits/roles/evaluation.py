"""Ranking metrics for role mapping (top-1, top-5, MRR), reported for Korean and English titles separately."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from vidsearch.credits.roles.mapper import RoleMapper
from vidsearch.credits.roles.text import language_of


class RankingMetrics(BaseModel):
    count: int
    top1: float
    top5: float
    mrr: float

    def line(self) -> str:
        return f"top-1 {self.top1:.3f}  top-5 {self.top5:.3f}  MRR {self.mrr:.3f}  (n={self.count})"


def ranking_metrics(ranks: np.ndarray) -> RankingMetrics:
    """``ranks``: 1-based rank of the right concept for each query."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if not len(ranks):
        return RankingMetrics(count=0, top1=0.0, top5=0.0, mrr=0.0)
    return RankingMetrics(count=len(ranks), top1=float((ranks == 1).mean()), top5=float((ranks <= 5).mean()),
                          mrr=float((1.0 / ranks).mean()))


def gold_ranks(mapper: RoleMapper, texts: Sequence[str], gold_codes: Sequence[str]) -> np.ndarray:
    """Rank of each text's gold concept among all concepts (ties counted against the gold)."""
    if not texts:
        return np.zeros(0)
    scores, _ = mapper.rank(texts)
    position_of = {int(c): p for p, c in enumerate(mapper.index.concept_ids)}
    gold = np.asarray([position_of[mapper.taxonomy.concept_index(code)] for code in gold_codes])
    gold_scores = scores[np.arange(len(texts)), gold]
    return (scores >= gold_scores[:, None]).sum(axis=1)


def metrics_by_language(mapper: RoleMapper, texts: Sequence[str],
                        gold_codes: Sequence[str]) -> dict[str, RankingMetrics]:
    ranks = gold_ranks(mapper, texts, gold_codes)
    langs = np.asarray([language_of(t) for t in texts])
    return {
        "ko": ranking_metrics(ranks[langs == "ko"]),
        "en": ranking_metrics(ranks[langs == "en"]),
        "all": ranking_metrics(ranks),
    }


def unknown_rate(mapper: RoleMapper, texts: Sequence[str]) -> float:
    """Share of ``texts`` the mapper calls unknown at its threshold."""
    if not texts:
        return 0.0
    _, best = mapper.rank(texts)
    return float((best < mapper.threshold).mean())
