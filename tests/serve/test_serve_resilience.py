"""Failure isolation: replicas killed by PID under 8 concurrent clients. No request gets a 500 or hangs; every
answer is complete, degraded with a notice (BM25 only while the text encoder is away), or a quick 503 with
Retry-After; full service is back within the replica restart time.

The text encoders first hang (SIGSTOP) for longer than the searcher's encoder timeout, then die (SIGKILL): a
killed replica alone may be back within that timeout, and then no answer would ever need the BM25 fallback — the
hang makes the degraded path certain instead of a matter of timing."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import httpx
import psutil
import pytest

from tests.serve.serve_testkit import running_replicas, serve_replicas
from vidsearch.demo import DEMO_QUERIES

pytestmark = pytest.mark.slow  # shares the served demo fixture

CLIENTS = 8
RESTART_BOUND_S = 90  # Serve's health check notices a dead replica and starts another (model load included)


def test_killing_replicas_under_load_never_gives_a_500(served):
    serve_settings = served.settings.serve
    encoder_timeout = serve_settings.text_encoder.request_timeout_s or serve_settings.request_timeout_s
    searcher_timeout = serve_settings.searcher.request_timeout_s or serve_settings.request_timeout_s
    assert encoder_timeout + 5 < searcher_timeout, "a degraded answer must come before the ingress gives up"
    hang_s = encoder_timeout + 10  # every encoding call sent meanwhile times out: those answers must degrade
    encoders, searchers = serve_replicas("vidsearch", "text_encoder"), serve_replicas("vidsearch", "searcher")
    assert len(encoders) >= 2 and len(searchers) >= 2, "the query path runs 2 replicas of each by default"
    queries = [demo.query for demo in DEMO_QUERIES]
    answers: list[tuple[float, int, dict, dict, float]] = []  # started, status, body, headers, finished
    run = uuid.uuid4().hex[:8]  # texts no earlier run sent: the searchers keep the query vectors they saw
    stop = threading.Event()

    def client(number: int) -> None:
        with httpx.Client(base_url=served.url, timeout=60) as http:
            i = number
            while not stop.is_set() and i < 400 * CLIENTS:
                started = time.monotonic()
                # a new text each time: the searcher's query-vector cache must not hide the encoder's absence
                query = f"{queries[i % len(queries)]} {run}{i}"
                response = http.post("/v1/search", json={"query": query, "k": 3,
                                                         "retrievers": ["bm25_ko", "bm25_en", "text_vec"]})
                body = response.json() if "json" in response.headers.get("content-type", "") else {}
                answers.append((started, response.status_code, body, dict(response.headers), time.monotonic()))
                i += CLIENTS

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    stopped = False
    try:
        time.sleep(3)
        killed_at = time.monotonic()
        for process in encoders:  # every text encoder hangs...
            process.suspend()  # SIGSTOP
            stopped = True
        time.sleep(hang_s)
        for process in [*encoders, searchers[0]]:  # ...then dies, with one searcher
            os.kill(process.pid, signal.SIGKILL)
        stopped = False
        recovered_at = None
        while time.monotonic() - killed_at < RESTART_BOUND_S:
            time.sleep(1)
            # answers to requests sent after the kill only: a replica not yet seen dead must not count as recovered
            recent = [a for a in answers if a[0] > max(killed_at, time.monotonic() - 3)]
            complete = [a for a in recent if a[1] == 200 and not a[2].get("degraded")]
            restarted = all(running_replicas("vidsearch", d) >= 2 for d in ("text_encoder", "searcher"))
            if restarted and complete:
                recovered_at = time.monotonic()
                break
        time.sleep(2)
    finally:
        if stopped:  # never leave a hung replica behind (psutil checks the pid still names that process)
            for process in encoders:
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    statuses = [a[1] for a in answers]
    assert not [s for s in statuses if s >= 500 and s != 503], statuses
    after = [a for a in answers if a[0] >= killed_at]
    assert len(after) >= CLIENTS
    degraded = [a for a in after if a[1] == 200 and a[2].get("degraded")]
    for _, status, body, headers, _ in answers:
        if status == 503:
            assert headers.get("retry-after") and headers["content-type"].startswith("application/problem+json")
        else:
            assert status == 200, (status, body)
            assert body["degraded"] in ([], ["text_vec"]), body["degraded"]
            if body["degraded"]:
                assert "text_vec" not in body["retrievers"] and any("text_vec" in n for n in body["notices"])
                assert body["hits"], "the BM25 retrievers still answer"
    assert recovered_at is not None, f"full service not back within {RESTART_BOUND_S} s"
    # sent and answered while every encoder hung (before any replica was killed)
    hung = [a for a in after if a[0] < killed_at + hang_s - encoder_timeout and a[4] < killed_at + hang_s]
    assert hung and all(a[1] == 503 or a[2].get("degraded") == ["text_vec"] for a in hung), \
        [(a[1], a[2].get("degraded")) for a in hung]
    assert degraded, "no answer fell back to BM25 while the text encoders hung"
    print(f"{len(answers)} answers: {statuses.count(200) - len(degraded)} complete, {len(degraded)} degraded, "
          f"{statuses.count(503)} x 503; full service back {recovered_at - killed_at:.1f} s after the kill")
