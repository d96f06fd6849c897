"""The batch cluster's size lives in one place (k8s/batch-scale.yaml): the RayCluster's worker groups and the
settings the ingest job sizes its actor pools with are both rendered from it, and they agree."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import yaml

from ray_jobs.placement import StageGroup, pool_sizes
from tests.k8s.manifests import K8S, Manifest, mutated, only, ray_cluster_specs, ray_groups, render
from tests.k8s.test_pods import quantity

SCALE_FILE = K8S / "batch-scale.yaml"


def _settings_from(config_map: Manifest):
    """The Settings a batch pod builds from the ConfigMap (its envFrom), with nothing else in the environment."""
    from vidsearch.config import Settings

    env = {k.removeprefix("VIDSEARCH_").lower(): v for k, v in config_map["data"].items()}
    nested: dict = {}
    for key, value in env.items():
        *parents, last = key.split("__")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = yaml.safe_load(value) if value[:1] in "[{" else value
    return Settings.model_validate(nested)


def _groups(settings) -> list[StageGroup]:
    """The stage groups of the configured stage list: consecutive stages with the same device share one."""
    groups: list[StageGroup] = []
    for name in settings.ingest.stages:
        gpus = float(settings.ray.stage_gpus.get(name, 0.0))
        if groups and (groups[-1].num_gpus > 0) == (gpus > 0):
            groups[-1] = StageGroup((*groups[-1].names, name), max(groups[-1].num_gpus, gpus))
        else:
            groups.append(StageGroup((name,), gpus))
    return groups


def scale_problems(manifests: list[Manifest]) -> list[str]:
    """Where the settings' cluster shape and the RayCluster the autoscaler grows disagree."""
    config = only(manifests, "ConfigMap", "vidsearch-settings")
    groups = dict(ray_groups(ray_cluster_specs(manifests)["vidsearch-batch"]))
    problems = []
    if "VIDSEARCH_RAY__WORKERS" in config["data"]:
        problems.append("VIDSEARCH_RAY__WORKERS fixes the pool size apart from the cluster's size")
    settings = _settings_from(config)
    shape = settings.ray.cluster
    if shape is None:
        return [*problems, "no VIDSEARCH_RAY__CLUSTER__* settings: pools would not follow the cluster"]
    for group, nodes, per_node, resource in (("cpu", shape.cpu_nodes, shape.cpus_per_node, "cpu"),
                                             ("gpu", shape.gpu_nodes, shape.gpus_per_node, "nvidia.com/gpu")):
        spec = groups[group]
        if not spec["minReplicas"] <= spec.get("replicas", spec["minReplicas"]) <= spec["maxReplicas"]:
            problems.append(f"group {group}: replicas outside minReplicas..maxReplicas")
        if nodes != spec["maxReplicas"]:
            problems.append(f"group {group}: settings say {nodes} nodes, maxReplicas is {spec['maxReplicas']}")
        limit = spec["template"]["spec"]["containers"][0]["resources"]["limits"].get(resource, "0")
        if Decimal(str(per_node)) != quantity(limit):
            problems.append(f"group {group}: settings say {per_node:g} {resource} per node, the pod has {limit}")
    # what the product will ask for fits the largest cluster, and fills it
    stage_groups = _groups(settings)
    sizes = pool_sizes(stage_groups, settings)
    cpus = sum(n for g, n in zip(stage_groups, sizes, strict=True) if g.num_gpus <= 0) * settings.ray.cpus_per_worker
    cpu_capacity = groups["cpu"]["maxReplicas"] * quantity(groups["cpu"]["template"]["spec"]["containers"][0]
                                                           ["resources"]["limits"]["cpu"])
    if not cpu_capacity / 2 < Decimal(str(cpus)) <= cpu_capacity:
        problems.append(f"CPU stage actors ask for {cpus:g} CPUs; the cpu group grows to {cpu_capacity}")
    for group, size in zip(stage_groups, sizes, strict=True):
        if group.num_gpus > 0 and size * group.num_gpus > max(shape.gpu_nodes * shape.gpus_per_node, group.num_gpus):
            problems.append(f"{group.label}: {size} actors x {group.num_gpus:g} GPU exceed the gpu group")
    return problems


def test_the_pools_and_the_autoscaler_agree(stack):
    assert scale_problems(stack) == []
    settings = _settings_from(only(stack, "ConfigMap", "vidsearch-settings"))
    assert pool_sizes(_groups(settings), settings) == [140, 4]  # 20 pods x (8 - 0.5 write) CPUs; 4 GPU pods


def test_a_mismatch_fails(stack):
    cluster = only(stack, "RayCluster", "vidsearch-batch")
    config = only(stack, "ConfigMap", "vidsearch-settings")
    others = [m for m in stack if m is not cluster and m is not config]
    hand_edited = mutated(cluster, "spec.workerGroupSpecs.0.maxReplicas", 30)  # kubectl patch behind kustomize
    assert scale_problems([*others, hand_edited, config]) == [
        "group cpu: settings say 20 nodes, maxReplicas is 30"]
    bigger_pods = mutated(cluster, "spec.workerGroupSpecs.1.template.spec.containers.0.resources.limits",
                          {"cpu": "8", "memory": "48Gi", "nvidia.com/gpu": "2"})
    assert scale_problems([*others, bigger_pods, config]) == [
        "group gpu: settings say 1 nvidia.com/gpu per node, the pod has 2"]
    fixed = mutated(config, "data.VIDSEARCH_RAY__WORKERS", "64")
    assert scale_problems([*others, cluster, fixed]) == [
        "VIDSEARCH_RAY__WORKERS fixes the pool size apart from the cluster's size"]
    unsized = mutated(config, "data", {k: v for k, v in config["data"].items() if "__CLUSTER__" not in k})
    assert scale_problems([*others, cluster, unsized]) == [
        "no VIDSEARCH_RAY__CLUSTER__* settings: pools would not follow the cluster"]


def test_the_size_is_set_in_one_place(tmp_path: Path):
    """Edit only batch-scale.yaml in a copy of k8s/: the RayCluster and the settings both follow."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    scale = yaml.safe_load(SCALE_FILE.read_text(encoding="utf-8"))
    scale["data"].update({"cpu-workers-min": "1", "cpu-workers-max": "7", "gpu-workers-max": "2"})
    (copy / SCALE_FILE.name).write_text(yaml.safe_dump(scale), encoding="utf-8")
    rendered = render(copy)
    groups = dict(ray_groups(ray_cluster_specs(rendered)["vidsearch-batch"]))
    assert (groups["cpu"]["minReplicas"], groups["cpu"]["maxReplicas"]) == (1, 7)
    assert (groups["gpu"]["minReplicas"], groups["gpu"]["maxReplicas"]) == (0, 2)
    assert scale_problems(rendered) == []
    assert not any(m["metadata"]["name"] == "vidsearch-batch-scale" for m in rendered)  # local to kustomize
    # and no other file carries a worker count
    for path in K8S.rglob("*.yaml"):
        if path != SCALE_FILE and "vidsearch-batch" in path.read_text(encoding="utf-8"):
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                for _, spec in ray_groups(doc["spec"]) if doc and doc.get("kind") == "RayCluster" else []:
                    assert spec.get("maxReplicas", 0) == 0, f"{path.name} hard-codes a maxReplicas"
