"""A stage that asks for GPUs on a Ray without any: a clear error before work starts, or CPUs by setting."""

from __future__ import annotations

import pytest

from ray_jobs.placement import StageGroup, group_remote_args, plan_placement, pool_sizes, stage_groups
from tests.conftest import run_cli, two_scene_clip
from vidsearch.config import RayClusterShape
from vidsearch.errors import ConfigurationError
from vidsearch.stages import build_stages


def _settings(settings, **ray):
    return settings.model_copy(update={
        "ray": settings.ray.model_copy(update=ray),
        "ingest": settings.ingest.model_copy(update={"stages": ["shots", "metadata", "text_vectors"]})})


def test_gpu_stages_get_their_own_group_with_gpus_and_labels(settings):
    settings = _settings(settings, stage_gpus={"text_vectors": 1}, gpu_labels={"vidsearch/accelerator": "gpu"})
    groups = stage_groups(build_stages(settings), settings)
    assert [(g.names, g.num_gpus) for g in groups] == [(("shots", "metadata"), 0.0), (("text_vectors",), 1.0)]
    assert group_remote_args(groups[1], settings) == {"num_gpus": 1.0,
                                                      "label_selector": {"vidsearch/accelerator": "gpu"}}
    assert group_remote_args(groups[0], settings) == {"scheduling_strategy": "SPREAD"}


def test_actor_pools_are_sized_from_the_cluster_shape_when_it_is_given(settings):
    groups = [StageGroup(("shots", "metadata")), StageGroup(("faces",), 1.0), StageGroup(("text_vectors",))]
    fixed = _settings(settings, workers=3)
    assert pool_sizes(groups, fixed) == [3, 3, 3]  # no shape: the laptop's fixed count
    shape = RayClusterShape(cpu_nodes=20, cpus_per_node=8, gpu_nodes=4, gpus_per_node=2)
    sized = _settings(settings, workers=3, cluster=shape, cpus_per_worker=1.0, write_cpus=0.5)
    # 7 actors per 8-CPU node (one write task's room kept), shared by the two CPU groups; 2 per 2-GPU node
    assert pool_sizes(groups, sized) == [70, 8, 70]
    half_gpu = [StageGroup(("faces",), 0.5)]
    assert pool_sizes(half_gpu, sized) == [16]
    no_gpu_nodes = _settings(settings, cluster=shape.model_copy(update={"gpu_nodes": 0}))
    assert pool_sizes(half_gpu, no_gpu_nodes) == [1]  # still one actor: it waits for a GPU node


def test_no_gpu_in_the_cluster_is_a_clear_error_or_a_cpu_fallback(ray_local, settings):
    strict = _settings(settings, stage_gpus={"text_vectors": 1})
    with pytest.raises(ConfigurationError, match=r"text_vectors \(1 GPU\) needs GPUs but the Ray cluster has 0"):
        plan_placement(build_stages(strict), strict)
    lenient = _settings(settings, stage_gpus={"text_vectors": 1}, gpu_fallback="cpu")
    groups, warnings = plan_placement(build_stages(lenient), lenient)
    assert [(g.names, g.num_gpus) for g in groups] == [(("shots", "metadata", "text_vectors"), 0.0)]
    assert "running them on CPUs" in warnings[0]


@pytest.mark.slow
def test_the_cli_stops_before_any_work_when_no_node_has_gpus(clip_factory, tmp_path):
    clip = clip_factory("gpu-a-b.mp4", two_scene_clip(("a", "b"), seconds=2))
    result = run_cli("index", str(clip), "--data-dir", str(tmp_path / "data"),
                     env={"VIDSEARCH_RAY__STAGE_GPUS": '{"text_vectors": 1}', "VIDSEARCH_RAY__NUM_CPUS": "2"},
                     timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "needs GPUs but the Ray cluster has 0" in result.stderr and "GPU_FALLBACK=cpu" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "jobs").exists()  # nothing ran, nothing recorded
