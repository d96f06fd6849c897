"""What a track's vector is made of, lever by lever, on the same detections: one person's spread inside a video
against the nearest other person, and the per-video clustering it gives (dev only).

    python bench/faces_track_vectors.py harvest --seeds 86,87 [--conditions same_background,varied]
                                        [--pose 1.5] [--capture 1] [--min-photos 4] --dir /tmp/DIR
    python bench/faces_track_vectors.py levers --dir /tmp/DIR [--levers base,all,...] [--out FILE.json]

``harvest`` composes the held-out-like runs (``bench/faces_broadcast.py``'s profile: two 30 s videos per
condition, cast 4 of a roster of 6, look-alikes cast), runs the real shots and faces stages and keeps, per video,
the tracks, every aligned face that passed the quality gate and the true identity of every sighting (a pickle per
video). ``levers`` recomputes every track's vector from those faces as each lever makes it, re-runs the re-check
and the clustering exactly as ``analysis.analyse_frames`` does, and reports per lever:

* separation, per track vector of one true identity: *own* = mean distance to the other tracks of its identity in
  the video (what average linkage sees), *other* = the smallest mean distance to another identity's tracks;
  the share of tracks whose own lies beyond the cluster distance, and of tracks nearer another identity;
* per-video pairwise F1 (min, mean), mixed persons and split people (``faces_broadcast``'s definitions);
* embeddings per track the lever costs.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.faces_broadcast import split_in  # noqa: E402
from testkit.faces.broadcast import plan_condition  # noqa: E402
from testkit.faces.composer import CropCache, render  # noqa: E402
from testkit.faces.devdata import photos_by_identity  # noqa: E402
from testkit.faces.evaluation import pairwise_scores  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.faces import tracking  # noqa: E402
from vidsearch.faces.models import distance_of, normalised, thresholds  # noqa: E402
from vidsearch.faces.persons import group_persons  # noqa: E402
from vidsearch.faces.recheck import jittered, recheck_tracks  # noqa: E402
from vidsearch.faces.stage import FaceStage  # noqa: E402
from vidsearch.faces.tracks import TrackingStats  # noqa: E402
from vidsearch.media.probe import probe_video  # noqa: E402
from vidsearch.stages.base import VideoWork  # noqa: E402
from vidsearch.stages.shots import ShotStage  # noqa: E402


def harvest(args) -> None:
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=out / "data", log_level="WARNING")
    people = {n: p for n, p in photos_by_identity().items() if len(p) >= args.min_photos}
    faces, shots = FaceStage(settings), ShotStage(settings)
    crops = CropCache(faces.model)
    chips: dict[tuple[int, tuple[float, ...]], np.ndarray] = {}
    chips68: dict[tuple[int, tuple[float, ...]], np.ndarray] = {}
    import dlib

    from vidsearch.faces.models.dlib_resnet import CHIP_PADDING, CHIP_SIZE, model_file
    predictor68 = dlib.shape_predictor(str(model_file("shape_predictor_68_face_landmarks.dat")))
    original = tracking.FaceTracker._extend

    def keeping(self, track, frame, index, face, chip, quality, embedding=None, look=None):
        if quality.passed:
            key = (index, tuple(np.round(face.box, 1).tolist()))
            chips[key] = chip
            x1, y1, x2, y2 = (int(v) for v in face.box)
            image = np.ascontiguousarray(frame.image)
            shape = predictor68(image, dlib.rectangle(x1, y1, x2 - 1, y2 - 1))
            chips68[key] = dlib.extract_image_chip(image, dlib.get_face_chip_details(shape, CHIP_SIZE, CHIP_PADDING))
        return original(self, track, frame, index, face, chip, quality, embedding, look)

    tracking.FaceTracker._extend = keeping
    if args.unmirrored:  # a control: the same poses, never mirrored (the draws stay, so the seeds keep their plans)
        from dataclasses import replace

        from testkit.faces.composer import Capture
        posed = Capture.posed
        Capture.posed = lambda self, rng, strength: replace(posed(self, rng, strength), mirrored=False)
    for seed in (int(s) for s in args.seeds.split(",")):
        for condition in args.conditions.split(","):
            videos = plan_condition(people, condition, args.videos, args.duration, cast=args.cast, seed=seed,
                                    roster=args.roster, capture_strength=args.capture, lookalikes=True,
                                    pose=args.pose)
            for video in videos:
                name = f"s{seed}-{condition}-{video.name}"
                if (out / f"{name}.pkl").exists():
                    continue
                chips.clear()
                chips68.clear()
                render(video, out / f"{video.name}.mp4", crops)
                item = VideoWork.create(probe_video(video.path), settings.media_dir)
                shots.run(item)
                found = faces.analyse(item)
                kept = []
                for track in found.tracks:
                    for c in track.candidates:
                        c.chip = None
                    labels = [video.identity_at(s.t, s.box) for s in track.sightings]
                    faces_of = [chips.get((s.frame, tuple(np.round(s.box, 1).tolist()))) for s in track.sightings]
                    faces68 = [chips68.get((s.frame, tuple(np.round(s.box, 1).tolist()))) for s in track.sightings]
                    kept.append({"track": track, "labels": labels, "chips": faces_of, "chips68": faces68})
                (out / f"{name}.pkl").write_bytes(pickle.dumps({"tracks": kept, "duration": video.duration_s}))
                (out / f"{video.name}.mp4").unlink(missing_ok=True)
                print(name, len(found.tracks), "tracks", flush=True)


# -- levers: each maps (track, its passed faces by sighting, model) → (vector, embeddings spent) ---------------

def _clahe(chip: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(chip, cv2.COLOR_BGR2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _checkpoint_faces(entry) -> list[tuple[float, np.ndarray, np.ndarray, object]]:
    """(rank, embedding, chip, quality) of the track's checkpoints, best first."""
    track = entry["track"]
    by_t = {s.t: (s, c) for s, c in zip(track.sightings, entry["chips"], strict=True)}
    out = []
    for c in track.candidates:
        s, chip = by_t.get(c.t, (None, None))
        out.append((c.rank, c.embedding, chip, s.quality if s is not None else None))
    return sorted(out, key=lambda x: -x[0])


