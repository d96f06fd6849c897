"""Embedded store benchmark: build rate, query latency (BM25, kNN, hybrid), memory, BM25 vs rank-bm25, ANN recall.

    .venv/bin/python bench/store_embedded.py                 # 10k and 100k, 384-d and 512-d
    .venv/bin/python bench/store_embedded.py --sizes 10000   # quicker

Prints a table and writes bench/results/store_embedded.json. Latencies are measured in one process after the
store is opened from its snapshot, the way a search server holds it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import clustered_unit_vectors, queries, synthetic_segments  # noqa: E402
from ranking.fusion import fuse  # noqa: E402
from vidsearch.analyzers import analyzer  # noqa: E402
from vidsearch.config import StoreSettings  # noqa: E402
from vidsearch.schema import IndexName, index_schema  # noqa: E402
from vidsearch.store.base import TextRetriever, VectorRetriever  # noqa: E402
from vidsearch.store.embedded.store import EmbeddedStore  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


def build(path: Path, n: int, dims: int) -> dict:
    store = EmbeddedStore(path, StoreSettings())
    store.ensure_indices({"text": {"id": "bench-synthetic", "dims": dims}})
    batch: list = []
    started = time.perf_counter()
    for doc in synthetic_segments(n, dims):
        batch.append(doc)
        if len(batch) == 1000:
            store.upsert(IndexName.SEGMENTS, batch)
            batch = []
    if batch:
        store.upsert(IndexName.SEGMENTS, batch)
    written = time.perf_counter() - started
    started = time.perf_counter()
    store.compact(force=True)
    compacted = time.perf_counter() - started
    store.close()
    return {"docs_per_s": round(n / written, 1), "write_s": round(written, 1), "snapshot_s": round(compacted, 1)}


def measure_in_child(path: Path, n: int, dims: int, rounds: int) -> dict:
    """Run ``measure`` in a fresh process, so its memory figure is the store's alone (not the builder's heap)."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, (path, n, dims, rounds))


def measure(path: Path, n: int, dims: int, rounds: int) -> dict:
    for name in ("vidsearch_ko", "english"):  # the analyzers' models are the process's, not the store's
        analyzer(name)("워밍업 warm up")
    before = rss_mb()
    started = time.perf_counter()
    store = EmbeddedStore(path, StoreSettings())
    view = store.view(IndexName.SEGMENTS)
    opened = time.perf_counter() - started
    schema = index_schema(IndexName.SEGMENTS)
    ko_fields, en_fields = tuple(schema.text_fields("ko")), tuple(schema.text_fields("en"))
    texts = queries(rounds)
    vectors = clustered_unit_vectors(rounds, dims, seed=99, centres_seed=0)  # near the corpus's topics
    timings: dict[str, list[float]] = {"bm25": [], "knn": [], "hybrid": []}
    for text, vector in zip(texts, vectors, strict=True):
        bm25 = [TextRetriever("bm25_ko", text, ko_fields), TextRetriever("bm25_en", text, en_fields)]
        knn = [VectorRetriever("text_vec", "text_vec", vector, k=100)]
        t0 = time.perf_counter()
        store.search(IndexName.SEGMENTS, bm25)
        t1 = time.perf_counter()
        store.search(IndexName.SEGMENTS, knn)
        t2 = time.perf_counter()
        lists = store.search(IndexName.SEGMENTS, bm25 + knn)
        fuse(lists, weights={"bm25_ko": 0.3, "bm25_en": 0.2, "text_vec": 0.5})
        t3 = time.perf_counter()
        timings["bm25"].append(t1 - t0)
        timings["knn"].append(t2 - t1)
        timings["hybrid"].append(t3 - t2)
    memory = rss_mb() - before  # resident after open and the query loop: what a search process holds

    # ANN recall@10 against exact dot products over the same matrix
    field = view.vectors["text_vec"]
    matrix = field.matrix.view()
    recall = None
    if field.ann is not None:
        hits = []
        for vector in vectors[:100]:
            exact = set(np.argsort(-(matrix @ vector))[:10].tolist())
            found = store.search(IndexName.SEGMENTS, [VectorRetriever("v", "text_vec", vector, k=10)])["v"]
            hits.append(len(exact & {view.slot_of[c.id] for c in found}) / 10)
        recall = round(float(np.mean(hits)), 4)
    store.close()
    return {"open_s": round(opened, 2), "memory_mb": round(memory, 1), "disk_mb": round(folder_mb(path), 1),
            "ann_recall_at_10": recall, **{k: percentiles(v) for k, v in timings.items()}}


def versus_rank_bm25(path: Path, rounds: int) -> dict:
    """One field (ocr_text.ko), same tokens, same queries: our BM25 vs rank-bm25's BM25Okapi.get_scores."""
    from rank_bm25 import BM25Okapi

    store = EmbeddedStore(path, StoreSettings())
    ko = analyzer("vidsearch_ko")
    corpus = [ko(body.get("ocr_text", "")) for _, body in store.scan(IndexName.SEGMENTS)]
    reference = BM25Okapi(corpus)
    texts = queries(rounds, seed=5)
    ours, theirs = [], []
    for text in texts:
        t0 = time.perf_counter()
        store.search(IndexName.SEGMENTS, [TextRetriever("q", text, ("ocr_text.ko",), k=10)])
        t1 = time.perf_counter()
        scores = reference.get_scores(ko(text))
        np.argpartition(-scores, 10)[:10]
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
    store.close()
    return {"ours_p50_ms": round(float(np.median(ours)) * 1000, 2),
            "rank_bm25_p50_ms": round(float(np.median(theirs)) * 1000, 2),
            "speedup": round(float(np.median(theirs) / np.median(ours)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 512])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    rows = []
    for n in args.sizes:
        for dims in args.dims:
            folder = Path(tempfile.mkdtemp(prefix=f"vidsearch-bench-{n}-{dims}-"))
            try:
                row = {"segments": n, "dims": dims, **build(folder, n, dims), **measure_in_child(folder, n, dims, args.queries)}
                if dims == args.dims[0]:
                    row["vs_rank_bm25"] = versus_rank_bm25(folder, rounds=20)
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\nsegments  dims  build docs/s  BM25 p50/p99   kNN p50/p99   hybrid p50/p99  memory MB  disk MB  "
          "ANN recall@10  vs rank-bm25")
    for r in rows:
        vs = r.get("vs_rank_bm25", {}).get("speedup")
        print(f"{r['segments']:>8}  {r['dims']:>4}  {r['docs_per_s']:>12}  "
              f"{r['bm25']['p50_ms']:>5}/{r['bm25']['p99_ms']:<7} {r['knn']['p50_ms']:>5}/{r['knn']['p99_ms']:<7} "
              f"{r['hybrid']['p50_ms']:>6}/{r['hybrid']['p99_ms']:<7} {r['memory_mb']:>9}  {r['disk_mb']:>7}  "
              f"{r['ann_recall_at_10']!s:>13}  {f'{vs}x faster' if vs else ''}")
    load = os.getloadavg()[0]
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs; memory: what a fresh process's resident set grows by "
          f"when it opens the store and runs the queries (interpreter and analyzer models not counted)")
    (RESULTS / "store_embedded.json").write_text(json.dumps({"rows": rows, "peak_rss_mb": peak,
                                                             "load_average": load}, indent=2))


if __name__ == "__main__":
    main()
