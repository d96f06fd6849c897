"""Ranking metrics, vectorised over queries (and, for tuning, over weight settings): nDCG@k, recall@k, P@k, MRR,
MAP. Definitions follow trec_eval and ranx (verified against ranx in tests): a document is relevant when its
grade is >= 1; nDCG uses linear gains (the grade) and log2(rank + 1) discounts, with the ideal ranking over every
judged document; P@k divides by k; recall and AP divide by the query's number of relevant documents. Queries
without a relevant document are left out; judged queries a run did not answer score 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ranking.errors import UnknownMetric
from ranking.evaluation.judgments import Judgments
from ranking.evaluation.runs import Run

_METRIC = re.compile(r"^(ndcg|recall|r|p|precision|mrr|rr|map|ap)(?:@(\d+))?$")
_ALIASES = {"r": "recall", "precision": "p", "rr": "mrr", "ap": "map"}
DEFAULT_METRICS = ("ndcg@10", "recall@100", "mrr@10", "map@100", "p@10")


@dataclass(frozen=True)
class Metric:
    kind: str  # ndcg, recall, p, mrr, map
    k: int | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}@{self.k}" if self.k is not None else self.kind

    def __str__(self) -> str:
        return self.name


def parse_metric(text: str | Metric) -> Metric:
    if isinstance(text, Metric):
        return text
    found = _METRIC.match(text.strip().lower())
    if not found:
        raise UnknownMetric(f"unknown metric {text!r}; use ndcg@k, recall@k, p@k, mrr, mrr@k, map or map@k")
    kind = _ALIASES.get(found.group(1), found.group(1))
    k = int(found.group(2)) if found.group(2) else None
    if k is not None and k < 1:
        raise UnknownMetric(f"metric {text!r}: k must be at least 1")
    if kind in ("ndcg", "recall", "p") and k is None:
        raise UnknownMetric(f"metric {text!r} needs a cut-off, e.g. {kind}@10")
    return Metric(kind, k)


def parse_metrics(texts: Iterable[str | Metric]) -> list[Metric]:
    return [parse_metric(t) for t in texts]


def metric_values(metric: Metric, gains: np.ndarray, ideal: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Per-row metric from ``gains`` (rows × depth: the grade of the document at each rank, 0 past the end),
    ``ideal`` (rows × the same depth: grades sorted best first) and ``relevant`` (rows: number of relevant documents)."""
    k = gains.shape[1] if metric.k is None else min(metric.k, gains.shape[1])
    top = gains[:, :k]
    hits = top >= 1
    safe_relevant = np.maximum(relevant, 1)
    if metric.kind == "ndcg":
        discounts = 1.0 / np.log2(np.arange(2, k + 2))
        dcg = np.clip(top, 0, None) @ discounts
        idcg = np.clip(ideal[:, :k], 0, None) @ discounts
        return np.divide(dcg, idcg, out=np.zeros(len(dcg)), where=idcg > 0)
    if metric.kind == "recall":
        return hits.sum(axis=1) / safe_relevant
    if metric.kind == "p":
        return hits.sum(axis=1) / float(metric.k)
    if metric.kind == "mrr":
        first = hits.argmax(axis=1)
        return np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)
    if metric.kind == "map":
        precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
        return (precision_at * hits).sum(axis=1) / safe_relevant
    raise UnknownMetric(metric.name)  # pragma: no cover - parse_metric admits only the kinds above


def depth_needed(metrics: Sequence[Metric], run_depth: int) -> int:
    """Ranks to look at: the largest cut-off, or the whole run for MRR/MAP without one."""
    depths = [m.k if m.k is not None else run_depth for m in metrics]
    return max(max(depths, default=1), 1)


def ideal_gains(grades: Iterable[int], depth: int) -> np.ndarray:
    ordered = sorted((g for g in grades if g > 0), reverse=True)[:depth]
    out = np.zeros(depth)
    out[: len(ordered)] = ordered
    return out


@dataclass
class GainTable:
    """Judged grades down each query's ranking: the input every metric is computed from."""

    query_ids: list[str]
    gains: np.ndarray  # queries × depth
    ideal: np.ndarray  # queries × depth
    relevant: np.ndarray  # queries


def gain_table(judgments: Judgments, run: Run, depth: int, query_ids: Sequence[str] | None = None) -> GainTable:
    queries = list(query_ids) if query_ids is not None else judgments.query_ids()
    gains = np.zeros((len(queries), depth))
    ideal = np.zeros((len(queries), depth))
    relevant = np.zeros(len(queries))
    for row, query in enumerate(queries):
        judged = judgments.qrels.get(query, {})
        ranking = run.rankings.get(query)
        if ranking is not None and judged:
            grade = judged.get
            gains[row, : min(depth, len(ranking.ids))] = [grade(d, 0) for d in ranking.ids[:depth]]
        ideal[row] = ideal_gains(judged.values(), depth)
        relevant[row] = sum(1 for g in judged.values() if g >= 1)
    return GainTable(queries, gains, ideal, relevant)


@dataclass
class Evaluation:
    run: str
    query_ids: list[str]
    per_query: dict[str, np.ndarray]  # metric name → score per query (aligned with query_ids)
    warnings: list[str] = field(default_factory=list)

    @property
    def means(self) -> dict[str, float]:
        return {m: float(v.mean()) if v.size else 0.0 for m, v in self.per_query.items()}

    def subset(self, query_ids: Sequence[str]) -> Evaluation:
        index = {q: i for i, q in enumerate(self.query_ids)}
        rows = np.array([index[q] for q in query_ids if q in index], dtype=np.int64)
        return Evaluation(self.run, [self.query_ids[i] for i in rows],
                          {m: v[rows] for m, v in self.per_query.items()}, list(self.warnings))


def evaluate(judgments: Judgments, run: Run, metrics: Sequence[str | Metric] = DEFAULT_METRICS,
             query_ids: Sequence[str] | None = None) -> Evaluation:
    """Per-query scores of ``run`` for every metric over the judged queries (or ``query_ids``)."""
    parsed = parse_metrics(metrics)
    queries = [q for q in (query_ids if query_ids is not None else judgments.query_ids())
               if any(g >= 1 for g in judgments.qrels.get(q, {}).values())]
    table = gain_table(judgments, run, depth_needed(parsed, run.depth()), queries)
    warnings = list(run.warnings)
    unanswered = sum(1 for q in queries if not len(run.get(q)))
    if unanswered:
        warnings.append(f"run {run.name} has no results for {unanswered} of {len(queries)} judged queries "
                        "(they score 0)")
    per_query = {m.name: metric_values(m, table.gains, table.ideal, table.relevant) for m in parsed}
    return Evaluation(run.name, queries, per_query, warnings)
