"""Failure isolation with the small-host default query path: the searcher and its encoder inside the two ingress
replicas (serve.search_in_ingress unset on a ≤ 4-CPU cluster). One ingress replica is killed by PID under 8
concurrent clients: its in-flight searches get 503 + Retry-After problem+json from the proxy (serve/proxy_guard.py;
without it, uvicorn's plain-text 500), the other replica keeps answering, and full service is back within the
replica restart time. Deployed beside the package's split-path app (tests/serve/conftest.py) under its own prefix,
over the same index, with the product's default models."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import httpx
import pytest

from tests.serve.serve_testkit import running_replicas, serve_replicas
from vidsearch.demo import DEMO_QUERIES

pytestmark = pytest.mark.slow

APP, PREFIX = "failover", "/failover"
CLIENTS = 8
RESTART_BOUND_S = 90


@pytest.fixture
def default_path(served):
    from ray import serve
    from ray.serve.schema import LoggingConfig

    from serve.app import build_app, search_in_ingress
    from vidsearch.config import load_settings

    settings = load_settings(data_dir=served.settings.data_dir, log_level="WARNING", ray={"progress_bars": False},
                             serve={"port": served.settings.serve.port})
    assert search_in_ingress(settings.serve), "a 2-CPU test cluster is a small host: the searcher is in the ingress"
    quiet = LoggingConfig(enable_access_log=False, log_level="WARNING")
    serve.run(build_app(settings), name=APP, route_prefix=PREFIX, logging_config=quiet)
    yield f"{served.url}{PREFIX}"
    serve.delete(APP)


def test_killing_an_ingress_replica_gives_503s_never_a_500(default_path):
    from ray import serve

    deployments = set(serve.status().applications[APP].deployments)
    assert deployments == {"ingress", "ingest_jobs"}, "proxy → ingress is the whole query path"
    replicas = serve_replicas(APP, "ingress")
    assert len(replicas) == 2, "two ingress replicas: one dying leaves the other answering"
    queries = [demo.query for demo in DEMO_QUERIES]
    answers: list[tuple[float, int, dict, dict]] = []  # started, status, body, headers
    run = uuid.uuid4().hex[:8]
    stop = threading.Event()

    def client(number: int) -> None:
        with httpx.Client(base_url=default_path, timeout=60) as http:
            i = number
            while not stop.is_set() and i < 400 * CLIENTS:
                started = time.monotonic()
                response = http.post("/v1/search", json={"query": f"{queries[i % len(queries)]} {run}{i}", "k": 3})
                body = response.json() if "json" in response.headers.get("content-type", "") else {}
                answers.append((started, response.status_code, body, dict(response.headers)))
                i += CLIENTS

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        assert answers and all(a[1] == 200 for a in answers), [a[1] for a in answers]
        killed_at = time.monotonic()
        os.kill(replicas[0].pid, signal.SIGKILL)  # 8 closed-loop clients: it dies holding searches
        recovered_at = None
        while time.monotonic() - killed_at < RESTART_BOUND_S:
            time.sleep(1)
            recent = [a for a in answers if a[0] > max(killed_at, time.monotonic() - 3)]
            if running_replicas(APP, "ingress") >= 2 and recent and all(a[1] == 200 for a in recent):
                recovered_at = time.monotonic()
                break
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    statuses = [a[1] for a in answers]
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    for _, status, body, headers in answers:
        if status == 503:
            assert headers.get("retry-after") and headers["content-type"].startswith("application/problem+json")
            assert body["status"] == 503 and body["detail"], body
        else:
            assert body["hits"] and body["degraded"] == [] and "text_vec" in body["retrievers"], body
    assert statuses.count(503) >= 1, "the killed replica's in-flight searches were answered 503"
    after = [a for a in answers if a[0] >= killed_at]
    assert len(after) >= CLIENTS and statuses.count(200) > statuses.count(503)
    assert recovered_at is not None, f"full service not back within {RESTART_BOUND_S} s"
    print(f"{len(answers)} answers: {statuses.count(200)} complete, {statuses.count(503)} x 503; full service back "
          f"{recovered_at - killed_at:.1f} s after the kill")
