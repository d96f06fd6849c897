"""Elasticsearch client-path benchmarks (no cluster here): bulk throughput against the local fault server,
JSON encoding cost (orjson vs stdlib json), writer memory while streaming a million documents, and the
storage estimate per million segments from Elasticsearch's documented vector overheads.

The fault server runs in its own process (no faults, keeps no documents), so the measured process is the writer
alone: document checks, action building, JSON encoding, HTTP, per-item bookkeeping. On this 2-core machine the
server shares the cores, so the throughput is a floor for the client path, not a cluster's indexing rate.

    nice -n 10 python bench/es_bulk.py                      # all parts, 1M-document memory run included
    nice -n 10 python bench/es_bulk.py --stream-docs 100000 # a quicker memory run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.es_sizing import sizing_table  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.schema import IndexName  # noqa: E402
from vidsearch.store.base import check_document  # noqa: E402
from vidsearch.store.elasticsearch.backend import ElasticsearchStore  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
TEXT = ("서울 국제 영화제 개막식 현장 배우 김민수 인터뷰 Seoul International Film Festival opening ceremony "
        "interview with the lead actor, red carpet arrivals and press conference")


def _serve(ready: mp.Queue, stop: mp.Event) -> None:
    from testkit.elasticsearch.fault_server import FaultServer

    with FaultServer(record=False, store_sources=False) as server:
        ready.put(server.url)
        stop.wait()


class ServerProcess:
    def __enter__(self) -> str:
        ctx = mp.get_context("spawn")
        self._ready, self._stop = ctx.Queue(), ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(self._ready, self._stop), daemon=True)
        self._proc.start()
        return self._ready.get(timeout=60)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._proc.join(timeout=10)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def segment(i: int, vector: list[float]) -> tuple[str, dict]:
    """A segment as the ingest job writes it (vectors as Python lists, text in two languages)."""
    return f"bench-video.s{i:07d}", {
        "video_id": "bench-video", "index": i, "start_s": float(i), "end_s": float(i + 4),
        "keyframes_s": [float(i) + 1.0, float(i) + 3.0], "thumbnail": f"thumbs/bench/{i}.jpg",
        "file_name": "bench.mp4", "title": "9시 뉴스", "programme_title": "KBS 뉴스 9", "channel": "KBS",
        "air_date": "2024-05-01", "ocr_text": TEXT, "caption": "a man speaks to reporters on a red carpet",
        "text_vec": vector,
    }


def unit_rows(n: int, dims: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def open_store(url: str, dims: int, threads: int, folder: Path) -> ElasticsearchStore:
    store = ElasticsearchStore(Settings(data_dir=folder, es_url=url, log_level="WARNING",
                                        es={"bulk_threads": threads, "index_prefix": f"bench{dims}t{threads}"}))
    store.ensure_indices({"text": {"id": f"bench-{dims}", "dims": dims}})
    return store


def throughput(url: str, dims: int, docs: int, threads: int, folder: Path) -> dict:
    store = open_store(url, dims, threads, folder)
    pool = unit_rows(1000, dims).tolist()
    batch = [segment(i, pool[i % 1000]) for i in range(docs)]
    store.upsert(IndexName.SEGMENTS, batch[:1000])  # warm the connection
    started = time.perf_counter()
    report = store.upsert(IndexName.SEGMENTS, batch)
    seconds = time.perf_counter() - started
    store.close()
    assert report.written == docs and not report.failed
    return {"dims": dims, "threads": threads, "docs": docs, "seconds": round(seconds, 3),
            "docs_per_s": round(docs / seconds)}


def encoding(dims: int, docs: int) -> dict:
    """Serialising the bulk lines (action + source) of checked documents: what streaming_bulk does per chunk."""
    from elasticsearch.serializer import JsonSerializer, OrjsonSerializer

    pool = unit_rows(1000, dims).tolist()
    checked = [check_document(IndexName.SEGMENTS, i, b, {"text_vec": dims})
               for i, b in (segment(n, pool[n % 1000]) for n in range(docs))]
    actions = [({"index": {"_index": "vidsearch-segments", "_id": f"id{n}"}}, body)
               for n, body in enumerate(checked)]
    as_lists = [(a, {**s, "text_vec": s["text_vec"].tolist()}) for a, s in actions]
    out: dict = {"dims": dims, "docs": docs}
    for name, serializer in (("orjson", OrjsonSerializer()), ("json", JsonSerializer())):
        for variant, lines in (("", actions), ("_lists", as_lists)):
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                size = sum(len(serializer.dumps(a)) + len(serializer.dumps(s)) for a, s in lines)
                best = min(best, time.perf_counter() - started)
            out[f"{name}{variant}_us_per_doc"] = round(best / docs * 1e6, 2)
            out[f"{name}{variant}_bytes_per_doc"] = round(size / docs)
    out["json_over_orjson"] = round(out["json_us_per_doc"] / out["orjson_us_per_doc"], 1)
    out["json_over_orjson_lists"] = round(out["json_lists_us_per_doc"] / out["orjson_lists_us_per_doc"], 1)
    source = OrjsonSerializer().dumps(checked[0])
    without = OrjsonSerializer().dumps({k: v for k, v in checked[0].items() if k != "text_vec"})
    out["source_bytes"] = len(source)
    out["source_deflate_bytes"] = len(zlib.compress(source, 6))
    out["source_without_vector_bytes"] = len(without)
    out["source_without_vector_deflate_bytes"] = len(zlib.compress(without, 6))
    return out


def streaming_memory(url: str, dims: int, docs: int, folder: Path) -> dict:
    """Stream ``docs`` documents from a generator through one upsert; sample the writer's RSS as it goes."""
    store = open_store(url, dims, 1, folder)
    pool = unit_rows(1000, dims).tolist()
    samples: list[tuple[int, float]] = []
    from elasticsearch.serializer import OrjsonSerializer

    doc_id, body = segment(0, pool[0])  # bytes on the wire per document: what holding the whole batch would cost
    one_doc = len(OrjsonSerializer().dumps(check_document(IndexName.SEGMENTS, doc_id, body, {"text_vec": dims})))

    def generate():
        for i in range(docs):
            if i % 50_000 == 0:
                samples.append((i, round(rss_mb(), 1)))
            yield segment(i, pool[i % 1000])
        samples.append((docs, round(rss_mb(), 1)))

    peak = [rss_mb()]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], rss_mb())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    report = store.upsert(IndexName.SEGMENTS, generate())
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    store.close()
    assert report.written == docs and not report.failed, (report.written, report.failed[:3])
    after_first = [mb for n, mb in samples if n >= 50_000]
    return {"dims": dims, "docs": docs, "seconds": round(seconds, 1), "docs_per_s": round(docs / seconds),
            "rss_mb_samples": samples, "rss_peak_mb": round(peak[0], 1),
            "rss_growth_after_50k_mb": round(max(after_first) - min(after_first), 1) if after_first else None,
            "json_streamed_gb": round(one_doc * docs / 1e9, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000, help="documents per throughput run")
    parser.add_argument("--encode-docs", type=int, default=5_000)
    parser.add_argument("--stream-docs", type=int, default=1_000_000, help="documents in the memory run (0: skip)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "es_bulk.json")
    args = parser.parse_args()

    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "loadavg_start": os.getloadavg()}}
    result["encoding"] = [encoding(d, args.encode_docs) for d in (384, 512)]
    for e in result["encoding"]:
        print(f"encode {e['dims']}-d float32 arrays (what the store sends): orjson {e['orjson_us_per_doc']} µs/doc, "
              f"json {e['json_us_per_doc']} µs/doc → json/orjson = {e['json_over_orjson']}x; "
              f"{e['orjson_bytes_per_doc']} vs {e['json_bytes_per_doc']} B/doc")
        print(f"encode {e['dims']}-d Python lists: orjson {e['orjson_lists_us_per_doc']} µs/doc, "
              f"json {e['json_lists_us_per_doc']} µs/doc → json/orjson = {e['json_over_orjson_lists']}x")
    with tempfile.TemporaryDirectory() as tmp, ServerProcess() as url:
        folder = Path(tmp)
        result["throughput"] = [throughput(url, d, args.docs, t, folder) for d in (384, 512) for t in (1, 2)]
        for t in result["throughput"]:
            print(f"bulk {t['dims']}-d, {t['threads']} thread(s): {t['docs_per_s']} docs/s "
                  f"({t['docs']} docs in {t['seconds']} s)")
        if args.stream_docs:
            memory = streaming_memory(url, 384, args.stream_docs, folder)
            result["streaming_memory"] = memory
            print(f"stream {memory['docs']} docs (384-d, ~{memory['json_streamed_gb']} GB of JSON): RSS peak "
                  f"{memory['rss_peak_mb']} MB, growth after the first 50k "
                  f"{memory['rss_growth_after_50k_mb']} MB, "
                  f"{memory['docs_per_s']} docs/s")
    result["machine"]["loadavg_end"] = os.getloadavg()
    print(f"load average (1 min) at start {result['machine']['loadavg_start'][0]:.1f}, at end "
          f"{result['machine']['loadavg_end'][0]:.1f} on {os.cpu_count()} CPUs: a shared box, figures are floors")
    result["sizing"] = sizing_table(result["encoding"])
    for row in result["sizing"]:
        print(f"per 1M segments, {row['layout']}, {row['index_type']}: disk {row['disk_gb']} GB "
              f"(vectors {row['vector_disk_gb']} GB), RAM for kNN {row['knn_ram_gb']} GB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
