"""Relevance reports: a folder with ``report.md`` (tables a person can read in a pull request), PNG figures it
links, and ``results.json`` with every number. One builder per command: eval, sweep, compare."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ranking.evaluation.metrics import Evaluation
from ranking.evaluation.significance import PairedComparison, compare
from ranking.report import plots
from ranking.report.tables import markdown_table, p_value
from ranking.tuning.sweep import SweepResult


def _write(out: Path, lines: Sequence[str], results: Mapping[str, Any]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=_plain) + "\n",
                                      encoding="utf-8")
    path = out / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _warnings(notes: Sequence[str]) -> list[str]:
    return ["", "### Warnings", "", *[f"- {n}" for n in notes]] if notes else []


def metrics_section(evaluations: Sequence[Evaluation]) -> tuple[list[str], dict[str, dict[str, float]]]:
    means = {e.run: e.means for e in evaluations}
    metrics = list(evaluations[0].per_query) if evaluations else []
    rows = [[name, *[means[name][m] for m in metrics]] for name in means]
    queries = len(evaluations[0].query_ids) if evaluations else 0
    table = markdown_table(["run", *metrics], rows, bold_max=range(1, len(metrics) + 1))
    return [f"{queries} judged queries; best value per metric in bold.", "", table], means


def comparison_rows(comparisons: Sequence[PairedComparison]) -> str:
    rows = [[c.candidate, c.baseline, c.metric, c.baseline_mean, c.candidate_mean, f"{c.delta:+.4f}",
             p_value(c.t_test_p), p_value(c.randomisation_p), f"{c.wins} / {c.ties} / {c.losses}",
             "yes" if c.significant() else "no"] for c in comparisons]
    return markdown_table(["run", "vs", "metric", "baseline", "run value", "Δ", "p (t-test)", "p (randomisation)",
                           "better / same / worse", "p < 0.05 (both)"], rows)


def eval_report(evaluations: Sequence[Evaluation], out: Path, title: str, context: Sequence[str] = (),
                notes: Sequence[str] = ()) -> Path:
    section, means = metrics_section(evaluations)
    lines = [f"# {title}", "", *context, "", "## Metrics", "", *section]
    if means:
        plots.metric_bars(means, out / "metrics.png", f"{title}: mean over judged queries")
        lines += ["", "![metrics by run](metrics.png)"]
    lines += _warnings(notes)
    return _write(out, lines, {"title": title, "means": means,
                               "per_query": {e.run: {"query_ids": e.query_ids, **e.per_query} for e in evaluations}})


def compare_report(evaluations: Sequence[Evaluation], out: Path, title: str, metrics: Sequence[str],
                   trials: int = 10_000, seed: int = 0, context: Sequence[str] = (),
                   notes: Sequence[str] = ()) -> tuple[Path, list[PairedComparison]]:
    comparisons = compare(evaluations, metrics, trials=trials, seed=seed)
    section, means = metrics_section(evaluations)
    lines = [f"# {title}", "", *context, "", "## Metrics", "", *section, "",
             f"## Against {evaluations[0].run}", "",
             f"Paired over the same queries; two-sided paired t-test and randomisation test ({trials:,} "
             f"sign flips, seed {seed}).", "", comparison_rows(comparisons)]
    first = metrics[0]
    for c in comparisons:
        if c.metric != first:
            continue
        name = f"per_query_{_slug(c.candidate)}.png"
        plots.per_query_deltas(c.per_query_delta, out / name, first, c.candidate, c.baseline, c.randomisation_p)
        lines += ["", f"![{c.candidate} vs {c.baseline}]({name})"]
    lines += _warnings(notes)
    results = {"title": title, "means": means, "comparisons": [
        {k: v for k, v in vars(c).items() if k not in ("per_query_delta", "query_ids")} for c in comparisons]}
    return _write(out, lines, results), comparisons


def sweep_report(result: SweepResult, validation: Mapping[str, Evaluation], out: Path, title: str,
                 tuned_name: str, context: Sequence[str] = (), notes: Sequence[str] = (),
                 profile_path: Path | None = None, trials: int = 10_000, seed: int = 0) -> Path:
    """``validation``: every run (each retriever alone, RRF, the tuned fusion named ``tuned_name``) evaluated on
    the validation queries with the report's metrics."""
    metric = result.metric
    best = result.best
    weights = ", ".join(f"{k} {v:.2f}" for k, v in best.weights.items())
    singles = [name for name in result.lists if name in validation]
    tried = list(dict.fromkeys(p.setting.label() for p in result.points))
    lines = [f"# {title}", "", *context, "",
             f"Tuned **{metric}** on {len(result.train_queries)} training queries ({result.search} over "
             f"{', '.join(tried)}); everything after the first table is on the {len(result.validation_queries)} "
             "validation queries the tuning never saw.", "",
             f"**Chosen:** {best.setting.label()} with weights {weights}" +
             (f" → saved as `{_shown(profile_path)}`" if profile_path else ""), "", "## Training and validation",
             ""]
    rows = [[name, train, val] for name, (train, val) in result.baselines.items()]
    rows.append([tuned_name, best.train, best.validation])
    lines += [markdown_table(["run", f"{metric} training", f"{metric} validation"], rows, bold_max=(1, 2))]
    if validation:
        section, _ = metrics_section(list(validation.values()))
        lines += ["", "## Validation queries, all metrics", "", *section]
    comparisons: list[PairedComparison] = []
    if tuned_name in validation and singles:
        best_single = max(singles, key=lambda n: validation[n].means.get(metric, 0.0))
        others = [validation[best_single], validation[tuned_name]]
        if "rrf k=60" in validation:
            others.append(validation["rrf k=60"])
        comparisons = compare(others, [metric], trials=trials, seed=seed)
        lines += ["", f"## Against the best single retriever ({best_single})", "", comparison_rows(comparisons)]
    lines += ["", "## Figures", ""]
    lines += _weight_figure(result, out)
    for c in comparisons:
        name = f"per_query_{_slug(c.candidate)}.png"
        plots.per_query_deltas(c.per_query_delta, out / name, metric, c.candidate, c.baseline, c.randomisation_p,
                               subtitle=f"validation queries ({c.queries})")
        lines += ["", f"![{c.candidate} vs {c.baseline}]({name})"]
    top = sorted(result.points, key=lambda p: -p.train)[:10]
    lines += ["", "## Top settings on training queries", "", markdown_table(
        ["setting", *result.lists, f"{metric} training", f"{metric} validation"],
        [[p.setting.label(), *[p.weights[n] for n in result.lists], p.train, p.validation] for p in top])]
    lines += _warnings(notes)
    results = {
        "title": title, "metric": metric, "search": result.search, "lists": result.lists,
        "train_queries": len(result.train_queries), "validation_queries": len(result.validation_queries),
        "best": {"setting": vars(best.setting), "weights": best.weights, "train": best.train,
                 "validation": best.validation},
        "baselines": {k: {"train": v[0], "validation": v[1]} for k, v in result.baselines.items()},
        "validation": {name: e.means for name, e in validation.items()},
        "comparisons": [{k: v for k, v in vars(c).items() if k not in ("per_query_delta", "query_ids")}
                        for c in comparisons],
        "points": [{"setting": p.setting.label(), "weights": p.weights, "train": p.train,
                    "validation": p.validation} for p in result.points],
    }
    return _write(out, lines, results)


