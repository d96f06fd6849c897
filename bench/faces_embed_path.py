"""Which step of the faces pipeline costs dlib's separation between people?

    python bench/faces_embed_path.py

dlib documents its ResNet descriptor as putting one person within ~0.6 and different people beyond it (99.38 %
on LFW); our calibrated thresholds sit near 0.37. This embeds every dev photo (``../shared/eval/dev/faces``,
never heldout) along a ladder of paths, from dlib's own recommended one to what the pipeline sees in a composed
video, and prints for each the same-person and different-person distance distributions and the closest pairs of
different people — so the step where the distributions close up stands out.

* ``dlib_ref`` — face_recognition's path: the full-resolution photo in RGB, HOG detection with one upsample,
  5-point landmarks, ``compute_face_descriptor`` (150 px chip, padding 0.25), raw (unnormalised) distances;
* ``ref_unit`` — the same vectors L2-normalised (the pipeline's distance scale);
* ``ref_bgr`` — the same, the chip fed in BGR order (what a channel-order slip would cost);
* ``pipe_photo`` — the pipeline's model (``DlibFaceModel``) on the photo scaled to ≤ 800 px;
* ``crop256`` / ``crop140`` / ``crop96`` — the composer's face crop (face about half the side) at that size on a
  replicated border, as a composed frame shows a face;
* ``crop140_cap`` — the 140 px crop recorded with a random capture (lighting, colour, resolution, JPEG);
* ``crop140_video`` — the 140 px crop through H.264 at the bench's settings (the video encoding alone).
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.faces.composer import Capture, CropCache  # noqa: E402
from testkit.faces.devdata import photos_by_identity  # noqa: E402
from vidsearch.faces.models import load_face_model  # noqa: E402
from vidsearch.faces.models.dlib_resnet import DESCRIPTOR_FILE, LANDMARKS_FILE, model_file  # noqa: E402
from vidsearch.faces.settings import FaceSettings  # noqa: E402


def dlib_reference(photos, bgr_chip: bool = False) -> dict[str, list[np.ndarray]]:
    """face_recognition's ``face_encodings(model="small")``: RGB in, HOG ×1 upsample, 5 points, raw vectors."""
    import dlib

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(model_file(LANDMARKS_FILE)))
    encoder = dlib.face_recognition_model_v1(str(model_file(DESCRIPTOR_FILE)))
    out: dict[str, list[np.ndarray]] = {}
    for name, items in photos.items():
        for photo in items:
            rgb = cv2.cvtColor(cv2.imread(str(photo.path)), cv2.COLOR_BGR2RGB)
            rects = detector(rgb, 1)
            if not rects:
                continue
            rect = max(rects, key=lambda r: r.area())
            shape = predictor(rgb, rect)
            if bgr_chip:
                chip = dlib.get_face_chip(rgb, shape, 150, 0.25)[:, :, ::-1].copy()
                vector = encoder.compute_face_descriptor(chip)
            else:
                vector = encoder.compute_face_descriptor(rgb, shape)
            out.setdefault(name, []).append(np.asarray(vector, np.float32))
    return out


def pipeline_faces(model, images: dict[str, list[np.ndarray]]) -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {}
    for name, frames in images.items():
        for frame in frames:
            faces = model.detect(frame, 640 if frame.shape[1] <= 640 else 800)
            if not faces:
                continue
            face = max(faces, key=lambda f: f.area)
            out.setdefault(name, []).append(model.embed([model.align(frame, face)])[0])
    return out


def through_h264(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Frames through libx264 at the composer's settings (veryfast, crf 20, yuv420p) and back."""
    exe = shutil.which("ffmpeg")
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        proc = subprocess.Popen([exe, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
                                 "-r", "2", "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
                                 "-pix_fmt", "yuv420p", str(path)], stdin=subprocess.PIPE)
        for frame in frames:
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
        proc.wait()
        cap = cv2.VideoCapture(str(path))
        out = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            out.append(frame)
    return out


def framed(crop: np.ndarray) -> np.ndarray:
    canvas = np.full((360, 640, 3), 90, np.uint8)
    s = crop.shape[0]
    top, left = (360 - s) // 2, (640 - s) // 2
    canvas[top:top + s, left:left + s] = crop
    return canvas


def distances(found: dict[str, list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray, list]:
    same, diff, pairs = [], [], {}
    names = sorted(found)
    for name in names:
        for a, b in itertools.combinations(found[name], 2):
            same.append(float(np.linalg.norm(a - b)))
    for x, y in itertools.combinations(names, 2):
        d = [float(np.linalg.norm(a - b)) for a in found[x] for b in found[y]]
        diff += d
        pairs[(x, y)] = min(d)
    closest = sorted(pairs.items(), key=lambda kv: kv[1])[:4]
    return np.array(same), np.array(diff), closest


def report(label: str, found: dict[str, list[np.ndarray]]) -> None:
    same, diff, closest = distances(found)
    norms = np.array([np.linalg.norm(v) for vs in found.values() for v in vs])
    overlap = float(np.mean(diff <= same.max()))
    # the threshold with fewest errors, and the share of pairs on the wrong side of it
    grid = np.linspace(0.2, 1.0, 161)
    errors = [(np.sum(same > t) / len(same) + np.sum(diff <= t) / len(diff)) / 2 for t in grid]
    best = int(np.argmin(errors))
    print(f"{label:14s} faces {sum(map(len, found.values())):3d} |v| {norms.mean():.3f} | same mean "
          f"{same.mean():.3f} p95 {np.percentile(same, 95):.3f} max {same.max():.3f} | diff min {diff.min():.3f} "
          f"p1 {np.percentile(diff, 1):.3f} mean {diff.mean():.3f} | diff≤same-max {overlap:.3f} | EER-ish "
          f"{errors[best]:.3f} at {grid[best]:.3f} | d'={(diff.mean() - same.mean()) / np.sqrt((diff.var() + same.var()) / 2):.2f}")
    print(" " * 15 + "closest: " + ", ".join(f"{a}/{b} {d:.3f}" for (a, b), d in closest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    people = photos_by_identity()
    model = load_face_model(FaceSettings())
    crops = CropCache(model)
    ref = dlib_reference(people)
    report("dlib_ref", ref)
    report("ref_unit", {k: [v / np.linalg.norm(v) for v in vs] for k, vs in ref.items()})
    report("ref_bgr", dlib_reference(people, bgr_chip=True))
    photos = {}
    for name, items in people.items():
        for photo in items:
            image = cv2.imread(str(photo.path))
            scale = min(1.0, 800 / image.shape[1])
            photos.setdefault(name, []).append(cv2.resize(image, None, fx=scale, fy=scale,
                                                          interpolation=cv2.INTER_AREA))
    report("pipe_photo", pipeline_faces(model, photos))
    for size in (256, 140, 96):
        frames = {n: [framed(crops.get(p.path, size)) for p in items] for n, items in people.items()}
        report(f"crop{size}", pipeline_faces(model, frames))
    rng = random.Random(args.seed)
    frames = {n: [framed(crops.get(p.path, 140, 0.0, Capture.random(rng, 1.0))) for p in items]
              for n, items in people.items()}
    report("crop140_cap", pipeline_faces(model, frames))
    names = [n for n, items in people.items() for _ in items]
    plain = [framed(crops.get(p.path, 140)) for items in people.values() for p in items]
    encoded = through_h264(plain)
    video: dict[str, list[np.ndarray]] = {}
    for name, frame in zip(names, encoded, strict=False):
        video.setdefault(name, []).append(frame)
    report("crop140_video", pipeline_faces(model, video))


if __name__ == "__main__":
    main()
