"""Listing a bucket prefix of 100,000 keys: memory stays flat because pages stream.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python bench/object_listing.py                 # 100,000 keys
    PYTHONPATH=$PWD .venv/bin/python bench/object_listing.py --keys 20000 --small 2000

A real S3 HTTP server (moto, on 127.0.0.1) holds ``--keys`` objects under ten sub-prefixes. Side by side, for a
small and the full listing: the streamed listing (``list_pages``), the sharded listing the ingest job uses (one
Ray task per sub-prefix, pages streamed back, ``discover_objects``) and, for contrast, fsspec's ``find`` (the
whole listing in one list). Reported: Python heap peak (tracemalloc) of the consuming process while each runs,
keys seen and keys/s. Writes bench/results/object_listing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ray_jobs.discover import Discovery, discover_objects  # noqa: E402
from testkit.s3 import MotoS3  # noqa: E402
from vidsearch.sources.objects import filesystem, list_pages  # noqa: E402
from vidsearch.sources.settings import SourceSettings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
EXTENSIONS = (".mp4",)


def fill(s3: MotoS3, bucket: str, keys: int) -> None:
    client = s3.client()
    client.create_bucket(Bucket=bucket)

    def put(start: int) -> None:
        for i in range(start, min(start + 500, keys)):
            client.put_object(Bucket=bucket, Key=f"archive/{i % 10}/programme_{i:07d}.mp4", Body=b"")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(0, keys, 500)))


def measure(label: str, run) -> dict:
    tracemalloc.start()
    started = time.perf_counter()
    seen = run()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row = {"how": label, "keys": seen, "seconds": round(seconds, 1), "keys_per_s": round(seen / seconds),
           "heap_peak_mib": round(peak / 2**20, 1)}
    print(f"  {label:<34}{seen:>9} keys {seconds:>7.1f} s {row['keys_per_s']:>8} keys/s "
          f"heap peak {row['heap_peak_mib']:>7.1f} MiB")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--no-ray", action="store_true", help="skip the sharded (Ray task) listing")
    args = parser.parse_args()
    rows = []
    with MotoS3() as s3:
        os.environ.update(s3.env())  # the provider chain of this process and of the Ray workers it starts
        sources = SourceSettings(s3_endpoint_url=s3.url)
        if not args.no_ray:
            import ray

            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        for keys in (args.small, args.keys):
            bucket = f"listing-{keys}"
            started = time.perf_counter()
            fill(s3, bucket, keys)
            print(f"{keys} keys put in {time.perf_counter() - started:.0f} s")
            uri = f"s3://{bucket}/archive/"
            next(iter(list_pages(uri, sources, EXTENSIONS)))  # warm-up: botocore loads its API models once
            rows.append(measure(f"streamed pages ({keys})", lambda: sum(
                len(p.entries) for p in list_pages(uri, sources, EXTENSIONS))))
            if not args.no_ray:
                rows.append(measure(f"sharded Ray tasks ({keys})", lambda: sum(
                    1 for _ in discover_objects(uri, sources, EXTENSIONS, Discovery()))))
            fs, path = filesystem(uri, sources)
            rows.append(measure(f"fsspec find, all at once ({keys})", lambda: len(fs.find(path))))
    small = {r["how"].split(" (")[0]: r["heap_peak_mib"] for r in rows[: len(rows) // 2]}
    large = {r["how"].split(" (")[0]: r["heap_peak_mib"] for r in rows[len(rows) // 2:]}
    print(f"\nheap peak, {args.keys} keys / {args.small} keys:")
    for how in small:
        print(f"  {how:<28}{large[how] / max(small[how], 0.01):>6.2f}x")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "object_listing.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
