"""Fusion speed: 2-6 candidate lists x 1,000 candidates, vectorised fusion vs the plain-Python reference.

    .venv/bin/python bench/ranking_fusion_speed.py

Inputs are what the store returns (``Candidate`` objects with string segment ids) and, separately, lists already
in ``RankedList`` form. Each figure is the best of many repeats of CPU time (``time.process_time``), which on a
shared machine tracks the work done rather than the neighbours' load; wall-clock best-of is printed beside it.
Writes bench/results/ranking_fusion_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ranking.fusion import RankedList, as_ranked_lists, fuse, fuse_rrf, fuse_weighted  # noqa: E402
from ranking.fusion.reference import reference_rrf, reference_weighted  # noqa: E402
from vidsearch.store.base import Candidate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
NAMES = ["bm25_ko", "bm25_en", "text_vec", "clip_vec", "face", "credits_ko"]


def make_lists(count: int, size: int, seed: int) -> list[RankedList]:
    """Lists drawn from a pool of 3x ``size`` segment ids, so lists overlap as retrievers over one index do."""
    rng = np.random.default_rng(seed)
    pool = [f"{v:016x}.s{s:04d}" for v in rng.integers(0, 2**63, size // 10) for s in range(30)]
    out = []
    for name in NAMES[:count]:
        ids = [pool[i] for i in rng.choice(len(pool), size, replace=False)]
        scale = 25.0 if name.startswith("bm25") else 1.0
        out.append(RankedList(name, ids, np.sort(rng.random(size) * scale)[::-1].copy()))
    return out


def best_of(fn, repeats: int, number: int) -> tuple[float, float]:
    """(best CPU ms, best wall ms) per call."""
    cpu = min(timeit.Timer(fn, timer=time.process_time).repeat(repeats, number)) / number
    wall = min(timeit.Timer(fn, timer=time.perf_counter).repeat(repeats, number)) / number
    return cpu * 1e3, wall * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rows = []
    print(f"{'lists':>5} {'method':<9} {'fuse ms':>9} {'+Candidates':>12} {'top-10 explain':>15} "
          f"{'reference ms':>13} {'ratio':>7}   (CPU best-of; wall best-of in JSON)")
    for count in range(2, 7):
        lists = make_lists(count, args.size, seed=count)
        candidates = {lst.name: [Candidate(i, float(s)) for i, s in zip(lst.ids, lst.scores, strict=True)]
                      for lst in lists}
        pairs = {lst.name: list(zip(lst.ids, lst.scores.tolist(), strict=True)) for lst in lists}
        weights = {lst.name: 1.0 / count for lst in lists}
        for method, vectorised, reference in (
            ("weighted", lambda ls=lists, w=weights: fuse_weighted(ls, w),
             lambda p=pairs, w=weights: reference_weighted(p, w)),
            ("rrf", lambda ls=lists, w=weights: fuse_rrf(ls, w), lambda p=pairs, w=weights: reference_rrf(p, w)),
        ):
            assert vectorised().ids == [d for d, _ in reference()]  # same ranking before timing it
            fast_cpu, fast_wall = best_of(vectorised, args.repeats, 20)
            from_candidates = best_of(lambda m=method, c=candidates, w=weights: fuse(c, method=m, weights=w),
                                      args.repeats, 20)
            explained = best_of(lambda v=vectorised: v().explanations(10), args.repeats, 20)
            slow_cpu, slow_wall = best_of(reference, max(5, args.repeats // 3), 5)
            rows.append({"lists": count, "candidates_per_list": args.size, "method": method,
                         "union": len(vectorised().ids), "fuse_cpu_ms": round(fast_cpu, 3),
                         "fuse_wall_ms": round(fast_wall, 3),
                         "fuse_from_candidates_cpu_ms": round(from_candidates[0], 3),
                         "fuse_and_explain_top10_cpu_ms": round(explained[0], 3),
                         "reference_cpu_ms": round(slow_cpu, 3), "reference_wall_ms": round(slow_wall, 3),
                         "speedup": round(slow_cpu / fast_cpu, 1), "target_1ms_met": fast_cpu <= 1.0})
            r = rows[-1]
            print(f"{count:>5} {method:<9} {r['fuse_cpu_ms']:>9.3f} {r['fuse_from_candidates_cpu_ms']:>12.3f} "
                  f"{r['fuse_and_explain_top10_cpu_ms']:>15.3f} {r['reference_cpu_ms']:>13.3f} "
                  f"{r['speedup']:>6.1f}x")
    conversion = best_of(lambda: as_ranked_lists(candidates), args.repeats, 20)[0]
    print(f"Candidate objects → RankedList for 6 x {args.size}: {conversion:.3f} ms CPU")
    load = os.getloadavg()
    result = {"machine": {"cpus": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in load]},
              "rows": rows, "candidates_to_ranked_lists_6_lists_cpu_ms": round(conversion, 3)}
    path = RESULTS / "ranking_fusion_speed.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path} (load average {load[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
