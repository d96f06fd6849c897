"""`vidsearch serve` as a user runs it: a clear one-line error when it cannot start, and a real server that answers
and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.conftest import REPO, run_cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_names_the_safe_default():
    result = run_cli("serve", "--help", timeout=120)
    assert result.returncode == 0 and "127.0.0.1" in result.stdout


def test_a_taken_port_is_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--data-dir", str(tmp_path), "--port", str(port), timeout=120)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_invalid_serve_settings_are_one_clear_line(tmp_path):
    result = run_cli("serve", "--data-dir", str(tmp_path), env={"VIDSEARCH_SERVE__MAX_UPLOAD_BYTES": "ten"},
                     timeout=120)
    assert result.returncode == 2 and "max_upload_bytes" in result.stderr and "Traceback" not in result.stderr


def _start_serve(data_dir, port: int) -> tuple[subprocess.Popen, list[str], threading.Thread]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "VIDSEARCH_LOG_LEVEL": "WARNING"}
    child = subprocess.Popen(
        [sys.executable, "-m", "vidsearch", "serve", "--data-dir", str(data_dir), "--port", str(port),
         "--num-cpus", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO,
        # as a terminal starts it: earlier tests (Ray) leave SIGINT ignored in this process, and an ignored signal
        # is inherited across exec — the child would never see Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)
    reader.start()
    return child, lines, reader


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_listens_on_loopback_only_and_stops_every_child(served, stop_signal):
    """Its own Ray and Serve in a child process, over the session's indexed demo: every socket of the whole process
    tree (GCS, raylet, workers, replicas, agents, the HTTP proxy) is on loopback, and Ctrl-C or SIGTERM (docker
    stop, systemd) ends every process of the tree within the bounded shutdown."""
    import psutil

    from tests.serve.serve_testkit import is_loopback, listening_sockets

    port = _free_port()
    child, lines, reader = _start_serve(served.settings.data_dir, port)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None and not any("serving" in x for x in lines):
            time.sleep(1)
        assert any(f"serving {url}/" in x for x in lines), f"did not start; exit code {child.poll()}: {lines[-20:]}"
        assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200
        hits = httpx.post(f"{url}/v1/search", json={"query": "한라산", "k": 1}, timeout=60).json()["hits"]
        assert hits and hits[0]["video_id"] == served.video_id

        sockets = listening_sockets(child.pid)
        tree = psutil.Process(child.pid).children(recursive=True)
        names = {name for _, name, _, _ in sockets}
        assert (port in {p for *_, p in sockets}) and {"gcs_server", "raylet"} <= names, sockets
        exposed = [s for s in sockets if not is_loopback(s[2])]
        assert not exposed, f"listening beyond loopback: {exposed}"

        stopped_at = time.monotonic()
        child.send_signal(stop_signal)
        child.wait(timeout=120)
        # the bounded shutdown (45 s for Serve + Ray, 5 s + 5 s for leftovers) and a margin for this busy machine
        gone, alive = psutil.wait_procs(tree, timeout=max(1.0, 70 - (time.monotonic() - stopped_at)))
        survivors = [(p.pid, p.name()) for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(timeout=10)
    assert child.returncode == 0, "".join(lines[-40:])
    assert any("stopping" in x for x in lines)
    assert not survivors, f"still running after the shutdown: {survivors}"
