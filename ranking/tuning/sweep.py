"""Weight tuning: score every candidate weight vector on the training queries, pick the best by the chosen
metric, and report it (and every other point, for the plots) on validation queries it never saw.

Baselines are computed the same way on the same split: each list alone, and RRF with k=60 and equal weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ranking.errors import EvaluationInputError, InvalidWeights
from ranking.evaluation.judgments import Judgments
from ranking.evaluation.metrics import Evaluation, Metric, depth_needed, evaluate, parse_metric
from ranking.evaluation.runs import Run, fuse_runs
from ranking.profiles import FusionProfile, TuningRecord
from ranking.tuning.pool import CandidatePool, FusionSetting
from ranking.tuning.simplex import simplex_grid, simplex_random


def split_queries(query_ids: Sequence[str], validation_fraction: float = 0.5, seed: int = 0,
                  groups: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(training, validation) query ids. With ``groups`` (query → group, e.g. the article a question is about),
    a group's queries all land on the same side, so validation never sees near-duplicates of training queries;
    groups are dealt in a seeded order until training holds its share of the *queries*. Deterministic for a
    seed, whatever order the ids come in."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation fraction must be between 0 and 1, got {validation_fraction}")
    group_of = {q: (groups or {}).get(q, q) for q in query_ids}
    sizes: dict[str, int] = {}
    for g in group_of.values():
        sizes[g] = sizes.get(g, 0) + 1
    keys = sorted(sizes)
    order = np.random.default_rng(seed).permutation(len(keys))
    target = len(query_ids) * (1 - validation_fraction)
    train_keys: set[str] = set()
    taken = 0
    for i in order:
        if taken + sizes[keys[i]] / 2 > target:
            continue
        train_keys.add(keys[i])
        taken += sizes[keys[i]]
    train = [q for q in query_ids if group_of[q] in train_keys]
    validation = [q for q in query_ids if group_of[q] not in train_keys]
    return train, validation


def groups_by_document_prefix(judgments: Judgments, separator: str) -> dict[str, str]:
    """Query → group: its first relevant document's id up to the last ``separator`` (KorQuAD's ``<article>_<n>``
    paragraphs), so ``split_queries`` keeps questions about one article on one side."""
    groups = {}
    for query, docs in judgments.qrels.items():
        relevant = [d for d, g in docs.items() if g >= 1] or list(docs)
        if relevant:
            groups[query] = relevant[0].rsplit(separator, 1)[0]
    return groups


def read_groups(path: Path) -> dict[str, str]:
    """Query → group from a two-column file (``query-id<TAB>group``; a header line is skipped)."""
    groups = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t") if "\t" in line else line.split()
        if not parts or not line.strip():
            continue
        if len(parts) != 2:
            raise EvaluationInputError(path, f"expected 'query-id<TAB>group', got {len(parts)} column(s)", number)
        if number == 1 and parts[0].lower() in ("query-id", "query_id", "qid", "query"):
            continue
        groups[parts[0]] = parts[1]
    return groups


@dataclass
class SweepPoint:
    setting: FusionSetting
    weights: dict[str, float]
    train: float
    validation: float | None


@dataclass
class SweepResult:
    metric: str
    lists: list[str]
    train_queries: list[str]
    validation_queries: list[str]
    points: list[SweepPoint]
    best: SweepPoint
    search: str
    baselines: dict[str, tuple[float, float | None]] = field(default_factory=dict)  # name → (train, validation)
    per_query: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # name → split → scores

    def profile(self, name: str, judgments: str | None = None, description: str | None = None) -> FusionProfile:
        s = self.best.setting
        return FusionProfile(
            name=name, description=description or f"tuned for {self.metric} over {', '.join(self.lists)}",
            method=s.method, weights=self.best.weights, normalization=s.normalization, missing=s.missing,
            rrf_k=s.rrf_k,
            tuned=TuningRecord(metric=self.metric, train_score=self.best.train, validation_score=self.best.validation,
                               train_queries=len(self.train_queries), validation_queries=len(self.validation_queries),
                               judgments=judgments, search=self.search,
                               baseline={k: v[1] for k, v in self.baselines.items() if v[1] is not None}),
        )


def candidate_weights(lists: int, step: float | None, samples: int | None, seed: int) -> tuple[np.ndarray, str]:
    if samples:
        return simplex_random(lists, samples, seed), f"random {samples} points (seed {seed})"
    step = step or 0.05
    return simplex_grid(lists, step), f"grid step {step:g}"


def _mean(pool: CandidatePool, weights: np.ndarray, metric: Metric) -> np.ndarray:
    if not pool.query_ids:
        return np.zeros(len(np.atleast_2d(weights)))
    return pool.scores(weights, metric).mean(axis=0)


def _pick(weights: np.ndarray, scores: np.ndarray) -> int:
    """The best-scoring row; among equal scores the one nearest equal weights (least committed)."""
    top = scores.max()
    tied = np.flatnonzero(scores >= top - 1e-12)
    centre = np.full(weights.shape[1], 1.0 / weights.shape[1])
    return int(tied[np.argmin(((weights[tied] - centre) ** 2).sum(axis=1))])


def sweep(runs: Mapping[str, Run], judgments: Judgments, train: Sequence[str], validation: Sequence[str] = (),
          metric: str = "ndcg@10", settings: Sequence[FusionSetting] = (FusionSetting(),),
          step: float | None = 0.05, samples: int | None = None, seed: int = 0) -> SweepResult:
    """Tune fusion weights over ``runs`` (one per retriever) on ``train``; report on ``validation``."""
    if len(runs) < 1:
        raise InvalidWeights("weight tuning needs at least one run")
    parsed = parse_metric(metric)
    lists = sorted(runs)  # the candidate pools' column order
    grid, search = candidate_weights(len(lists), step, samples, seed)
    depth = depth_needed([parsed], max(r.depth() for r in runs.values()) * len(runs))
    points: list[SweepPoint] = []
    best_index, best_score = -1, -np.inf
    for setting in settings:
        train_pool = CandidatePool(runs, judgments, train, setting, depth)
        val_pool = CandidatePool(runs, judgments, validation, setting, depth) if validation else None
        train_scores = _mean(train_pool, grid, parsed)
        val_scores = _mean(val_pool, grid, parsed) if val_pool is not None else [None] * len(grid)
        pick = _pick(grid, train_scores)
        for i, w in enumerate(grid):
            points.append(SweepPoint(setting, dict(zip(lists, map(float, w), strict=True)), float(train_scores[i]),
                                     None if val_scores[i] is None else float(val_scores[i])))
        if train_scores[pick] > best_score + 1e-12:
            best_index, best_score = len(points) - len(grid) + pick, float(train_scores[pick])
    result = SweepResult(parsed.name, lists, list(train), list(validation), points, points[best_index], search)
    for name, run in sorted(runs.items()):
        result.baselines[name] = _split_means(run, judgments, train, validation, parsed)
    rrf = FusionSetting(method="rrf", rrf_k=60)
    equal = np.full((1, len(lists)), 1.0 / len(lists))
    rrf_train = float(_mean(CandidatePool(runs, judgments, train, rrf, depth), equal, parsed)[0])
    rrf_val = float(_mean(CandidatePool(runs, judgments, validation, rrf, depth), equal, parsed)[0]) \
        if validation else None
    result.baselines["rrf k=60"] = (rrf_train, rrf_val)
    return result


def _split_means(run: Run, judgments: Judgments, train: Sequence[str], validation: Sequence[str], metric: Metric
                 ) -> tuple[float, float | None]:
    def mean(queries: Sequence[str]) -> float:
        return evaluate(judgments, run, [metric], queries).means[metric.name]

    return mean(train), (mean(validation) if validation else None)


def validation_evaluations(result: SweepResult, runs: Mapping[str, Run], judgments: Judgments,
                           metrics: Sequence[str], tuned_name: str = "tuned") -> dict[str, Evaluation]:
    """Each retriever alone, RRF (k=60, equal weights) and the tuned fusion on the validation queries."""
    queries = result.validation_queries
    if not queries:
        return {}
    subset = {name: run.subset(queries) for name, run in runs.items()}
    out = {name: evaluate(judgments, run, metrics, queries) for name, run in subset.items()}
    out["rrf k=60"] = evaluate(judgments, fuse_runs(subset, "rrf k=60", method="rrf", rrf_k=60), metrics, queries)
    s = result.best.setting
    tuned = fuse_runs(subset, tuned_name, method=s.method, weights=result.best.weights,
                      normalization=s.normalization, missing=s.missing, rrf_k=s.rrf_k)
    out[tuned_name] = evaluate(judgments, tuned, metrics, queries)
    return out
