"""Full offline pipeline throughput: shots, metadata, scene_text, credits, faces, text_vectors at 1 frame/s on a
composed programme (real dev faces, captioned scenes, a rendered credit roll), per stage.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python bench/pipeline_throughput.py              # 10-minute programme
    PYTHONPATH=$PWD .venv/bin/python bench/pipeline_throughput.py --minutes 2 --out /tmp/figures

Prints, per stage, CPU-seconds per video-minute (this process and its children, e.g. Tesseract), wall seconds and
video-seconds per wall-second, the ratio to a decode-only pass over the same file, and the stage that bounds
throughput. That stage is then run again with a cheaper configuration (``--after``, JSON settings overrides) side
by side with the default, so the before/after ratio comes from one run. Stages run in this process, one after the
other (what one stage actor does per video, without Ray's scheduling); model loading is reported apart.
``--device cuda`` sets the GPU-capable stages (faces: insightface) to CUDA where a GPU exists.
Writes <out>/pipeline_throughput.json (default bench/results/).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidsearch.config import Settings  # noqa: E402
from vidsearch.media.frames import Cv2FrameSource, decode_all  # noqa: E402
from vidsearch.media.probe import probe_video  # noqa: E402
from vidsearch.stages import build_stages  # noqa: E402
from vidsearch.stages.base import VideoWork  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ["shots", "metadata", "scene_text", "credits", "faces", "text_vectors"]
SIZE, FPS = (640, 360), 10.0
CAPTIONS = [("한라산 등반 특집", "Hallasan climbing special"), ("서울 지하철 파업 소식", "Seoul subway strike"),
            ("부산 국제 영화제 개막", "Busan film festival opens"), ("태풍 피해 복구 현장", "typhoon recovery"),
            ("국회 예산안 처리", "budget bill passes"), ("김장철 배추 가격", "cabbage prices in kimchi season")]
CREDITS = [("연출", ("김민수",)), ("극본", ("이서연",)), ("촬영", ("박지훈", "최유리")), ("조명", ("정하늘",)),
           ("편집", ("한도윤",)), ("음악", ("오세영",)), ("미술", ("윤지아",)), ("제작", ("한국방송공사",))]


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def compose_programme(folder: Path, minutes: float) -> Path:
    """Faces (60%), captioned news scenes (30%), then a scrolling credit roll (10%), re-encoded as one H.264
    file at 10 fps: the parts come from the composers the face, OCR and credit tests use."""
    from testkit.credits.render import render_credit_roll
    from testkit.credits.spec import CreditEntry, CreditRollSpec
    from testkit.faces.composer import CropCache, plan_videos, render
    from testkit.faces.devdata import photos_by_identity
    from vidsearch.faces.models import load_face_model
    from vidsearch.media.synth import Scene, render_scenes

    target = folder / f"programme_{minutes:g}min_v2.mp4"
    if target.exists():
        return target
    seconds = minutes * 60
    faces_s, scenes_s = round(seconds * 0.64), round(seconds * 0.32)  # + a ~40-s credit roll: >= the length
    composed = plan_videos(photos_by_identity(), 1, duration_s=faces_s, seed=17)[0]
    render(composed, folder / "faces.mp4", CropCache(load_face_model(Settings().faces, True)))
    palette = [((20, 30, 90), (90, 40, 120)), ((200, 120, 30), (240, 200, 80)), ((30, 140, 60), (150, 210, 90))]
    scenes = [Scene(CAPTIONS[i % len(CAPTIONS)], *palette[i % len(palette)], 10.0) for i in range(scenes_s // 10)]
    render_scenes(folder / "scenes.mp4", scenes, size=SIZE, fps=FPS, preset="veryfast")
    spec = CreditRollSpec(entries=[CreditEntry(role=r, names=n) for r, n in CREDITS], width=SIZE[0],
                          height=SIZE[1], fps=FPS, scroll_speed=0.08)
    render_credit_roll(spec, folder / "credits.mp4")
    listing = folder / "parts.txt"
    listing.write_text("".join(f"file '{folder / p}'\n" for p in ("faces.mp4", "scenes.mp4", "credits.mp4")))
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-vf", f"scale={SIZE[0]}:{SIZE[1]},fps={FPS:g}", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "21", "-g", "20", "-pix_fmt", "yuv420p", str(target)], check=True)
    return target


def run_stages(path: Path, settings: Settings, names: list[str], work: VideoWork | None = None
               ) -> tuple[VideoWork, dict[str, dict[str, float]]]:
    """Run the stages over one video in order; per stage: CPU seconds, wall seconds and load seconds."""
    stages = build_stages(settings, STAGES)
    work = work or VideoWork.create(probe_video(path), settings.media_dir)
    work.pending = list(STAGES)
    figures: dict[str, dict[str, float]] = {}
    for stage in (s for s in stages if s.name in names):
        loaded = time.perf_counter()
        stage.load()
        load_s = time.perf_counter() - loaded
        cpu, wall = _cpu(), time.perf_counter()
        stage.run(work)
        figures[stage.name] = {"cpu_s": _cpu() - cpu, "wall_s": time.perf_counter() - wall, "load_s": load_s}
    return work, figures


def per_minute(figures: dict[str, dict[str, float]], duration_s: float) -> dict[str, dict[str, float]]:
    minutes = duration_s / 60
    return {name: {"cpu_s_per_video_min": round(f["cpu_s"] / minutes, 2), "wall_s": round(f["wall_s"], 2),
                   "video_s_per_wall_s": round(duration_s / f["wall_s"], 1) if f["wall_s"] else float("inf"),
                   "load_s": round(f["load_s"], 2)} for name, f in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--after", default='{"faces": {"detect_width": 480}}',
                        help="JSON settings overrides for the bounding stage's second run")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "vidsearch-pipeline-bench")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="pipeline-bench-data-"))
    faces = {"sample_fps": 1.0}
    if args.device == "cuda":
        faces |= {"backend": "insightface", "gpu": True}
    settings = Settings(data_dir=data, media={"sample_fps": 1.0}, faces=faces, log_level="WARNING",
                        ingest={"stages": STAGES})
    composed = time.perf_counter()
    programme = compose_programme(args.work_dir, args.minutes)
    print(f"programme {programme} ({time.perf_counter() - composed:.0f} s to compose or reuse)")
    duration = probe_video(programme, with_hash=False).duration_s

    decode_cpu, decode_wall = _cpu(), time.perf_counter()
    decode_all(programme, threads=1)
    decode = {"cpu_s": _cpu() - decode_cpu, "wall_s": time.perf_counter() - decode_wall}
    sampled_wall = time.perf_counter()
    sum(1 for _ in Cv2FrameSource(programme, threads=1).sample(1.0, width=320))
    decode["sampled_wall_s"] = time.perf_counter() - sampled_wall

    work, figures = run_stages(programme, settings, STAGES)
    total_wall = sum(f["wall_s"] for f in figures.values())
    bound = max(figures, key=lambda n: figures[n]["cpu_s"])
    overrides = json.loads(args.after)
    after_settings = settings.model_copy(update={
        k: getattr(settings, k).model_copy(update=v) for k, v in overrides.items()})
    persons_before, persons_after = len(work.persons), None
    if bound in ("faces", "scene_text", "credits", "text_vectors", "metadata"):
        work.persons, work.credits = [], []
        _, after = run_stages(programme, after_settings, [bound], work)
        persons_after = len(work.persons)
    else:
        after = {}
    report = {
        "programme_s": round(duration, 1), "segments": len(work.segments), "persons": persons_before,
        "decode_only": {"cpu_s_per_video_min": round(decode["cpu_s"] / (duration / 60), 2),
                        "video_s_per_wall_s": round(duration / decode["wall_s"], 1),
                        "sampled_1fps_video_s_per_wall_s": round(duration / decode["sampled_wall_s"], 1)},
        "stages": per_minute(figures, duration),
        "pipeline": {"cpu_s_per_video_min": round(sum(f["cpu_s"] for f in figures.values()) / (duration / 60), 2),
                     "video_s_per_wall_s": round(duration / total_wall, 2),
                     "ratio_to_decode_only": round(total_wall / decode["wall_s"], 1)},
        "bounding_stage": bound, "after": {"overrides": overrides, "stages": per_minute(after, duration), "persons": persons_after},
    }
    print(f"\n{duration / 60:.1f}-min programme at 1 frame/s, {len(work.segments)} segments "
          f"(decode-only: {report['decode_only']['video_s_per_wall_s']} video-s/wall-s, "
          f"{report['decode_only']['cpu_s_per_video_min']} CPU-s/video-min)")
    print(f"{'stage':<14}{'CPU-s/video-min':>17}{'video-s/wall-s':>16}{'wall s':>9}{'load s':>8}")
    for name, row in report["stages"].items():
        mark = "  <- bounds throughput" if name == bound else ""
        print(f"{name:<14}{row['cpu_s_per_video_min']:>17}{row['video_s_per_wall_s']:>16}{row['wall_s']:>9}"
              f"{row['load_s']:>8}{mark}")
    pipe = report["pipeline"]
    print(f"{'pipeline':<14}{pipe['cpu_s_per_video_min']:>17}{pipe['video_s_per_wall_s']:>16}"
          f"{round(total_wall, 1):>9}   ({pipe['ratio_to_decode_only']}x the decode-only wall time)")
    if after:
        b, a = report["stages"][bound], report["after"]["stages"][bound]
        print(f"\n{bound} before/after {overrides}: {b['cpu_s_per_video_min']} -> {a['cpu_s_per_video_min']} "
              f"CPU-s/video-min ({b['cpu_s_per_video_min'] / max(a['cpu_s_per_video_min'], 1e-9):.2f}x less); "
              f"persons found {persons_before} -> {persons_after}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pipeline_throughput.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
