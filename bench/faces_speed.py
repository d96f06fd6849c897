"""Face speed on one CPU core: detection and embedding faces/s, and kNN latency over 100k person vectors
through the embedded store (HNSW and exact).

    python bench/faces_speed.py [--persons 100000] [--queries 300]

The process is pinned to one core so the rates are per core. Detection runs on the sampled frames of the real
Hamilton clip and of a composed video (640x360, as ``faces.detect_width`` leaves them); embedding runs on the
aligned faces found there, in batches of 1, 8 and 32. The kNN part fills an embedded store with synthetic
person centroids (unit 128-d vectors around 20k identities, the spread of real dlib person vectors) and times
``nearest_persons`` — the call search by photo makes — with the default ANN threshold (HNSW) and exact.
Writes bench/results/faces_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidsearch.config import StoreSettings  # noqa: E402
from testkit.faces.composer import CropCache, plan_videos, render  # noqa: E402
from testkit.faces.devdata import HAMILTON_CLIP, eval_root, photos_by_identity  # noqa: E402
from vidsearch.faces.models import load_face_model  # noqa: E402
from vidsearch.faces.search import nearest_persons  # noqa: E402
from vidsearch.faces.settings import FaceSettings  # noqa: E402
from vidsearch.media.frames import Cv2FrameSource  # noqa: E402
from vidsearch.schema import IndexName  # noqa: E402
from vidsearch.store.embedded.store import EmbeddedStore  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def pin_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def detection_speed(model, settings: FaceSettings, videos: list[Path]) -> tuple[dict, list[np.ndarray]]:
    frames = [f for v in videos for f in Cv2FrameSource(v).sample(settings.sample_fps)]
    started = time.perf_counter()
    detected = [(f, model.detect(f.image, settings.detect_width)) for f in frames]
    seconds = time.perf_counter() - started
    faces = sum(len(d) for _, d in detected)
    started = time.perf_counter()
    chips = [model.align(f.image, face) for f, found in detected for face in found]
    align_s = time.perf_counter() - started
    return {"frames": len(frames), "faces": faces, "seconds": round(seconds, 2),
            "frames_per_s": round(len(frames) / seconds, 2), "faces_per_s": round(faces / seconds, 2),
            "align_faces_per_s": round(len(chips) / align_s, 1)}, chips


def embedding_speed(model, chips: list[np.ndarray]) -> dict:
    rates = {}
    for batch in (1, 8, 32):
        todo = (chips * (1 + 64 // max(len(chips), 1)))[:64]
        started = time.perf_counter()
        for i in range(0, len(todo), batch):
            model.embed(todo[i:i + batch])
        rates[f"batch_{batch}_faces_per_s"] = round(len(todo) / (time.perf_counter() - started), 2)
    return rates


def synthetic_persons(count: int, dims: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around count/5 identity centres, each at about the distance dlib puts one person's videos
    apart (~0.25), the centres as far apart as random directions in 128-d."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, count // 5), dims)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.normal(size=(count, dims)).astype(np.float32)
    noise *= 0.18 / np.sqrt(dims)  # two draws of one centre end up ~0.25 apart
    vectors = centres[rng.integers(0, len(centres), count)] + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def knn_latency(count: int, queries: int, dims: int, encoder: str, ann_threshold: int, folder: Path) -> dict:
    store = EmbeddedStore(folder, StoreSettings(ann_threshold=ann_threshold))
    store.ensure_indices({"face": {"id": encoder, "dims": dims}})
    vectors = synthetic_persons(count, dims)
    started = time.perf_counter()
    for start in range(0, count, 5000):
        docs = [(f"v{i // 8:06d}.p{i % 8:03d}",
                 {"video_id": f"v{i // 8:06d}", "cluster": i % 8, "face_count": 10,
                  "appearances": [{"start_s": 1.0, "end_s": 5.0}], "face_vec": vectors[i]})
                for i in range(start, min(count, start + 5000))]
        store.upsert(IndexName.PERSONS, docs)
    insert_s = time.perf_counter() - started
    rng = np.random.default_rng(1)
    probes = vectors[rng.integers(0, count, queries)] + rng.normal(0, 0.02, (queries, dims)).astype(
        np.float32
    )
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    started = time.perf_counter()
    nearest_persons(store, probes[0], encoder, 50)  # builds the view (and the HNSW graph above the threshold)
    build_s = time.perf_counter() - started
    latencies, found = [], []
    for probe in probes:
        started = time.perf_counter()
        found.append([pid for pid, _ in nearest_persons(store, probe, encoder, 50)])
        latencies.append((time.perf_counter() - started) * 1000)
    store.close()
    lat = np.array(latencies)
    return {
        "persons": count,
        "ann": ann_threshold <= count,
        "insert_s": round(insert_s, 1),
        "first_query_s": round(build_s, 2),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "results": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    core = pin_one_core()
    settings = FaceSettings()
    model = load_face_model(settings)
    work = Path(tempfile.mkdtemp(prefix="faces-speed-"))
    (composed,) = plan_videos(photos_by_identity(), 1, duration_s=30.0, seed=3)
    render(composed, work / "composed.mp4", CropCache(model))
    videos = [eval_root() / HAMILTON_CLIP, work / "composed.mp4"]
    detection, chips = detection_speed(model, settings, videos)
    embedding = embedding_speed(model, chips)
    print(f"core {core}: detection {detection}; embedding {embedding}")
    ann = knn_latency(
        args.persons, args.queries, model.dims, model.identity, StoreSettings().ann_threshold, work / "ann"
    )
    exact = knn_latency(
        args.persons, args.queries, model.dims, model.identity, args.persons + 1, work / "exact"
    )
    recall = float(
        np.mean(
            [
                len(set(a[:10]) & set(e[:10])) / 10
                for a, e in zip(ann.pop("results"), exact.pop("results"), strict=True)
            ]
        )
    )
    result = {
        "core": core,
        "load_average_1m_after": round(os.getloadavg()[0], 1),
        "backend": "dlib",
        "detector": f"HOG, upsample {settings.upsample}, frames {settings.detect_width} px wide",
        "detection": detection,
        "embedding": embedding,
        "knn_hnsw": ann,
        "knn_exact": exact,
        "hnsw_recall_at_10_vs_exact": round(recall, 4),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faces_speed.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
