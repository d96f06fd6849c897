"""Where each stage runs on a Ray cluster.

Consecutive stages with the same device needs share an actor (a "stage group"), so a video is handed over once
per device change. A group that needs GPUs asks Ray for ``num_gpus`` (and, when ``ray.gpu_labels`` is set, only
nodes with those labels), so it runs only on GPU nodes; CPU groups and probe tasks are spread over every node.
When a stage asks for GPUs and the cluster has none, the job stops with a clear error before any work starts —
or, with ``ray.gpu_fallback = "cpu"``, runs that stage on CPUs and says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import ray

from vidsearch.config import Settings
from vidsearch.errors import ConfigurationError
from vidsearch.stages.base import Stage


@dataclass(frozen=True)
class StageGroup:
    names: tuple[str, ...]
    num_gpus: float = 0.0

    @property
    def label(self) -> str:
        return "+".join(self.names)


def stage_gpus(stage: Stage, settings: Settings) -> float:
    """GPUs one actor of this stage asks for: ``ray.stage_gpus`` overrides what the stage declares."""
    return float(settings.ray.stage_gpus.get(stage.name, stage.resources().num_gpus))


def stage_groups(stages: list[Stage], settings: Settings, *, cpu_only: bool = False) -> list[StageGroup]:
    """Consecutive stages with the same device needs (CPU-only vs GPU) share an actor."""
    groups: list[tuple[list[str], float]] = []
    for stage in stages:
        gpus = 0.0 if cpu_only else stage_gpus(stage, settings)
        if groups and (groups[-1][1] > 0) == (gpus > 0):
            groups[-1][0].append(stage.name)
            groups[-1] = (groups[-1][0], max(groups[-1][1], gpus))
        else:
            groups.append(([stage.name], gpus))
    return [StageGroup(tuple(names), gpus) for names, gpus in groups]


def plan_placement(stages: list[Stage], settings: Settings) -> tuple[list[StageGroup], list[str]]:
    """Stage groups the cluster can run, and warnings. Raises ``ConfigurationError`` when a stage needs GPUs
    that no node has (unless ``ray.gpu_fallback`` is "cpu", or "autoscale" where GPU nodes start on demand)."""
    groups = stage_groups(stages, settings)
    wanted = max((g.num_gpus for g in groups), default=0.0)
    policy = settings.ray.gpu_fallback
    if wanted <= 0 or policy == "autoscale":
        return groups, []
    have = float(ray.cluster_resources().get("GPU", 0.0))
    if have >= wanted:
        return groups, []
    needy = ", ".join(f"{g.label} ({g.num_gpus:g} GPU)" for g in groups if g.num_gpus > have)
    if policy == "cpu":
        return (stage_groups(stages, settings, cpu_only=True),
                [f"no Ray node has the GPUs {needy} asks for (cluster GPUs: {have:g}); "
                 f"running them on CPUs (ray.gpu_fallback=cpu)"])
    raise ConfigurationError(
        f"stage group {needy} needs GPUs but the Ray cluster has {have:g}; add a GPU node, lower "
        f"ray.stage_gpus / the stage's GPU setting, or set VIDSEARCH_RAY__GPU_FALLBACK=cpu to run on CPUs")


def group_remote_args(group: StageGroup, settings: Settings) -> dict:
    """Ray actor options for a group: GPUs (and node labels) for GPU groups, spread over nodes otherwise."""
    if group.num_gpus > 0:
        args: dict = {"num_gpus": group.num_gpus}
        if settings.ray.gpu_labels:
            args["label_selector"] = dict(settings.ray.gpu_labels)
        return args
    return {"scheduling_strategy": "SPREAD"} if settings.ray.spread else {}


def pool_sizes(groups: list[StageGroup], settings: Settings) -> list[int]:
    """Most actors per stage group. Without ``ray.cluster``: ``ray.workers`` each. With it, what the
    cluster holds at its largest: CPU groups share the CPU nodes (each node keeps room for one write task, so
    writes never wait behind actors), a GPU group gets as many actors as its GPU ask fits on the GPU nodes."""
    shape = settings.ray.cluster
    if shape is None:
        return [settings.ray.workers] * len(groups)
    cpu_groups = sum(1 for g in groups if g.num_gpus <= 0) or 1
    per_node = math.floor((shape.cpus_per_node - settings.ray.write_cpus) / settings.ray.cpus_per_worker)
    cpu_actors = max(1, shape.cpu_nodes * max(per_node, 0) // cpu_groups)
    sizes = []
    for group in groups:
        if group.num_gpus > 0:
            sizes.append(max(1, shape.gpu_nodes * math.floor(shape.gpus_per_node / group.num_gpus)))
        else:
            sizes.append(cpu_actors)
    return sizes


def worker_label(group: StageGroup, host: str, pid: int) -> str:
    """``<stages>@<ray node id>/<host>:<pid>``: names the actor in job summaries and says where it ran."""
    node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"
    return f"{group.label}@{node}/{host}:{pid}"


def placement_report(spans: Iterable[tuple[str, float, float]]) -> dict[str, dict[str, int]]:
    """Stage group → Ray node id → videos it analysed there, from the actors' span labels."""
    report: dict[str, dict[str, int]] = {}
    for worker, _start, _end in spans:
        group, _, rest = worker.partition("@")
        node = rest.partition("/")[0] if rest else "local"
        per_node = report.setdefault(group, {})
        per_node[node] = per_node.get(node, 0) + 1
    return {g: dict(sorted(n.items())) for g, n in sorted(report.items())}
