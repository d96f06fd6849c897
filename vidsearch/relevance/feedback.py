"""Tuning a fusion profile with dense pseudo-relevance feedback (``ranking/feedback.py``) on judged queries.

The feedback run depends on the first pass, and the first pass on the weights being tuned, so tuning takes two
rounds: weights tuned without feedback give the first pass of a feedback run; the weights are tuned again with
that run in place of the vector list's own; the result is measured as the searcher would run it — first and
second pass both with the re-tuned weights (``feedback_run``), not with the run it was tuned on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ranking.errors import InvalidRankingInput
from ranking.evaluation.judgments import Judgments
from ranking.evaluation.runs import Run
from ranking.feedback import FeedbackSettings
from ranking.profiles import FusionProfile
from ranking.tuning import FusionSetting, sweep
from ranking.tuning.sweep import SweepPoint, SweepResult


@dataclass
class FeedbackTuning:
    without: SweepResult  # the first round: no feedback
    result: SweepResult  # the second round: over the feedback run
    profile: FusionProfile  # the tuned weights with the feedback settings: what to save
    runs: dict[str, Run]  # the searcher's own lists under ``profile`` (first and second pass re-tuned)


def point_profile(name: str, point: SweepPoint, feedback: FeedbackSettings | None = None) -> FusionProfile:
    s = point.setting
    return FusionProfile(name=name, method=s.method, weights=point.weights, normalization=s.normalization,
                         missing=s.missing, rrf_k=s.rrf_k, feedback=feedback)


def tune_with_feedback(runs: Mapping[str, Run], judgments: Judgments, train: Sequence[str],
                       validation: Sequence[str], feedback: FeedbackSettings,
                       rerun: Callable[[FusionProfile], Run], metric: str = "ndcg@10",
                       settings: Sequence[FusionSetting] = (FusionSetting(),), **search: object) -> FeedbackTuning:
    """``rerun(profile)``: the feedback run after a first pass fused with ``profile`` (``feedback_run`` over the
    index). ``search``: ``step`` / ``samples`` / ``seed`` as for ``sweep``."""
    if feedback.retriever not in runs:
        raise InvalidRankingInput(f"feedback searches {feedback.retriever!r} again, but the runs are "
                                  f"{', '.join(sorted(runs))}: add it to --retrievers")
    without = sweep(runs, judgments, train, validation, metric, settings, **search)
    first = rerun(point_profile("first-pass", without.best, feedback))
    result = sweep({**runs, feedback.retriever: first}, judgments, train, validation, metric, settings, **search)
    profile = point_profile("feedback", result.best, feedback)
    return FeedbackTuning(without, result, profile, {**runs, feedback.retriever: rerun(profile)})
