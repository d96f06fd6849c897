"""What locating credit sections costs on video without credits, per hour — and what it would cost to decode every
frame instead (the ratio the keyframe scan buys). Also counts false sections (there are no credits to find).

Footage: synthetic programme pictures (moving colour, shapes, a subtitle every 20 s) at 720p and 1080p, 25 fps,
keyframes every 1 s (typical of broadcast H.264), and the real 10-s dev clip (short_hamilton_clip.mp4) looped and
scaled to 720p. Minutes are measured and scaled to an hour. Results go to bench/results/credits_locate.json.

    nice -n 10 python bench/credits_locate.py --minutes 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import shared_eval  # noqa: E402
from testkit.credits.filler import FillerSpec, Subtitle  # noqa: E402
from testkit.credits.render import render_footage  # noqa: E402
from vidsearch.credits.sections import CreditLocator, text_lines  # noqa: E402
from vidsearch.credits.settings import CreditSettings  # noqa: E402
from vidsearch.media.frames import Cv2FrameSource, resize_to_width  # noqa: E402
from vidsearch.media.probe import probe_video  # noqa: E402
from vidsearch.ocr.heatmap import DbTextDetector  # noqa: E402

SUBTITLE_LINES = ("이제 어디로 가야 하죠?", "We should leave before dark.", "오늘 정말 고마웠어요",
                  "Nobody told me about this.")


def synthetic(path: Path, minutes: float, height: int) -> Path:
    if path.is_file():
        return path
    seconds = minutes * 60
    subtitles = [Subtitle(start_s=t, end_s=t + 5, text=SUBTITLE_LINES[i % len(SUBTITLE_LINES)])
                 for i, t in enumerate(range(5, int(seconds) - 6, 20))]
    return render_footage(FillerSpec(seconds=seconds, seed=height, subtitles=subtitles), path,
                          height * 16 // 9, height, fps=25, keyframe_interval_s=1.0)


def looped_real_clip(path: Path, minutes: float) -> Path:
    if path.is_file():
        return path
    clip = shared_eval() / "dev" / "faces" / "face_recognition_examples" / "examples" / "short_hamilton_clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(clip), "-t", str(minutes * 60),
                    "-vf", "scale=1280:720", "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-g", "25", "-pix_fmt", "yuv420p", "-an", str(path)], check=True)
    return path


def decode_everything(path: Path, settings: CreditSettings, detector: DbTextDetector) -> tuple[float, int]:
    """The naive scan: decode the whole file, look at one frame per scan interval."""
    started = time.perf_counter()
    flagged = 0
    for frame in Cv2FrameSource(path).sample(1.0 / settings.scan_interval_s, width=settings.scan_width):
        [heatmap] = detector.heatmaps([resize_to_width(frame.image, settings.scan_width)])
        flagged += text_lines(heatmap, settings.scan_threshold, settings.subtitle_zone) >= settings.min_text_lines
    return time.perf_counter() - started, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/vidsearch-credit-locate"))
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "credits_locate.json")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    settings = CreditSettings()
    detector = DbTextDetector(max_side=settings.scan_width)
    # the scan as the pipeline builds it: with its second, wider look at busy pictures that show too few lines
    locator = CreditLocator(settings, detector, DbTextDetector(max_side=settings.scan_wide_width))
    videos = {
        "synthetic-720p": synthetic(args.work / f"synthetic-720-{args.minutes:g}m.mp4", args.minutes, 720),
        "synthetic-1080p": synthetic(args.work / f"synthetic-1080-{args.minutes:g}m.mp4", args.minutes, 1080),
        "real-clip-looped-720p": looped_real_clip(args.work / f"hamilton-720-{args.minutes:g}m.mp4", args.minutes),
    }
    locator.scan(videos["synthetic-720p"], 10.0)  # warm the detector session up once
    rows = {}
    for name, path in videos.items():
        duration = probe_video(path, with_hash=False).duration_s
        report = locator.scan(path, duration)
        # the scan without its look past each keyframe (scan_lookahead_s = 0), side by side: what the look costs
        bare = CreditLocator(settings.model_copy(update={"scan_lookahead_s": 0.0}), detector).scan(path, duration)
        # and without the wider look (scan_wide_width = 0), side by side: what the second look costs
        narrow = CreditLocator(settings.model_copy(update={"scan_wide_width": 0}), detector).scan(path, duration)
        naive_s, naive_flagged = decode_everything(path, settings, detector)
        rows[name] = {
            "video_seconds": round(duration, 1),
            "scan_seconds": round(report.seconds, 2),
            "seconds_per_hour": round(report.seconds * 3600 / duration, 1),
            "share_of_real_time": round(report.seconds / duration, 5),
            "samples": len(report.samples), "keyframe_mode": report.keyframe_mode,
            "false_sections": len(report.sections),
            "credit_like_samples": sum(s.credit_like for s in report.samples),
            "keyframes_alone_seconds_per_hour": round(bare.seconds * 3600 / duration, 1),
            "lookahead_over_keyframes_alone": round(report.seconds / bare.seconds, 2),
            "without_wide_look_seconds_per_hour": round(narrow.seconds * 3600 / duration, 1),
            "wide_look_over_without": round(report.seconds / narrow.seconds, 2),
            "false_sections_without_wide_look": len(narrow.sections),
            "decode_everything_seconds_per_hour": round(naive_s * 3600 / duration, 1),
            "decode_everything_over_keyframes": round(naive_s / report.seconds, 1),
            "decode_everything_credit_like": naive_flagged,
        }
        print(f"{name:24s} {rows[name]['seconds_per_hour']:7.1f} s per hour of video "
              f"(decode-everything {rows[name]['decode_everything_seconds_per_hour']:.0f} s/h, "
              f"{rows[name]['decode_everything_over_keyframes']}x; keyframes alone, no look past them "
              f"{rows[name]['keyframes_alone_seconds_per_hour']:.1f} s/h; without the wider look "
              f"{rows[name]['without_wide_look_seconds_per_hour']:.1f} s/h, {rows[name]['wide_look_over_without']}x); "
              f"{len(report.samples)} samples; false sections {len(report.sections)} "
              f"({len(narrow.sections)} without the wider look)", flush=True)
    result = {"minutes_per_video": args.minutes, "scan_interval_s": settings.scan_interval_s,
              "scan_width": settings.scan_width, "videos": rows,
              "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
