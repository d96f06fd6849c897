"""Ingest throughput: the shot + metadata pipeline at 1 frame/s against the decode-only limit of the same files,
and Ray scaling with 2 workers against 1.

    .venv/bin/python bench/ingest_throughput.py                  # 4 videos x 120 s, 720p H.264
    .venv/bin/python bench/ingest_throughput.py --videos 6 --seconds 60
    .venv/bin/python bench/ingest_throughput.py --loops 15 --scaling-only   # 4 x 30 min: Ray scaling only

Everything is measured side by side in one run (this machine is shared and noisy; ratios hold better than
absolute times). Ray is started before timing (a cluster is up before a job); each ingest run includes planning
(ffprobe + SHA-256), actor start-up, decoding, analysis and the store commit. The decode-only limit decodes every
frame; ingest's shot sampling skips B-frames by default (``media.skip_b_frames``), so it is also run with every
frame decoded, side by side. Writes bench/results/ingest_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ray  # noqa: E402
from ray.data import DataContext  # noqa: E402

from ray_jobs.ingest import run_ingest  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.media.frames import Cv2FrameSource, ReferenceFrameSampler, decode_all  # noqa: E402
from vidsearch.media.synth import Scene, render_scenes  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PALETTE = [((20, 30, 90), (90, 40, 120)), ((200, 120, 30), (240, 200, 80)), ((30, 140, 60), (150, 210, 90)),
           ((120, 20, 20), (220, 90, 90)), ((10, 10, 10), (90, 90, 90)), ((40, 120, 200), (200, 230, 250))]


def make_videos(folder: Path, count: int, seconds: float, height: int) -> list[Path]:
    size = (height * 16 // 9 // 2 * 2, height)
    paths = []
    for v in range(count):
        scenes = [Scene((f"프로그램 {v} 장면 {s}", f"programme {v} scene {s}"), *PALETTE[(v + s) % len(PALETTE)], 10.0)
                  for s in range(int(seconds // 10))]
        paths.append(render_scenes(folder / f"programme_{v}.mp4", scenes, size=size, fps=25, preset="veryfast"))
    return paths


def loop_videos(clips: list[Path], loops: int) -> list[Path]:
    """Long programmes without rendering them: video i is the clips concatenated ``loops`` times starting at
    clip i (stream copy, so it takes seconds); each has its own bytes, so none is a duplicate of another."""
    if loops <= 1:
        return clips
    long = []
    for i, clip in enumerate(clips):
        order = [clips[(i + k) % len(clips)] for k in range(loops)]
        listing = clip.with_suffix(".txt")
        listing.write_text("".join(f"file '{p}'\n" for p in order))
        target = clip.with_name(f"long_{clip.name}")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                        "-c", "copy", str(target)], check=True)
        long.append(target)
    return long


def decode_only(paths: list[Path]) -> float:
    """Plain decode loop: every frame decoded (grab), one process, one decoder thread."""
    started = time.perf_counter()
    for path in paths:
        decode_all(path, threads=1)
    return time.perf_counter() - started


def decode_sampled(paths: list[Path], sampler: type[Cv2FrameSource] = Cv2FrameSource) -> float:
    """The decode work ingest does at 1 frame/s: OpenCV grabs every frame and converts one per second; the
    reference sampler decodes only I/P frames."""
    started = time.perf_counter()
    for path in paths:
        for _ in sampler(path, threads=1).sample(1.0, width=320):
            pass
    return time.perf_counter() - started


def _decode_many(paths: list[str]) -> None:  # a spawned process's target must be a module-level function
    decode_only(paths)


def _sample_many(paths: list[str]) -> None:
    decode_sampled(paths, ReferenceFrameSampler)


def decode_parallel(paths: list[Path], processes: int, work=_decode_many) -> float:
    """The decode-only limit with ``processes`` processes (what 2 Ray workers compete with); ``work=_sample_many``
    does the shots stage's decoding instead (I/P frames only), the machine's own ceiling for 2 workers vs 1."""
    chunks = [[str(p) for p in paths[i::processes]] for i in range(processes)]
    ctx = mp.get_context("spawn")
    started = time.perf_counter()
    procs = [ctx.Process(target=work, args=(chunk,)) for chunk in chunks]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return time.perf_counter() - started


def ingest(paths: list[Path], workers: int, skip_b_frames: bool = True) -> tuple[float, dict]:
    """Wall seconds and the job summary (stage seconds, phases, per-actor spans)."""
    data = Path(tempfile.mkdtemp(prefix="vidsearch-bench-ingest-"))
    try:
        settings = Settings(data_dir=data, ingest={"stages": ["shots", "metadata"]},
                            media={"skip_b_frames": skip_b_frames},
                            ray={"workers": workers, "progress_bars": False}, log_level="WARNING")
        summary = run_ingest([str(p) for p in paths], settings)
        assert summary.videos_ok == len(paths), summary.videos_failed
        trace = {"phases": summary.phases, "workers": summary.workers, "stage_seconds": summary.stage_seconds}
        print(f"  ingest, {workers} worker(s): {summary.wall_s:.1f} s — {json.dumps(trace)}", flush=True)
        return summary.wall_s, trace
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--loops", type=int, default=1, help="make each video this many clips long")
    parser.add_argument("--scaling-only", action="store_true", help="only ingest with 1 and with 2 workers")
    parser.add_argument("--repeats", type=int, default=1, help="with --scaling-only: alternate 1 and 2 workers "
                        "this many times and report every ratio and the median")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="vidsearch-bench-videos-"))
    try:
        print(f"rendering {args.videos} x {args.seconds:.0f} s at {args.height}p …", flush=True)
        clips = make_videos(folder, args.videos, args.seconds, args.height)
        paths = loop_videos(clips, args.loops)
        video_s = args.videos * args.seconds * args.loops
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        DataContext.get_current().enable_progress_bars = False
        ingest(clips[:1], 1)  # warm Ray's worker pool before timing
        for path in paths:  # and the page cache
            path.read_bytes()
        if args.scaling_only:
            ratios, ceilings = [], []
            for _ in range(args.repeats):  # side by side, alternating: the machine's load drifts
                ingest_1, trace_1 = ingest(paths, workers=1)
                ingest_2, trace_2 = ingest(paths, workers=2)
                ratios.append(round(ingest_1 / ingest_2, 2))
                if args.loops <= 2:  # the same decoding in plain processes, 2 vs 1 (minutes on long videos)
                    plain_1 = decode_parallel(paths, 1, _sample_many)
                    ceilings.append(round(plain_1 / decode_parallel(paths, 2, _sample_many), 2))
                    print(f"  2 vs 1: Ray ingest {ratios[-1]}, plain I/P-frame decoding {ceilings[-1]}", flush=True)
            result = {"videos": args.videos, "seconds_each": args.seconds * args.loops, "height": args.height,
                      "video_seconds_per_wall_second": {"ingest_1_worker": round(video_s / ingest_1, 1),
                                                        "ingest_2_workers": round(video_s / ingest_2, 1)},
                      "ratios": {"ray_2_workers_vs_1": float(sorted(ratios)[len(ratios) // 2]),
                                 "ray_2_workers_vs_1_each_run": ratios,
                                 "plain_processes_2_vs_1_same_decoding_each_run": ceilings},
                      "wall_s": {"ingest_1": ingest_1, "ingest_2": ingest_2},
                      "trace_1_worker": trace_1, "trace_2_workers": trace_2,
                      "load_average": round(os.getloadavg()[0], 1)}
            print(json.dumps(result, indent=2))
            name = f"ingest_scaling_{args.videos}x{args.seconds * args.loops:.0f}s.json"
            (RESULTS / name).write_text(json.dumps(result, indent=2))
            return

        decode_1 = decode_only(paths)
        sampled_1 = decode_sampled(paths)
        sampled_ip_1 = decode_sampled(paths, ReferenceFrameSampler)
        ingest_all_1, _ = ingest(paths, workers=1, skip_b_frames=False)
        ingest_1, trace_1 = ingest(paths, workers=1)
        decode_2 = decode_parallel(paths, 2)
        ingest_2, trace_2 = ingest(paths, workers=2)

        result = {
            "videos": args.videos, "seconds_each": args.seconds, "height": args.height,
            "video_seconds_per_wall_second": {
                "decode_only_1proc": round(video_s / decode_1, 1),
                "decode_at_1fps_1proc": round(video_s / sampled_1, 1),
                "decode_at_1fps_i_p_frames_only_1proc": round(video_s / sampled_ip_1, 1),
                "ingest_1_worker_every_frame_decoded": round(video_s / ingest_all_1, 1),
                "ingest_1_worker": round(video_s / ingest_1, 1),
                "decode_only_2proc": round(video_s / decode_2, 1),
                "ingest_2_workers": round(video_s / ingest_2, 1),
            },
            "ratios": {
                "ingest_vs_decode_only_1_worker": round(decode_1 / ingest_1, 2),
                "ingest_every_frame_decoded_vs_decode_only_1_worker": round(decode_1 / ingest_all_1, 2),
                "ingest_vs_decode_only_2_workers": round(decode_2 / ingest_2, 2),
                "shots_stage_vs_decode_only": round(decode_1 / sum(trace_1["stage_seconds"].values()), 2),
                "ray_2_workers_vs_1": round(ingest_1 / ingest_2, 2),
            },
            "wall_s": {"decode_1": round(decode_1, 1), "sampled_1": round(sampled_1, 1),
                       "sampled_i_p_1": round(sampled_ip_1, 1), "ingest_every_frame_1": ingest_all_1,
                       "ingest_1": ingest_1,
                       "decode_2": round(decode_2, 1), "ingest_2": ingest_2},
            "trace_1_worker": trace_1,
            "trace_2_workers": trace_2,
            "load_average": round(os.getloadavg()[0], 1),
        }
        print(json.dumps(result, indent=2))
        (RESULTS / "ingest_throughput.json").write_text(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if ray.is_initialized():
            ray.shutdown()


if __name__ == "__main__":
    main()
