"""`vidsearch es reindex` while an ingest job and deletes keep going: nothing lost, nothing resurrected.

Two writer threads (each an ``ElasticsearchStore`` of its own, as an ingest job has) commit new videos, re-commit
videos with fewer or more segments and new text, delete videos and single segments — through the fault server,
with bulk items answered 429 and whole bulk requests 502 — while `vidsearch es reindex` runs as a separate process
(begin, copy, swap). The writers keep going until well after the swap, so writes land before the new version
exists, while it is copied, and after it serves.

The oracle does not share the pipeline's assumptions: every operation the writers performed is logged and
replayed, one at a time and without faults, on a second fault server, which is then rebuilt by a quiet reindex.
Both clusters must hold, behind every alias, exactly the same ids with exactly the same contents.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from typing import Any

import orjson
import pytest

from tests.conftest import REPO
from tests.store.es.sample import ENCODERS, es_settings, segment, unit_vectors, video_body
from testkit.elasticsearch.fault_server import FaultServer
from vidsearch.errors import StoreError
from vidsearch.schema import IndexName
from vidsearch.store.base import VideoBundle
from vidsearch.store.elasticsearch import reindex
from vidsearch.store.elasticsearch.backend import ElasticsearchStore

Op = tuple[Any, ...]
VECTORS = unit_vectors(64, seed=3)


def _bundle(video: str, segments: int, credits: int, rev: int) -> VideoBundle:
    segs = [segment(i, video, vector=VECTORS[(i + rev) % len(VECTORS)], ocr_text=f"{video} rev {rev} scene {i}")
            for i in range(segments)]
    creds = [(f"{video}.c{i:04d}", {"video_id": video, "time_s": float(i), "role_text": "촬영감독",
                                    "name": f"name {rev}.{i}"}) for i in range(credits)]
    body = {**video_body(video), "stages": {"shots": str(rev)}}
    return VideoBundle(video, body, {IndexName.SEGMENTS: segs, IndexName.CREDITS: creds},
                       frozenset({IndexName.SEGMENTS, IndexName.CREDITS}))


def apply(store: ElasticsearchStore, op: Op) -> None:
    """One operation, redone until it went through (as the ingest job redoes a video it could not commit)."""
    for _ in range(20):
        try:
            if op[0] == "commit":
                report = store.commit_video(_bundle(*op[1:]))
                if not report.failed:
                    return
            elif op[0] == "delete_video":
                store.delete_video(op[1])
                return
            else:
                store.delete(IndexName.SEGMENTS, [op[1]])
                return
        except StoreError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"{op} never went through")


def _next_op(rng: random.Random, owned: dict[str, int], thread: int, fresh: list[int]) -> Op:
    videos = sorted(owned)
    roll = rng.random()
    if not videos or roll < 0.3:
        fresh[0] += 1
        video = f"t{thread}v{fresh[0]:03d}"
        return ("commit", video, rng.randint(1, 9), rng.randint(0, 3), rng.randint(0, 99))
    video = rng.choice(videos)
    if roll < 0.65:  # re-analysed: fewer or more segments, new text
        return ("commit", video, rng.randint(1, 9), rng.randint(0, 3), rng.randint(0, 99))
    if roll < 0.8:
        return ("delete_video", video)
    return ("delete_segment", f"{video}.s{rng.randrange(max(1, owned[video])):05d}")


def _track(owned: dict[str, int], op: Op) -> None:
    if op[0] == "commit":
        owned[op[1]] = op[2]
    elif op[0] == "delete_video":
        owned.pop(op[1], None)


def _phase(srv: FaultServer) -> str:
    new = [name for name in srv.state.indices if name.startswith("vidsearch-segments-v") and name != "vidsearch-segments-v1"]
    if not new:
        return "before"
    return "after" if srv.state.indices[new[0]].aliases else "building"


def _snapshot(srv: FaultServer) -> dict[str, dict[str, Any]]:
    """alias → {id: source} of the one index behind it."""
    out = {}
    for index in IndexName:
        alias = f"vidsearch-{index.value}"
        behind = [i for i in srv.state.indices.values() if alias in i.aliases]
        assert len(behind) == 1, f"{alias} points at {[i.name for i in behind]}"
        out[alias] = {doc_id: orjson.loads(raw) for doc_id, (_, raw) in behind[0].docs.items()}
    return out


def _seed(store: ElasticsearchStore, threads: int) -> list[Op]:
    ops = [("commit", f"t{t}v{j:03d}", 3 + j, j % 3, 0) for t in range(threads) for j in range(6)]
    for op in ops:
        apply(store, op)
    return ops


@pytest.mark.slow
@pytest.mark.parametrize("copy, indices", [("client", []), ("server", []), ("client", ["segments"]),
                                            ("server", ["segments"])])
def test_reindex_during_ingest_and_deletes_matches_a_quiet_rebuild(tmp_path, copy, indices):
    threads = 2
    with FaultServer(record=False) as busy, FaultServer(record=False) as quiet:
        setup = ElasticsearchStore(es_settings(busy.url, tmp_path))
        setup.ensure_indices(ENCODERS)
        seeded = _seed(setup, threads)
        busy.inject(item_429_rate=0.08, request_502_rate=0.02, seed=11)
        logs: list[list[Op]] = [[] for _ in range(threads)]
        phases: list[set[str]] = [set() for _ in range(threads)]
        swapped = threading.Event()
        errors: list[BaseException] = []

        def writer(t: int) -> None:
            store = ElasticsearchStore(es_settings(busy.url, tmp_path))
            rng = random.Random(100 + t)
            owned = {op[1]: op[2] for op in seeded if op[1].startswith(f"t{t}")}
            fresh, after = [5], 0
            try:
                for _ in range(2000):  # bounded: stops ~15 operations after the swap
                    op = _next_op(rng, owned, t, fresh)
                    phases[t].add(_phase(busy))
                    apply(store, op)
                    logs[t].append(op)
                    _track(owned, op)
                    after += swapped.is_set()
                    if after > 15:
                        break
                    time.sleep(0.005)
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                errors.append(exc)
            finally:
                store.close()

        workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        time.sleep(0.3)  # writes land before the new version exists, too
        env = {**os.environ, "PYTHONPATH": str(REPO), "VIDSEARCH_ES_URL": busy.url,
               "VIDSEARCH_DATA_DIR": str(tmp_path / "cli"), "VIDSEARCH_LOG_LEVEL": "WARNING",
               "VIDSEARCH_ES__BUILD_CHECK_S": "0.05", "VIDSEARCH_ES__INITIAL_BACKOFF_S": "0.005",
               "VIDSEARCH_ES__MAX_BACKOFF_S": "0.05", "VIDSEARCH_ES__REINDEX_POLL_S": "0.02",
               "VIDSEARCH_ES__REINDEX_BATCH_SIZE": "7"}
        args = [sys.executable, "-m", "vidsearch", "es", "reindex", "--copy", copy]
        args += [a for name in indices for a in ("--index", name)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
        swapped.set()
        for w in workers:
            w.join(timeout=120)
        assert not errors, errors
        assert done.returncode == 0, done.stdout + done.stderr
        assert "vidsearch-segments-v1 → vidsearch-segments-v2" in done.stdout
        for t in range(threads):  # each writer wrote before, during and after the build
            assert phases[t] >= {"before", "building", "after"}, phases[t]
        assert busy.counters.injected["item_429"] > 0 and busy.counters.injected[502] > 0
        setup.close()

        reference = ElasticsearchStore(es_settings(quiet.url, tmp_path))
        reference.ensure_indices(ENCODERS)
        for op in seeded + [op for log in logs for op in log]:
            apply(reference, op)
        chosen = [IndexName(i) for i in indices] or list(IndexName)
        reindex.begin(reference, ENCODERS, chosen)
        for index in chosen:
            reindex.copy_live(reference, index)
        reindex.finish(reference, chosen)
        reference.close()

        got, want = _snapshot(busy), _snapshot(quiet)
        for alias in want:
            missing, extra = set(want[alias]) - set(got[alias]), set(got[alias]) - set(want[alias])
            assert not missing and not extra, f"{alias}: lost {sorted(missing)[:5]}, resurrected {sorted(extra)[:5]}"
            changed = [i for i in want[alias] if got[alias][i] != want[alias][i]]
            assert not changed, f"{alias}: different contents for {changed[:5]}"
        assert sum(len(v) for v in want.values()) > 50
        stray = [n for n in busy.state.indices if not n.startswith(tuple(f"vidsearch-{i.value}-v" for i in IndexName))
                 and n != "vidsearch-reindex-ledger"]
        assert not stray, f"indices nobody created on purpose: {stray}"
