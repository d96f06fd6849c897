"""Ingest on a real three-node Ray cluster: GPU stages placed on the GPU node only, CPU work spread over the
nodes, a job submitted with ``ray job submit``, the driver killed and the job rerun, a worker node's raylet killed
mid-job. The tests share one cluster (starting one takes ~1 min here) and run in file order: node loss is last."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cluster.conftest import cli_env, start_cli, wait_until
from tests.conftest import REPO, run_cli
from vidsearch.schema import IndexName
from vidsearch.store.embedded.store import EmbeddedStore

pytestmark = pytest.mark.slow
CLIPS = 8
_QUIET: dict[str, Path] = {}  # the data folder of the undisturbed run, to compare contents with


def _store_docs(data: Path) -> dict[str, list[tuple]]:
    """video id → its segments as (index, start, end, title, text-vector length): what a search would see."""
    store = EmbeddedStore(data / "store")
    try:
        segments = [doc for _, doc in store.scan(IndexName.SEGMENTS)]
        videos = [v for v, _ in store.scan(IndexName.VIDEOS)]
    finally:
        store.close()
    out: dict[str, list[tuple]] = {v: [] for v in videos}
    for doc in segments:
        out.setdefault(doc["video_id"], []).append((doc["index"], doc["start_s"], doc["end_s"], doc.get("title")))
    return {v: sorted(rows) for v, rows in out.items()}


def _committed(data: Path) -> int:
    if not (data / "store" / "store.sqlite").exists():
        return 0
    store = EmbeddedStore(data / "store")
    try:
        return store.count(IndexName.VIDEOS)
    finally:
        store.close()


def _stage_actors(cluster) -> list:
    """The stage actors Ray has seen on the cluster, dead ones included (Ray Data names them
    ``MapWorker(MapBatches(StageGroupActor))``), from Ray's state API."""
    from ray.util.state import list_actors

    return [a for a in list_actors(address=cluster.address, detail=True, limit=10_000)
            if "StageGroupActor" in a.class_name]


def _stage_actor_nodes(cluster, skip: set[str]) -> dict[str, set[str]]:
    """"cpu"/"gpu" → the nodes the scheduler placed stage actors on (those not in ``skip``), whether or not an
    actor was handed any work. Actors the pool asked for but no node could hold have no node and are left out."""
    nodes: dict[str, set[str]] = {"cpu": set(), "gpu": set()}
    for actor in _stage_actors(cluster):
        if actor.actor_id not in skip and actor.node_id:
            nodes["gpu" if (actor.required_resources or {}).get("GPU") else "cpu"].add(actor.node_id)
    return nodes


def test_gpu_stages_run_only_on_the_gpu_node_and_cpu_stages_are_spread_over_nodes(local_cluster, cluster_clips,
                                                                          tmp_path_factory):
    data = tmp_path_factory.mktemp("quiet") / "data"
    earlier = {a.actor_id for a in _stage_actors(local_cluster)}
    result = run_cli("index", str(cluster_clips), "--data-dir", str(data), "--json",
                     env=cli_env(local_cluster), timeout=480)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["videos_ok"] == CLIPS and summary["videos_failed"] == []
    nodes = local_cluster.node_ids
    placement = summary["placement"]
    assert set(placement) == {"shots+metadata", "text_vectors"}
    assert set(placement["text_vectors"]) == {nodes["gpu"]}  # num_gpus + label selector
    assert sum(placement["text_vectors"].values()) == CLIPS
    assert set(placement["shots+metadata"]) <= set(nodes.values())
    assert sum(placement["shots+metadata"].values()) == CLIPS
    # CPU-stage actors are spread (SPREAD strategy), one per node where they fit. Which nodes is Ray's choice:
    # it keeps CPU-only work off GPU nodes while other nodes have room (scheduler_avoid_gpu_nodes) and a busy
    # node is skipped, so the check is "more than one node", never one fixed set. It looks at where the actors
    # were placed, not at which actor analysed the clips: on a loaded machine the first actor up can take them all
    actors = _stage_actor_nodes(local_cluster, earlier)
    assert actors["gpu"] == {nodes["gpu"]}
    assert len(actors["cpu"]) >= 2 and actors["cpu"] <= set(nodes.values()), \
        f"CPU-stage actors placed on {actors['cpu']} of {nodes}"
    assert len(_store_docs(data)) == CLIPS
    _QUIET["data"] = data