class Levers:
    def __init__(self, model) -> None:
        self.model = model

    def embed(self, chips):
        return self.model.embed([np.ascontiguousarray(c) for c in chips])

    def base(self, entry):
        best = _checkpoint_faces(entry)[:3]
        return normalised(np.mean([b[1] for b in best], axis=0))[0], 0

    def best1(self, entry):
        return _checkpoint_faces(entry)[0][1], 0

    def mirror1(self, entry):  # mirror_best_face
        best = _checkpoint_faces(entry)[:3]
        vectors = [b[1] for b in best]
        vectors[0] = normalised(vectors[0] + self.embed([best[0][2][:, ::-1]])[0])[0]
        return normalised(np.mean(vectors, axis=0))[0], 1

    def mirror3(self, entry):  # every averaged checkpoint with its mirror image
        best = [b for b in _checkpoint_faces(entry)[:3]]
        mirrored = self.embed([b[2][:, ::-1] for b in best])
        vectors = [b[1] for b in best] + list(mirrored)
        return normalised(np.mean(vectors, axis=0))[0], len(best)

    def jitter4(self, entry):  # best face as the re-check's 4 jittered copies, beside the other two
        best = _checkpoint_faces(entry)[:3]
        copies = self.embed(jittered(best[0][2], 4)[1:])
        vectors = [normalised(np.mean([best[0][1], *copies], axis=0))[0]] + [b[1] for b in best[1:]]
        return normalised(np.mean(vectors, axis=0))[0], 3

    def weighted(self, entry):  # checkpoints weighted by sharpness and size
        best = _checkpoint_faces(entry)[:3]
        w = [min(q.sharpness, 200) / 200 * min(q.side, 120) / 120 + 0.05 for _, _, _, q in best]
        return normalised(np.average([b[1] for b in best], axis=0, weights=w))[0], 0

    def frontal(self, entry):  # the 3 most frontal checkpoints
        faces = sorted(_checkpoint_faces(entry), key=lambda b: abs(b[3].yaw))[:3]
        return normalised(np.mean([b[1] for b in faces], axis=0))[0], 0

    def _passed(self, entry, limit):
        track = entry["track"]
        faces = [(s.quality.rank, chip) for s, chip in zip(track.sightings, entry["chips"], strict=True)
                 if chip is not None]
        faces.sort(key=lambda f: -f[0])
        return [chip for _, chip in faces[:limit]]

    def all6(self, entry):  # the 6 best passed faces of the track, each embedded
        chips = self._passed(entry, 6)
        known = len(entry["track"].candidates)
        return normalised(np.mean(self.embed(chips), axis=0))[0], max(0, len(chips) - known)

    def all6m(self, entry):  # the 6 best passed faces and their mirror images
        chips = self._passed(entry, 6)
        chips = chips + [c[:, ::-1] for c in chips]
        known = len(entry["track"].candidates)
        return normalised(np.mean(self.embed(chips), axis=0))[0], max(0, len(chips) - known)

    def align68(self, entry):  # checkpoints aligned by the 68-point landmarks instead of the 5-point ones
        track = entry["track"]
        by_t = {s.t: c for s, c in zip(track.sightings, entry["chips68"], strict=True)}
        best = sorted(track.candidates, key=lambda c: -c.rank)[:3]
        return normalised(np.mean(self.embed([by_t[c.t] for c in best]), axis=0))[0], 0

    def clahe(self, entry):  # checkpoints' chips lit evenly before embedding (changes every embedding)
        best = _checkpoint_faces(entry)[:3]
        return normalised(np.mean(self.embed([_clahe(b[2]) for b in best]), axis=0))[0], 0

    def clahe_m(self, entry):  # mean of the embedding as it is and CLAHE'd, best 3
        best = _checkpoint_faces(entry)[:3]
        extra = self.embed([_clahe(b[2]) for b in best])
        return normalised(np.mean([b[1] for b in best] + list(extra), axis=0))[0], len(best)


