"""The two reindex copy paths side by side on the fault server: through vidsearch (every document and vector
read through a point in time and bulk-written back) vs Elasticsearch's own ``_reindex`` task (vidsearch only
starts and polls it). Also the request counts of a build-mode ingest (refreshes and delete-by-query per build).

What is measured is what crosses the wire between vidsearch and the cluster — requests and bytes each way, as the
fault server counts them — and the client's wall time. The stand-in copies a server-side task in-process, so its
wall time says nothing about a real cluster's reindex speed; the wire figures are what the choice of path changes.
The two paths run in the same process, on identical fresh servers, one after the other.

    nice -n 10 python bench/es_reindex_paths.py               # 5,000 segments with 384-d vectors
    nice -n 10 python bench/es_reindex_paths.py --docs 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.elasticsearch.fault_server import FaultServer  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.schema import IndexName  # noqa: E402
from vidsearch.store.base import VideoBundle  # noqa: E402
from vidsearch.store.elasticsearch import reindex  # noqa: E402
from vidsearch.store.elasticsearch.backend import ElasticsearchStore  # noqa: E402

SEG = IndexName.SEGMENTS
ENCODERS = {"text": {"id": "bench-encoder", "dims": 384}}
FAST = {"build_check_s": 0.0, "reindex_poll_s": 0.001, "initial_backoff_s": 0.01}


def _settings(url: str, tmp: str, **es) -> Settings:
    return Settings(data_dir=Path(tmp) / "data", es_url=url, es={**FAST, **es}, log_level="WARNING")


def _fill(store: ElasticsearchStore, docs: int) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((docs, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.upsert(SEG, ((f"v{i // 100}.s{i % 100:05d}", {"video_id": f"v{i // 100}", "index": i % 100,
                                                          "start_s": float(i), "end_s": float(i + 1),
                                                          "ocr_text": f"장면 {i} scene {i}", "text_vec": vectors[i]})
                       for i in range(docs)))


def copy_paths(docs: int) -> None:
    rows = []
    for path in ("client", "server"):
        with FaultServer(record=False) as srv, tempfile.TemporaryDirectory() as tmp:
            store = ElasticsearchStore(_settings(srv.url, tmp))
            store.ensure_indices(ENCODERS)
            _fill(store, docs)
            reindex.begin(store, ENCODERS, [SEG])
            before = (srv.counters.requests, srv.counters.bytes_in, srv.counters.bytes_out)
            started = time.perf_counter()
            if path == "client":
                report = reindex.copy_live(store, SEG)
                assert report.written == docs and not report.failed
            else:
                result = reindex.copy_server_side(store, SEG)
                assert result["created"] == docs
            wall = time.perf_counter() - started
            c = srv.counters
            rows.append((path, c.requests - before[0], c.bytes_in - before[1], c.bytes_out - before[2], wall))
            assert len(srv.state.indices["vidsearch-segments-v2"].docs) == docs
            store.close()
    print(f"\ncopy of {docs} segments (384-d vectors), both paths on identical fresh fault servers")
    print(f"{'path':<8}{'requests':>10}{'MB sent':>10}{'MB received':>13}{'client s':>10}")
    for path, requests, sent, received, wall in rows:
        print(f"{path:<8}{requests:>10}{sent / 1e6:>10.2f}{received / 1e6:>13.2f}{wall:>10.2f}")
    (_, rc, sc, oc, _), (_, rs, ss, os_, _) = rows
    print(f"client/server ratio: requests {rc / rs:.0f}x, bytes over the wire {(sc + oc) / max(1, ss + os_):.0f}x")


def build_mode(videos: int) -> None:
    with FaultServer(record=False) as srv, tempfile.TemporaryDirectory() as tmp:
        operator = ElasticsearchStore(_settings(srv.url, tmp))
        operator.ensure_indices(ENCODERS)
        reindex.begin(operator, ENCODERS, list(IndexName))
        job = ElasticsearchStore(_settings(srv.url, tmp, write_versions={i.value: 2 for i in IndexName}))
        srv.counters.paths.clear()
        for n in range(videos):
            job.commit_video(VideoBundle(f"v{n}", {"path": f"/a/v{n}.mp4", "content_hash": f"h{n}"},
                                         {SEG: [(f"v{n}.s{i:05d}", {"video_id": f"v{n}", "index": i})
                                                for i in range(10)]}, frozenset({SEG})))
        during = dict(srv.counters.paths)
        reindex.finish(operator)
        after = {p: n - during.get(p, 0) for p, n in srv.counters.paths.items()}

        def count(paths: dict[str, int], suffix: str) -> int:
            return sum(n for p, n in paths.items() if p.endswith(suffix) and "-v2" in p)

        print(f"\nbuild-mode ingest of {videos} videos (10 segments each) into new versions of every index")
        print(f"{'':<22}{'refresh':>8}{'delete_by_query':>17}{'bulk':>6}")
        print(f"{'during the commits':<22}{count(during, '/_refresh'):>8}{count(during, '/_delete_by_query'):>17}"
              f"{during.get('/_bulk', 0):>6}")
        print(f"{f'finish ({len(IndexName)} indices)':<22}{count(after, '/_refresh'):>8}{count(after, '/_delete_by_query'):>17}"
              f"{after.get('/_bulk', 0):>6}")
        job.close()
        operator.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--videos", type=int, default=20)
    args = parser.parse_args()
    copy_paths(args.docs)
    build_mode(args.videos)


if __name__ == "__main__":
    main()
