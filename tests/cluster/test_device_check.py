"""bench/device_check.sh on this CPU-only machine: the GPU parts are skipped with a message, the rest runs and
writes its figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_the_device_check_runs_on_cpu_and_says_it_skipped_the_gpu(tmp_path):
    out = tmp_path / "figures"
    env = {**os.environ, "PYTHON": sys.executable, "DEVICE_CHECK_QUICK": "1", "DEVICE_CHECK_BUDGET_S": "900",
           "PATH": f"{tmp_path / 'nogpu'}:{os.environ['PATH']}"}
    (tmp_path / "nogpu").mkdir()  # an nvidia-smi that finds no device, whatever this machine has
    fake = tmp_path / "nogpu" / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'No devices were found' >&2\nexit 6\n")
    fake.chmod(0o755)
    result = subprocess.run(["bash", str(REPO / "bench" / "device_check.sh"), str(out)], capture_output=True,
                            text=True, env=env, timeout=1200, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "SKIP GPU parts: no GPU on this machine" in result.stdout
    assert json.loads((out / "machine.json").read_text())["device"] == "cpu"
    throughput = json.loads((out / "pipeline_throughput.json").read_text())
    assert set(throughput["stages"]) == {"shots", "metadata", "scene_text", "credits", "faces", "text_vectors"}
    assert throughput["pipeline"]["video_s_per_wall_s"] > 0
    scaling = json.loads((out / "ray_scaling.json").read_text())
    assert [row["workers"] for row in scaling] == [1, 2, 4, 8]
    assert all(row["videos"] == 4 and row["video_s_per_wall_s"] > 0 for row in scaling)
    assert (out / "device_check.log").is_file()
