"""A real multi-node Ray cluster on this machine: a head and two worker nodes as separate processes (raylets,
object stores), one worker declaring a logical GPU and a node label. The test owns it and shuts it down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from testkit.s3 import free_port
from vidsearch.media.synth import Scene, render_scenes

GPU_LABEL = {"vidsearch/accelerator": "gpu"}


@dataclass
class LocalCluster:
    cluster: object  # ray.cluster_utils.Cluster
    address: str
    dashboard: str
    head: object
    cpu_node: object
    gpu_node: object

    @property
    def node_ids(self) -> dict[str, str]:
        return {"head": self.head.node_id, "cpu": self.cpu_node.node_id, "gpu": self.gpu_node.node_id}

    def raylet_pid(self, node) -> int:
        from ray._private import ray_constants

        return node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid


@pytest.fixture(scope="module")
def local_cluster():
    from ray.cluster_utils import Cluster

    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(REPO)  # worker processes import this checkout
    # a raylet on a busy 2-core machine can take longer than Ray's default 10 s to register
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")
    dashboard_port = free_port()
    # each node's dashboard agent takes a port of its own: the default (52365) is taken by the first Ray on the
    # machine, and the head's agent is the one that runs `ray job submit`'s jobs
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": True, "dashboard_host": "127.0.0.1",
        "dashboard_port": dashboard_port, "dashboard_agent_listen_port": free_port()})
    try:
        cpu_node = cluster.add_node(num_cpus=2, dashboard_agent_listen_port=free_port())
        gpu_node = cluster.add_node(num_cpus=2, num_gpus=1, labels=GPU_LABEL,
                                    dashboard_agent_listen_port=free_port())
        cluster.wait_for_nodes()
        yield LocalCluster(cluster, cluster.address, f"http://127.0.0.1:{dashboard_port}", cluster.head_node,
                           cpu_node, gpu_node)
    finally:
        cluster.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


@pytest.fixture(scope="module")
def cluster_clips(tmp_path_factory) -> Path:
    """Eight distinct 4-s clips with two scenes each, in one folder."""
    folder = tmp_path_factory.mktemp("cluster-clips")
    for i in range(8):
        scenes = [Scene((f"장면 {i} 하나", f"scene {i} one"), ((i * 40) % 255, 30, 90), (90, 40, 120), 2.0),
                  Scene((f"장면 {i} 둘", f"scene {i} two"), (200, (i * 30) % 255, 30), (240, 200, 80), 2.0)]
        render_scenes(folder / f"clip{i}.mp4", scenes, size=(160, 90), fps=5)
    return folder


def cli_env(cluster: LocalCluster, **extra: str) -> dict[str, str]:
    return {"VIDSEARCH_RAY__ADDRESS": cluster.address, "VIDSEARCH_RAY__WORKERS": "3",
            "VIDSEARCH_INGEST__STAGES": '["shots", "metadata", "text_vectors"]',
            "VIDSEARCH_RAY__STAGE_GPUS": '{"text_vectors": 1}',
            "VIDSEARCH_RAY__GPU_LABELS": '{"vidsearch/accelerator": "gpu"}',
            "VIDSEARCH_LOG_LEVEL": "WARNING", **extra}


def start_cli(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``python -m vidsearch ARGS`` as a child the test can kill.

    Stdout goes to ``log`` and stderr to ``log`` + ``.stderr``, kept apart because Ray writes warnings to stderr
    at any moment (a lost node is reported after the job's JSON summary), and the summary must parse.
    """
    full = {**os.environ, "PYTHONPATH": str(REPO), "RAY_DATA_DISABLE_PROGRESS_BARS": "1", **env}
    out, err = log.open("wb"), Path(f"{log}.stderr").open("wb")
    return subprocess.Popen([sys.executable, "-m", "vidsearch", *args], stdout=out, stderr=err, env=full, cwd=REPO)


def wait_until(predicate, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
