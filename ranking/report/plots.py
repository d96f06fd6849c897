"""Pictures for relevance reports (matplotlib, Agg: no display needed). Each function draws one figure into a PNG
and returns its path. Colours: green wins, red losses; the chosen setting is a star."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

WIN, LOSS, TIE = "#2a9d55", "#d1495b", "#b8b8b8"
TRAIN, VALIDATION = "#8fb3d9", "#1d4e89"
BASELINE_COLOURS = ["#e07a1f", "#7b4ea3", "#3a8f8f", "#1d4e89", "#b0306a", "#5d5d5d"]
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "no bold NanumGothic": harmless
plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
                     "axes.titleweight": "bold", "figure.dpi": 110,
                     "font.family": ["DejaVu Sans", "NanumGothic", "sans-serif"]})


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def per_query_deltas(deltas: np.ndarray, path: Path, metric: str, candidate: str, baseline: str,
                     p_value: float | None = None, subtitle: str | None = None) -> Path:
    """Per-query difference (candidate − baseline), sorted: how many queries got better, how many worse, and by
    how much. Ties are drawn as a flat grey run in the middle."""
    deltas = np.sort(np.asarray(deltas, dtype=np.float64))[::-1]
    wins, losses = int((deltas > 1e-9).sum()), int((deltas < -1e-9).sum())
    ties = deltas.size - wins - losses
    drawn = deltas[np.abs(deltas) > 1e-9] if ties > deltas.size / 2 else deltas  # mostly unchanged: show changes
    colours = np.where(drawn > 1e-9, WIN, np.where(drawn < -1e-9, LOSS, TIE))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(drawn.size)
    ax.bar(x, drawn, width=1.0, color=colours, linewidth=0)
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xlim(-0.5, max(drawn.size, 1) - 0.5)
    limit = max(float(np.abs(deltas).max()) if deltas.size else 0.0, 0.05) * 1.1
    ax.set_ylim(-limit, limit)
    ax.set_xticks([])
    ax.set_xlabel(f"{drawn.size} queries, sorted by change" +
                  (f" ({ties} unchanged queries not drawn)" if drawn.size < deltas.size else ""))
    ax.set_ylabel(f"Δ {metric}")
    mean = float(deltas.mean()) if deltas.size else 0.0
    p_text = f", p = {p_value:.3g}" if p_value is not None else ""
    heading = f"{candidate} vs {baseline}: per-query {metric}" + (f", {subtitle}" if subtitle else "")
    ax.set_title(f"{heading}\nmean Δ {mean:+.4f}{p_text}", loc="left", fontsize=10, pad=24)
    ax.text(0.0, 1.02, f"▲ better on {wins}", color=WIN, transform=ax.transAxes, fontweight="bold")
    ax.text(0.5, 1.02, f"same on {ties}", color="#555555", transform=ax.transAxes, ha="center")
    ax.text(1.0, 1.02, f"▼ worse on {losses}", color=LOSS, transform=ax.transAxes, ha="right", fontweight="bold")
    return _save(fig, path)


def zoomed_limits(values: Sequence[float], room: float = 0.35, least: float = 0.005) -> tuple[float, float]:
    """Axis limits around ``values`` (not from 0): .963 against .982 must look different. Padding is ``room`` of
    the spread on each side (at least ``least``), clipped to [0, 1] where the values are."""
    lo, hi = (min(values), max(values)) if len(values) else (0.0, 1.0)
    pad = max((hi - lo) * room, least)
    bottom, top = lo - pad, hi + pad * 1.6  # room above for the printed values
    if lo >= 0:
        bottom = max(bottom, 0.0)
    return bottom, top


def metric_bars(means: Mapping[str, Mapping[str, float]], path: Path, title: str) -> Path:
    """One panel per metric, one bar per run, values printed on the bars; each panel's axis is zoomed to its
    values (and says so), since runs worth comparing differ in the second or third decimal."""
    runs = list(means)
    metrics = list(next(iter(means.values()))) if means else []
    panels = max(len(metrics), 1)
    fig, axes = plt.subplots(1, panels, figsize=(max(6.0, 0.55 * len(runs) * panels + 1.5 * panels), 3.8),
                             squeeze=False)
    colours = [BASELINE_COLOURS[i % len(BASELINE_COLOURS)] for i in range(len(runs))]
    for ax, metric in zip(axes[0], metrics, strict=False):
        values = [means[run][metric] for run in runs]
        bottom, top = zoomed_limits(values)
        bars = ax.bar(np.arange(len(runs)), [v - bottom for v in values], bottom=bottom, width=0.8, color=colours)
        for bar, value in zip(bars, values, strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.3f}", ha="center", va="bottom",
                    fontsize=7, rotation=90 if len(runs) > 4 else 0)
        ax.set_ylim(bottom, top)
        ax.set_xticks([])
        ax.set_title(metric + ("" if bottom == 0 else f"  (axis from {bottom:.3f})"), fontsize=9)
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    fig.legend(handles, runs, frameon=False, ncols=min(len(runs), 4), loc="upper left", bbox_to_anchor=(0, 0.02))
    return _save(fig, path)


def weight_curve(x: np.ndarray, train: np.ndarray, validation: np.ndarray | None, path: Path, metric: str,
                 first: str, second: str, chosen: float, baselines: Mapping[str, float] | None = None,
                 title: str | None = None) -> Path:
    """Two lists: the metric as the weight moves from ``second`` alone (0) to ``first`` alone (1)."""
    order = np.argsort(x)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(x[order], train[order], color=TRAIN, linewidth=1.6, marker="o", markersize=3, label="training queries")
    if validation is not None:
        ax.plot(x[order], validation[order], color=VALIDATION, linewidth=2.2, marker="o", markersize=3.5,
                label="validation queries")
        at = int(np.argmin(np.abs(x - chosen)))
        ax.plot([chosen], [validation[at]], marker="*", markersize=16, color="#f2b705", markeredgecolor="#333",
                zorder=5, label=f"chosen on training: {first} {chosen:.2f}")
    for i, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, linestyle="--", linewidth=1.1, color=BASELINE_COLOURS[i % len(BASELINE_COLOURS)],
                   label=f"{name} (validation) {value:.3f}")
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(f"weight on {first}   (0 = {second} alone, 1 = {first} alone)")
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} as the weight shifts from {second} to {first}", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.25)
    return _save(fig, path)


def weight_triangle(weights: np.ndarray, scores: np.ndarray, path: Path, metric: str, names: Sequence[str],
                    chosen: np.ndarray, title: str | None = None) -> Path:
    """Three lists: every weight vector as a point in the triangle, coloured by the metric."""
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    xy = weights @ corners
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    if len(xy) >= 6:
        filled = ax.tricontourf(xy[:, 0], xy[:, 1], scores, levels=16, cmap="viridis")
    else:
        filled = ax.scatter(xy[:, 0], xy[:, 1], c=scores, cmap="viridis", s=80)
    ax.scatter(xy[:, 0], xy[:, 1], s=4, color="white", alpha=0.5, linewidths=0)
    ax.plot(*np.vstack([corners, corners[:1]]).T, color="#333333", linewidth=1)
    star = np.asarray(chosen) @ corners
    ax.plot(*star, marker="*", markersize=20, color="#f2b705", markeredgecolor="#333")
    best = int(np.argmax(scores))
    ax.annotate(f"best here {scores[best]:.3f}", xy[best], xytext=(12, -14),
                textcoords="offset points", fontsize=8, arrowprops={"arrowstyle": "-", "color": "#333"})
    for corner, name, offset in zip(corners, names, [(-0.02, -0.07), (0.02, -0.07), (0, 0.035)], strict=True):
        ax.text(corner[0] + offset[0], corner[1] + offset[1], f"{name} alone", ha="center", fontweight="bold")
    ax.set_xlim(-0.15, 1.15)
    ax.set_ylim(-0.12, np.sqrt(3) / 2 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.colorbar(filled, ax=ax, shrink=0.7, label=metric)
    ax.set_title(title or f"{metric} over every weight mix (★ chosen on training queries)", loc="left",
                 fontsize=10, pad=14)
    return _save(fig, path)


def weight_marginals(weights: np.ndarray, scores: np.ndarray, path: Path, metric: str, names: Sequence[str],
                     title: str | None = None) -> Path:
    """Four or more lists: for each list, the best score reachable with that list at each weight."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for j, name in enumerate(names):
        values = np.round(weights[:, j], 6)
        levels = np.unique(values)
        best = [scores[values == v].max() for v in levels]
        ax.plot(levels, best, marker="o", markersize=3, linewidth=1.6, label=name,
                color=BASELINE_COLOURS[j % len(BASELINE_COLOURS)])
    ax.set_xlabel("weight on the list (others free)")
    ax.set_ylabel(f"best {metric}")
    ax.set_title(title or f"best {metric} reachable at each list's weight", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.25)
    return _save(fig, path)
