"""Where the HTTP search route's time goes beyond the in-process ``Searcher.search``: each layer measured on its own,
interleaved query by query in one run (one client, queries never repeated, so no query-vector cache hits).

    nice -n 10 .venv/bin/python bench/serve_hops.py                  # 40 queries per layer
    nice -n 10 .venv/bin/python bench/serve_hops.py --queries 60 --search-in-ingress

Layers (each a p50 over the same queries):
- ``encoder``: the query encoder alone; ``in_process k=10`` / ``k=21``: ``Searcher.search`` (the API asks for
  2k+1 hits on a first page, for the cursor);
- ``asgi``: the FastAPI app with the searcher in this process (no Ray): validation, paging, the response model
  and JSON, driven through httpx's ASGI transport;
- ``http /healthz``: proxy → ingress and back with no work (the Serve hop's fixed cost);
- ``http /v1/search``: the whole route.
Writes bench/results/serve_hops.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve_common import bench_queries, build_index, machine, write_result  # noqa: E402


def p50_ms(samples: list[float]) -> float:
    return round(float(np.median(samples)) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--segments", type=int, default=12_000)
    parser.add_argument("--search-in-ingress", action="store_true", default=None)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench-serve")
    args = parser.parse_args()

    import ray
    from ray import serve

    from serve.api import create_api
    from serve.app import HandleBackend, InProcessHandle
    from serve.searcher import SearchService
    from vidsearch.cli.serve import start_local
    from vidsearch.search import Searcher, SearchRequest

    settings = build_index(args.data_dir / f"index-{args.segments}", args.segments)
    if args.search_in_ingress is not None:
        settings = settings.model_copy(update={"serve": settings.serve.model_copy(
            update={"search_in_ingress": args.search_in_ingress})})
    queries = bench_queries(400 + 60 + args.queries)[460:]  # none of serve_load's queries
    searcher = Searcher(settings)
    searcher.search(SearchRequest(query="준비 warm-up", k=10))
    local = settings.model_copy(update={"serve": settings.serve.model_copy(update={"colocate_encoders": True})})
    service = SearchService.func_or_class(local, {})
    app = create_api(local, HandleBackend(InProcessHandle(service), InProcessHandle(service), local.serve))
    layers: dict[str, list[float]] = {k: [] for k in ("encoder", "in_process k=10", "in_process k=21", "asgi",
                                                      "http /healthz", "http /v1/search")}

    async def asgi(query: str) -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            started = time.perf_counter()
            (await client.post("/v1/search", json={"query": query, "k": 10})).raise_for_status()
            return time.perf_counter() - started

    loop = asyncio.new_event_loop()
    try:
        url = start_local(settings, num_cpus=2)
        with httpx.Client(base_url=url, timeout=60) as http:
            for warm in ("준비", "warm up", "뉴스"):
                http.post("/v1/search", json={"query": warm, "k": 10}).raise_for_status()
                loop.run_until_complete(asgi(warm))
            for i, query in enumerate(queries):
                encoder_query = f"{query} {i}"  # never the same text the searches encode
                started = time.perf_counter()
                searcher.text_encoder.encode_queries([encoder_query])
                layers["encoder"].append(time.perf_counter() - started)
                for k in (10, 21):
                    started = time.perf_counter()
                    searcher.search(SearchRequest(query=f"{query} k{k}", k=k))
                    layers[f"in_process k={k}"].append(time.perf_counter() - started)
                layers["asgi"].append(loop.run_until_complete(asgi(f"{query} asgi")))
                started = time.perf_counter()
                http.get("/healthz").raise_for_status()
                layers["http /healthz"].append(time.perf_counter() - started)
                started = time.perf_counter()
                http.post("/v1/search", json={"query": query, "k": 10}).raise_for_status()
                layers["http /v1/search"].append(time.perf_counter() - started)
    finally:
        loop.close()
        serve.shutdown()
        ray.shutdown()
        searcher.store.close()
    result = {"machine": machine(), "variant": {"search_in_ingress": settings.serve.search_in_ingress,
                                                "colocate_encoders": settings.serve.colocate_encoders},
              "queries": len(queries), "p50_ms": {name: p50_ms(v) for name, v in layers.items()}}
    base = result["p50_ms"]["in_process k=10"]
    for name, ms in result["p50_ms"].items():
        print(f"{name:>18}: {ms:7.2f} ms  ({ms / base:.2f}x in-process k=10)")
    print(f"wrote {write_result('serve_hops', result)}")


if __name__ == "__main__":
    main()
