"""Faces stage CPU-seconds per video-minute at the default sampling: this tree beside an older one, same videos,
same process, one after the other.

    python bench/faces_stage_speed.py [--old-ref 554e10e] [--duration 60] [--out FILE]

The old pipeline is the faces code of ``--old-ref`` (default: the commit before tracks respected cuts and
detection was staged), exported with ``git archive`` into a temporary folder and run in a subprocess with that
folder first on the path; the new one is this tree. Each runs ``analyse_frames`` (decode at ``sample_fps``,
detect, align, track, embed, cluster) on: composed broadcast-like videos (one studio backdrop, two faces per
shot, small faces in wide shots) and the real Hamilton clip. The new pipeline gets the shots stage's
boundaries, as in ingest (the shots stage itself is not timed: it is its own stage); so does the old one when its
``analyse_frames`` takes them (a ref from after tracks respected cuts), so two recent trees are compared on equal
terms. Process CPU time, so the numbers mean CPU cost; the machine is shared, so read the ratios. Writes
``--out`` (default bench/results/faces_stage_speed.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.faces.broadcast import plan_condition  # noqa: E402
from testkit.faces.composer import CropCache, render  # noqa: E402
from testkit.faces.devdata import HAMILTON_CLIP, eval_root, photos_by_identity  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.faces.models import load_face_model  # noqa: E402
from vidsearch.faces.stage import shot_boundaries  # noqa: E402
from vidsearch.media.probe import probe_video  # noqa: E402
from vidsearch.stages.base import VideoWork  # noqa: E402
from vidsearch.stages.shots import ShotStage  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"

# Runs inside the subprocess: argv = video path, duration, boundaries JSON; a tree whose analyse_frames takes no
# boundaries (before tracks respected cuts) runs without them and says so ("boundaries": false).
RUNNER = """
import inspect, json, sys, time
from vidsearch.config import Settings
from vidsearch.faces.analysis import analyse_frames
from vidsearch.faces.models import load_face_model, thresholds
from vidsearch.media.frames import Cv2FrameSource
path, duration, boundaries = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
settings = Settings(log_level="WARNING")
model = load_face_model(settings.faces)
limits = thresholds(settings.faces, model)
takes = "boundaries" in inspect.signature(analyse_frames).parameters
extra = {"boundaries": boundaries} if takes else {}
started = time.process_time()
found = analyse_frames(Cv2FrameSource(path).sample(settings.faces.sample_fps), model, settings.faces, limits,
                       duration, settings.media.shot_threshold, **extra)
cpu = time.process_time() - started
print(json.dumps({"cpu_s": cpu, "persons": len(found.persons), "embeddings": found.stats.embeddings,
                  "faces": found.stats.faces_detected, "tracks": len(found.tracks),
                  "boundaries": takes}))
"""


def old_tree(ref: str, into: Path) -> Path:
    archive = into / "old.tar"
    with archive.open("wb") as fh:
        # every top-level package the old vidsearch imports (its config imports serve.settings): one from this
        # tree would import this tree's vidsearch modules into the old one
        listed = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only", ref], capture_output=True,
                                text=True, check=True).stdout.split()
        packages = [name for name in ("vidsearch", "ray_jobs", "serve", "ranking") if name in listed]
        subprocess.run(["git", "-C", str(REPO), "archive", ref, *packages], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "old", filter="data")
    return into / "old"


def run(tree: Path, video: Path, duration: float, boundaries: list[float]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", RUNNER, str(video), str(duration), json.dumps(boundaries)],
                         env=env, capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-ref", default="554e10e")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "faces_stage_speed.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faces-speed-") as folder:
        summary = measure(args.old_ref, args.duration, Path(folder))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))


def measure(old_ref: str, length_s: float, work: Path) -> dict:
    """Both trees over the same videos, one after the other per video; returns the summary."""
    settings = Settings(data_dir=work / "data", log_level="WARNING")
    crops = CropCache(load_face_model(settings.faces))
    people = photos_by_identity()
    videos: list[tuple[str, Path, float]] = []
    for condition in ("same_background", "two_faces", "small"):
        (video,) = plan_condition(people, condition, 1, length_s, roster=6, seed=5)
        videos.append((condition, render(video, work / f"{video.name}.mp4", crops), video.duration_s))
    hamilton = eval_root() / HAMILTON_CLIP
    videos.append(("hamilton (real)", hamilton, probe_video(hamilton).duration_s))
    old = old_tree(old_ref, work)
    rows = []
    print(f"{'video':>18} | {'old CPU s/min':>13} | {'new CPU s/min':>13} | {'old x RT':>8} | {'new x RT':>8} | "
          f"{'speed-up':>8} | embeddings old/new")
    for name, path, duration in videos:
        item = VideoWork.create(probe_video(path), settings.media_dir)
        ShotStage(settings).run(item)
        boundaries = shot_boundaries(item.segments)
        before = run(old, path, duration, boundaries)
        after = run(REPO, path, duration, boundaries)
        row = {"video": name, "duration_s": duration,
               "old_cpu_s_per_min": round(60 * before["cpu_s"] / duration, 2),
               "new_cpu_s_per_min": round(60 * after["cpu_s"] / duration, 2),
               "old_realtime_x": round(duration / before["cpu_s"], 2),
               "new_realtime_x": round(duration / after["cpu_s"], 2),
               "speed_up": round(before["cpu_s"] / after["cpu_s"], 2), "old": before, "new": after}
        rows.append(row)
        print(f"{name:>18} | {row['old_cpu_s_per_min']:>13} | {row['new_cpu_s_per_min']:>13} | "
              f"{row['old_realtime_x']:>8} | {row['new_realtime_x']:>8} | {row['speed_up']:>8} | "
              f"{before['embeddings']}/{after['embeddings']}", flush=True)
    total_old = sum(r["old"]["cpu_s"] for r in rows)
    total_new = sum(r["new"]["cpu_s"] for r in rows)
    seconds = sum(r["duration_s"] for r in rows)
    summary = {"old_ref": old_ref, "old_given_boundaries": rows[0]["old"]["boundaries"], "target_realtime_x": 4.0,
               "videos": rows,
               "old_cpu_s_per_min": round(60 * total_old / seconds, 2),
               "new_cpu_s_per_min": round(60 * total_new / seconds, 2),
               "new_realtime_x": round(seconds / total_new, 2), "speed_up": round(total_old / total_new, 2)}
    print(f"all: old {summary['old_cpu_s_per_min']} CPU-s per video-minute, new {summary['new_cpu_s_per_min']} "
          f"({summary['speed_up']}x less); new runs at {summary['new_realtime_x']}x real time on one core "
          f"(target ≥ 4x)")
    return summary


if __name__ == "__main__":
    main()