def _weight_figure(result: SweepResult, out: Path) -> list[str]:
    metric = result.metric
    best = result.best
    same = [p for p in result.points if p.setting == best.setting]
    weights = np.array([[p.weights[n] for n in result.lists] for p in same])
    train = np.array([p.train for p in same])
    val = np.array([p.validation for p in same]) if same and same[0].validation is not None else None
    shown = val if val is not None else train
    label = "validation" if val is not None else "training"
    if len(result.lists) == 2:
        baselines = {"rrf k=60": result.baselines["rrf k=60"][1]} if val is not None else {}
        plots.weight_curve(weights[:, 0], train, val, out / "weights.png", metric, result.lists[0],
                           result.lists[1], best.weights[result.lists[0]], baselines,
                           title=f"{metric} vs weight ({best.setting.label()})")
    elif len(result.lists) == 3:
        plots.weight_triangle(weights, shown, out / "weights.png", f"{metric} ({label})", result.lists,
                              np.array([best.weights[n] for n in result.lists]))
    elif len(result.lists) > 3:
        plots.weight_marginals(weights, shown, out / "weights.png", f"{metric} ({label})", result.lists)
    else:
        return []
    return ["![metric vs weight](weights.png)"]


def _shown(path: Path) -> str:
    """A path as a reader would type it: relative to the working directory where it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "run"


def fused_losses(fused: Sequence[Evaluation], singles: Sequence[Evaluation], metric: str, trials: int = 10_000,
                 alpha: float = 0.05) -> list[str]:
    """A warning per fused run that is significantly worse on ``metric`` than the best single list it fuses
    (both tests below ``alpha``): its weights do not suit this collection, or its encoder."""
    from ranking.evaluation.significance import compare_pair

    if not singles:
        return []
    best = max(singles, key=lambda e: e.means.get(metric, 0.0))
    warnings = []
    for candidate in fused:
        comparison = compare_pair(best, candidate, metric, trials)
        if comparison.delta < 0 and comparison.significant(alpha):
            warnings.append(f"{candidate.run} loses to its best single list {best.run} on {metric}: "
                            f"{comparison.delta:+.4f} (t-test p={comparison.t_test_p:.3g}, randomisation "
                            f"p={comparison.randomisation_p:.3g}) — tune a profile for this collection and encoder")
    return warnings
