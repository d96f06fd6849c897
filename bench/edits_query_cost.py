"""What human edits cost at query time: hybrid search (BM25 ko + en, kNN, fused) p50/p99 over the same 100k-segment
embedded store with and without edits, measured side by side in one process (queries interleaved).

Edits are applied to the searched documents when they are made (``vidsearch.edits.layer``), so a query never reads
the edit log; what remains is the store's state after edits: the edited documents re-added (dead slots, postings
outside the snapshot's merged lists) until the next compaction. The bench measures that state right after the edits
(no compaction: the worst case) and after ``compact(force=True)``, and the write cost per edit.

    nice -n 10 .venv/bin/python bench/edits_query_cost.py                 # 100k segments, 2,000 edits
    nice -n 10 .venv/bin/python bench/edits_query_cost.py --segments 20000 --edits 500

Writes bench/results/edits_query_cost.json. Timings on a shared 2-core machine are noisy: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import clustered_unit_vectors, queries  # noqa: E402
from bench.store_embedded import build as build_store, percentiles  # noqa: E402
from ranking.fusion import fuse  # noqa: E402
from vidsearch.config import Settings, StoreSettings  # noqa: E402
from vidsearch.edits.layer import EditLayer  # noqa: E402
from vidsearch.edits.records import EditTarget  # noqa: E402
from vidsearch.schema import IndexName, index_schema  # noqa: E402
from vidsearch.store.base import TextRetriever, VectorRetriever  # noqa: E402
from vidsearch.store.embedded.store import EmbeddedStore  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DIMS = 384
WORDS = ["해운대", "한라산", "궁궐", "archive", "correction", "부산", "lantern", "김치찌개"]


def build(path: Path, n: int) -> float:
    """The same 100k-style synthetic store the store bench builds (written, then compacted); seconds taken."""
    started = time.perf_counter()
    build_store(path, n, DIMS)
    return time.perf_counter() - started


def apply_edits(path: Path, n: int, edits: int, seed: int = 7) -> dict:
    """Archivists' corrections of random segments: keywords and a description (BM25 fields; the synthetic
    corpus's vectors come from no real encoder, so text-vector recomputation is not part of this figure)."""
    store = EmbeddedStore(path, StoreSettings())
    layer = EditLayer(store, Settings(data_dir=path.parent))
    rng = np.random.default_rng(seed)
    ids = sorted(store.view(IndexName.SEGMENTS).slot_of)
    chosen = rng.choice(len(ids), size=min(edits, len(ids)), replace=False)
    times = []
    for i, slot in enumerate(chosen):
        words = [WORDS[(i + j) % len(WORDS)] for j in range(3)]
        t0 = time.perf_counter()
        layer.edit(EditTarget.SEGMENT, ids[slot], {"keywords": words, "synopsis": f"corrected {' '.join(words)}"},
                   who="bench", reason="bench")
        times.append(time.perf_counter() - t0)
    store.close()
    return {"edits": len(chosen), **{f"edit_{k}": v for k, v in percentiles(times).items()}}


def measure(paths: dict[str, Path], rounds: int) -> dict[str, dict]:
    stores = {name: EmbeddedStore(path, StoreSettings()) for name, path in paths.items()}
    for store in stores.values():
        store.view(IndexName.SEGMENTS)  # open (snapshot + catch-up with the journal) before timing
    schema = index_schema(IndexName.SEGMENTS)
    ko, en = tuple(schema.text_fields("ko")), tuple(schema.text_fields("en"))
    texts = queries(rounds)
    texts = [t if i % 4 else f"{t} {WORDS[i % len(WORDS)]}" for i, t in enumerate(texts)]  # some hit edits
    vectors = clustered_unit_vectors(rounds, DIMS, seed=99, centres_seed=0)
    timings: dict[str, list[float]] = {name: [] for name in stores}
    for text, vector in zip(texts, vectors, strict=True):
        retrievers = [TextRetriever("bm25_ko", text, ko), TextRetriever("bm25_en", text, en),
                      VectorRetriever("text_vec", "text_vec", vector, k=100)]
        for name, store in stores.items():  # interleaved: drift on a shared machine hits all alike
            t0 = time.perf_counter()
            lists = store.search(IndexName.SEGMENTS, retrievers)
            fuse(lists, weights={"bm25_ko": 0.3, "bm25_en": 0.2, "text_vec": 0.5})
            timings[name].append(time.perf_counter() - t0)
    for store in stores.values():
        store.close()
    return {name: percentiles(samples) for name, samples in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="vidsearch-bench-edits-"))
    try:
        plain = root / "plain" / "store"
        built_s = build(plain, args.segments)
        edited = root / "edited" / "store"
        shutil.copytree(plain, edited)
        written = apply_edits(edited, args.segments, args.edits)
        compacted = root / "compacted" / "store"
        shutil.copytree(edited, compacted)
        store = EmbeddedStore(compacted, StoreSettings())
        store.compact(force=True)
        store.close()
        latencies = measure({"no edits": plain, "edits, not compacted": edited, "edits, compacted": compacted},
                            args.queries)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = latencies["no edits"]
    print(f"{args.segments:,} segments, {written['edits']:,} edited ({100 * written['edits'] / args.segments:.1f}%), "
          f"{args.queries} hybrid queries (BM25 ko+en + kNN + fusion), built in {built_s:.0f} s")
    print(f"{'store':<22} {'p50 ms':>8} {'p99 ms':>8} {'p50 ×':>7} {'p99 ×':>7}")
    for name, row in latencies.items():
        print(f"{name:<22} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['p50_ms'] / base['p50_ms']:>7.2f} "
              f"{row['p99_ms'] / base['p99_ms']:>7.2f}")
    print(f"one edit (record + rewrite + refresh): p50 {written['edit_p50_ms']} ms, p99 {written['edit_p99_ms']} ms")
    load = os.getloadavg()[0]
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs: absolute times drift; the ratios are side by side)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "edits_query_cost.json").write_text(json.dumps(
        {"segments": args.segments, "queries": args.queries, "build_s": round(built_s, 1), **written,
         "latency": latencies, "load_average": load}, indent=2))


if __name__ == "__main__":
    main()