def test_a_job_submitted_with_ray_job_submit_completes(local_cluster, cluster_clips, tmp_path):
    data = tmp_path / "data"
    env_vars = {k: v for k, v in cli_env(local_cluster).items() if k != "VIDSEARCH_RAY__ADDRESS"}
    runtime_env = {"env_vars": {**env_vars, "VIDSEARCH_RAY__ADDRESS": "auto", "PYTHONPATH": str(REPO),
                                "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}}
    ray_cli = str(Path(sys.executable).with_name("ray"))
    command = [ray_cli, "job", "submit", "--address", local_cluster.dashboard, "--runtime-env-json",
               json.dumps(runtime_env), "--", sys.executable, "-m", "vidsearch", "index", str(cluster_clips),
               "--data-dir", str(data), "--json"]
    result = None
    for _ in range(12):  # the head's job agent comes up some seconds after the dashboard
        result = subprocess.run(command, capture_output=True, text=True, timeout=480, cwd=REPO)
        if "No available agent" not in result.stderr + result.stdout:
            break
        time.sleep(5)
    assert result is not None and result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "succeeded" in result.stdout
    assert len(_store_docs(data)) == CLIPS


def test_a_killed_driver_resumes_from_the_checkpoints(local_cluster, cluster_clips, tmp_path):
    data = tmp_path / "data"
    driver = start_cli("index", str(cluster_clips), "--data-dir", str(data), "--json",
                       env=cli_env(local_cluster), log=tmp_path / "driver.log")
    try:
        assert wait_until(lambda: _committed(data) >= 2 or driver.poll() is not None, timeout=360)
        assert driver.poll() is None, "the job finished before the driver could be killed"
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    committed = _committed(data)
    assert 2 <= committed < CLIPS
    result = run_cli("index", str(cluster_clips), "--data-dir", str(data), "--json", env=cli_env(local_cluster),
                     timeout=480)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["videos_unchanged"] >= committed
    assert summary["videos_unchanged"] + summary["videos_ok"] == CLIPS
    docs = _store_docs(data)
    assert len(docs) == CLIPS
    if "data" in _QUIET:
        assert docs == _store_docs(_QUIET["data"])


def test_a_worker_node_lost_mid_job_still_indexes_every_video_exactly_once(local_cluster, cluster_clips,
                                                                           tmp_path):
    data = tmp_path / "data"
    driver = start_cli("index", str(cluster_clips), "--data-dir", str(data), "--json",
                       env=cli_env(local_cluster), log=tmp_path / "driver.log")
    try:
        assert wait_until(lambda: _committed(data) >= 1 or driver.poll() is not None, timeout=360)
        assert driver.poll() is None, "the job finished before the node could be killed"
        os.kill(local_cluster.raylet_pid(local_cluster.cpu_node), signal.SIGKILL)
        driver.wait(480)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    stdout = (tmp_path / "driver.log").read_text(errors="replace")
    stderr = (tmp_path / "driver.log.stderr").read_text(errors="replace")
    assert driver.returncode == 0, stdout[-2000:] + stderr[-3000:]
    summary = json.loads(stdout)
    assert summary["videos_ok"] == CLIPS and summary["videos_failed"] == [], summary
    docs = _store_docs(data)
    assert len(docs) == CLIPS  # each video id once
    if "data" in _QUIET:
        assert docs == _store_docs(_QUIET["data"])  # same segments as the undisturbed run
