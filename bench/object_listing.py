"""Listing a bucket prefix of 100,000 keys: the product's listing streams, so its memory stays flat.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python bench/object_listing.py              # 10,000 and 100,000 keys
    PYTHONPATH=$PWD .venv/bin/python bench/object_listing.py --keys 20000 --small 2000 --no-ray
    PYTHONPATH=$PWD .venv/bin/python bench/object_listing.py --only "sharded Ray tasks" --out /tmp/sharded.json

The keys (``archive/<0-9>/programme_NNNNNNN.mp4``, every seventh a ``.json`` the listing skips) are served over
the S3 wire protocol on 127.0.0.1 by testkit's ListObjectsV2 page server (``testkit/s3_listing.py``: moto would
take ~40 minutes to take 100,000 puts and ~5 minutes per listing; tests/sources/test_listing_server.py checks
the page server answers the product's listing exactly as moto does). ``--server moto`` uses moto instead
(filled through its backend; slow above ~20,000 keys).

Each way of listing runs in its own child process, twice: once for the peak resident memory it adds (VmHWM
after a reset, minus VmRSS before the listing; nothing else runs in that process) and once for the Python heap
peak (tracemalloc, slower). Side by side, for a small and the full listing:
- streamed pages: the product's ``list_pages``, each page dropped once counted;
- sharded Ray tasks: what the ingest job does (``discover_objects``: one Ray task per sub-prefix, pages
  streamed back) — the driver's memory;
- all pages kept: the same listing held in a list (what the driver would hold if it kept every entry);
- fsspec find: s3fs's own recursive listing, the whole result in one dict.
Writes bench/results/object_listing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results"
EXTENSIONS = (".mp4",)
MODES = ("streamed pages", "sharded Ray tasks", "all pages kept", "fsspec find")


def _status(field: str) -> int:
    """A /proc/self/status figure in bytes (VmRSS: resident now; VmHWM: resident peak since the last reset)."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def child(mode: str, uri: str, endpoint: str, measure: str) -> dict:
    """One listing in this (fresh) process; prints what it measured as JSON."""
    import tracemalloc

    from ray_jobs.discover import Discovery, discover_objects
    from vidsearch.sources.objects import filesystem, list_pages
    from vidsearch.sources.settings import SourceSettings

    sources = SourceSettings(s3_endpoint_url=endpoint)
    fs, path = filesystem(uri, sources)
    next(iter(list_pages(uri, sources, EXTENSIONS)))  # warm-up: botocore loads its API models once
    if mode == "sharded Ray tasks":
        import ray

        for attempt in range(3):  # on this loaded machine the GCS sometimes misses its start-up deadline
            try:
                ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
                break
            except Exception as exc:  # Ray raises a bare Exception for it
                if "timed out during startup" not in str(exc) or attempt == 2:
                    raise
                ray.shutdown()
    runs = {
        "streamed pages": lambda: sum(len(p.entries) for p in list_pages(uri, sources, EXTENSIONS)),
        "sharded Ray tasks": lambda: sum(1 for _ in discover_objects(uri, sources, EXTENSIONS, Discovery())),
        "all pages kept": lambda: sum(len(p.entries) for p in list(list_pages(uri, sources, EXTENSIONS))),
        "fsspec find": lambda: sum(1 for name in fs.find(path) if name.endswith(EXTENSIONS)),
    }
    if measure == "heap":
        tracemalloc.start()
    else:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current resident size
    before = _status("VmRSS")
    started = time.perf_counter()
    keys = runs[mode]()
    seconds = time.perf_counter() - started
    if measure == "heap":
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        peak = _status("VmHWM") - before
    return {"keys": keys, "seconds": round(seconds, 2), "peak_mib": round(peak / 2**20, 1)}


def run_child(mode: str, uri: str, env: dict[str, str], measure: str) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--uri", uri, "--measure", measure]
    done = subprocess.run(command, env={**os.environ, **env, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} ({measure}) failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--server", choices=("pages", "moto"), default="pages")
    parser.add_argument("--no-ray", action="store_true", help="skip the sharded (Ray task) listing")
    parser.add_argument("--only", choices=MODES, action="append", help="run only this way of listing (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS / "object_listing.json")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=("rss", "heap"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.uri, os.environ["VIDSEARCH_SOURCES__S3_ENDPOINT_URL"],
                               args.measure)))
        return

    from testkit.s3_listing import ListingS3

    modes = [m for m in MODES if not (args.no_ray and m == "sharded Ray tasks") and (not args.only or m in args.only)]
    rows = []
    for keys in (args.small, args.keys):
        with ListingS3(args.server, keys) as server:
            print(f"{keys} keys served by {args.server} (ready in {server.start_s:.0f} s)")
            uri = f"s3://{server.bucket}/archive/"
            for mode in modes:
                rss = run_child(mode, uri, server.env(), "rss")
                heap = run_child(mode, uri, server.env(), "heap")
                row = {"keys_listed": keys, "how": mode, "videos": rss["keys"], "seconds": rss["seconds"],
                       "rss_peak_mib": rss["peak_mib"], "heap_peak_mib": heap["peak_mib"]}
                assert heap["keys"] == rss["keys"], (rss, heap)
                rows.append(row)
                print(f"  {mode:<20}{rss['keys']:>8} videos {rss['seconds']:>7.1f} s   resident +"
                      f"{rss['peak_mib']:>7.1f} MiB   Python heap peak {heap['peak_mib']:>7.1f} MiB", flush=True)
    print(f"\npeak memory, {args.keys} keys vs {args.small} keys (flat = ~1x):")
    for mode in modes:
        small, large = (next(r for r in rows if r["how"] == mode and r["keys_listed"] == k)
                        for k in (args.small, args.keys))
        print(f"  {mode:<20} resident {small['rss_peak_mib']:>6.1f} -> {large['rss_peak_mib']:>6.1f} MiB   "
              f"heap {small['heap_peak_mib']:>6.1f} -> {large['heap_peak_mib']:>6.1f} MiB "
              f"({large['heap_peak_mib'] / max(small['heap_peak_mib'], 0.1):.1f}x)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"server": args.server, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