def _d(a, b) -> float:
    return float(distance_of(float(np.clip(a @ b, -1.0, 1.0))))


def levers(args) -> None:
    settings = Settings(data_dir=Path(args.dir) / "data-l", log_level="WARNING")
    fs = settings.faces
    stage = FaceStage(settings)
    model = stage.model
    limits = thresholds(fs, model)
    lever = Levers(model)
    files = sorted(Path(args.dir).glob("*.pkl"))
    results = {}
    single = min(limits.cluster_distance, limits.split_distance or limits.cluster_distance)
    for name in args.levers.split(","):
        own_all, other_all, f1s, mixed, split, spent, ntracks = [], [], [], 0, 0, 0, 0
        per_video = {}
        for path in files:
            data = pickle.loads(path.read_bytes())
            entries = data["tracks"]
            tracks = []
            for entry in entries:
                track = entry["track"]
                if track.candidates and all(
                        c is not None for c in [x[2] for x in _checkpoint_faces(entry)[:3]]):
                    before = track.vector
                    track.vector, cost = getattr(lever, name)(entry)
                    assert name != "base" or np.allclose(before, track.vector, atol=1e-5), path
                    spent += cost
                    ntracks += 1
                    best = max(track.candidates, key=lambda c: c.rank)
                    for c in track.candidates:
                        c.chip = None
                    by_t = {s.t: ch for s, ch in zip(track.sightings, entry["chips"], strict=True)}
                    best.chip = by_t.get(best.t)
                tracks.append(track)
            # separation on tracks with a vector, ≥ 2 samples, one clear identity
            labelled = []
            for entry in entries:
                t = entry["track"]
                votes = Counter(x for x in entry["labels"] if x is not None)
                if t.vector is None or len(t.sightings) < 2 or not votes:
                    continue
                who, n = votes.most_common(1)[0]
                if n / len(entry["labels"]) >= 0.9:
                    labelled.append((who, t.vector))
            for i, (who, v) in enumerate(labelled):
                mine = [_d(v, u) for j, (w, u) in enumerate(labelled) if w == who and j != i]
                others: dict[str, list[float]] = {}
                for w, u in labelled:
                    if w != who:
                        others.setdefault(w, []).append(_d(v, u))
                if mine and others:
                    own_all.append(float(np.mean(mine)))
                    other_all.append(min(float(np.mean(d)) for d in others.values()))
            stats = TrackingStats()
            apart, steady = recheck_tracks(tracks, model, fs, limits, stats)
            persons = group_persons(tracks, limits.cluster_distance, 1.0 / fs.sample_fps, fs.merge_gap_s,
                                    data["duration"], fs.min_person_faces, fs.thumbnails_per_person, apart,
                                    single_distance=single, steady=steady)
            by_track = {e["track"].id: e for e in entries}
            truth, found = [], []
            for p in persons:
                for t in p.tracks:
                    for lab in by_track[t.id]["labels"]:
                        if lab is not None:
                            truth.append(lab)
                            found.append(p.cluster)
            _, _, f1 = pairwise_scores(truth, found)
            f1s.append(f1)
            for p in persons:
                votes = Counter(t for t, f in zip(truth, found, strict=True) if f == p.cluster)
                total = sum(votes.values())
                mixed += sum(1 for n in votes.values() if total and n / total >= 0.1) > 1
            split += len(split_in(truth, found))
            per_video[path.stem] = round(f1, 4)
        own, other = np.array(own_all), np.array(other_all)
        results[name] = {
            "tracks": len(own), "own_mean": round(float(own.mean()), 4), "own_p90": round(float(np.quantile(own, 0.9)), 4),
            "own_max": round(float(own.max()), 4), "own_beyond_cluster": int((own > limits.cluster_distance).sum()),
            "other_min": round(float(other.min()), 4), "other_p10": round(float(np.quantile(other, 0.1)), 4),
            "margin_mean": round(float((other - own).mean()), 4), "margin_p10": round(float(np.quantile(other - own, 0.1)), 4),
            "nearer_other": int((other <= own).sum()),
            "f1_min": round(min(f1s), 4), "f1_mean": round(float(np.mean(f1s)), 4), "mixed": mixed, "split": split,
            "extra_embeddings_per_track": round(spent / max(1, ntracks), 2), "per_video": per_video,
        }
        r = results[name]
        print(f"{name:9s} n={r['tracks']} own mean {r['own_mean']} p90 {r['own_p90']} max {r['own_max']} "
              f">{limits.cluster_distance}: {r['own_beyond_cluster']} | other min {r['other_min']} p10 {r['other_p10']} "
              f"| margin mean {r['margin_mean']} p10 {r['margin_p10']} inverted {r['nearer_other']} | F1 min "
              f"{r['f1_min']} mean {r['f1_mean']} mixed {mixed} split {split} | +emb/track "
              f"{r['extra_embeddings_per_track']}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("harvest")
    h.add_argument("--seeds", required=True)
    h.add_argument("--conditions", default="same_background,varied")
    h.add_argument("--videos", type=int, default=2)
    h.add_argument("--duration", type=float, default=30.0)
    h.add_argument("--cast", type=int, default=4)
    h.add_argument("--roster", type=int, default=6)
    h.add_argument("--capture", type=float, default=1.0)
    h.add_argument("--pose", type=float, default=1.5)
    h.add_argument("--min-photos", type=int, default=4)
    h.add_argument("--unmirrored", action="store_true", help="pose entrances without mirroring them (control)")
    h.add_argument("--dir", required=True)
    lv = sub.add_parser("levers")
    lv.add_argument("--dir", required=True)
    lv.add_argument("--levers", default="base,best1,weighted,frontal,mirror1,mirror3,jitter4,all6,all6m,clahe,"
                                        "clahe_m,align68")
    lv.add_argument("--out", default="")
    args = parser.parse_args()
    harvest(args) if args.cmd == "harvest" else levers(args)


if __name__ == "__main__":
    main()
