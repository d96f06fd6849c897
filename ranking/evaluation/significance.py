"""Comparing runs query by query: paired t-test and paired randomisation (sign-flip) test, with wins, ties and
losses. Both tests are two-sided and pair the runs on the queries both were evaluated on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ranking.evaluation.metrics import Evaluation

TIE_TOLERANCE = 1e-9


def paired_t_test(baseline: np.ndarray, candidate: np.ndarray) -> float:
    """Two-sided p-value of Student's paired t-test. Fewer than two queries or identical runs give 1.0 and a
    constant non-zero difference 0.0 (where scipy would give NaN)."""
    diff = np.asarray(candidate, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    if diff.size < 2:
        return 1.0
    if np.allclose(diff, diff[0], atol=TIE_TOLERANCE, rtol=0):
        return 1.0 if abs(diff[0]) <= TIE_TOLERANCE else 0.0
    return float(stats.ttest_rel(candidate, baseline).pvalue)


def randomisation_test(baseline: np.ndarray, candidate: np.ndarray, trials: int = 10_000, seed: int = 0) -> float:
    """Two-sided p-value of the paired randomisation test (Fisher; Smucker et al. 2007): how often randomly
    swapping each query's two scores gives a mean difference at least as large as the one observed. Seeded;
    the +1 in numerator and denominator keeps p > 0 and counts the observed assignment."""
    diff = np.asarray(candidate, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    if diff.size == 0:
        return 1.0
    observed = abs(diff.mean())
    rng = np.random.default_rng(seed)
    at_least, done, chunk = 0, 0, max(1, min(trials, 4_000_000 // max(diff.size, 1)))
    while done < trials:
        n = min(chunk, trials - done)
        signs = rng.integers(0, 2, size=(n, diff.size), dtype=np.int8) * 2 - 1
        means = np.abs(signs @ diff) / diff.size
        at_least += int(np.count_nonzero(means >= observed - 1e-12))
        done += n
    return (at_least + 1) / (trials + 1)


@dataclass
class PairedComparison:
    baseline: str
    candidate: str
    metric: str
    queries: int
    baseline_mean: float
    candidate_mean: float
    t_test_p: float
    randomisation_p: float
    wins: int
    ties: int
    losses: int
    per_query_delta: np.ndarray  # candidate - baseline, aligned with query_ids
    query_ids: list[str]

    @property
    def delta(self) -> float:
        return self.candidate_mean - self.baseline_mean

    def significant(self, alpha: float = 0.05) -> bool:
        return max(self.t_test_p, self.randomisation_p) < alpha


def compare_pair(baseline: Evaluation, candidate: Evaluation, metric: str, trials: int = 10_000, seed: int = 0
                 ) -> PairedComparison:
    common = [q for q in baseline.query_ids if q in set(candidate.query_ids)]
    a = baseline.subset(common).per_query[metric]
    b = candidate.subset(common).per_query[metric]
    diff = b - a
    return PairedComparison(
        baseline.run, candidate.run, metric, len(common), float(a.mean()) if a.size else 0.0,
        float(b.mean()) if b.size else 0.0, paired_t_test(a, b), randomisation_test(a, b, trials, seed),
        int((diff > TIE_TOLERANCE).sum()), int((np.abs(diff) <= TIE_TOLERANCE).sum()),
        int((diff < -TIE_TOLERANCE).sum()), diff, common,
    )


def compare(evaluations: Sequence[Evaluation], metrics: Sequence[str] | None = None, baseline: int = 0,
            trials: int = 10_000, seed: int = 0) -> list[PairedComparison]:
    """Every run against ``evaluations[baseline]`` on every metric."""
    if len(evaluations) < 2:
        return []
    base = evaluations[baseline]
    names = list(metrics) if metrics is not None else list(base.per_query)
    return [compare_pair(base, other, m, trials, seed)
            for i, other in enumerate(evaluations) if i != baseline for m in names]
