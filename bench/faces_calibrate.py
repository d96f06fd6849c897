"""Face thresholds chosen from dev distance distributions at the level each one is used, not by hand.

    python bench/faces_calibrate.py [--captures 4] [--seed 5] [--merge-rate 0.005] [--no-mirror]
                                    [--exclude-fold i/k --out FILE.json]

Every dev identity's photos (``../shared/eval/dev/faces``, never heldout) are cropped as the composer shows
them (140 px, the face about half of it) and recorded ``--captures`` times each with a random lighting and
recording (``testkit.faces.composer.Capture``, strength 1; the first capture is the photo as it is), then
detected, aligned and embedded by the configured model. The dev photos alone vary one person too little:
thresholds chosen on them split people of a public face set. From these faces it measures, for same-person
and different-person pairs, the distance at the level each threshold is applied:

* ``face`` — one face against another (a track's checkpoint against the next: ``track_split_distance``);
* ``query`` — a clean photo against a person's centroid (3 faces of other photos: search by photo,
  ``match_distance``);
* ``linkage`` — the mean distance between two groups of 2 faces (what average linkage compares: the
  per-video clustering's ``cluster_distance``);
* ``centroid`` — one group's centroid against another's (3 faces each: persons of different videos,
  ``identity_distance``).

At the group levels each face is the mean of its embedding and its mirror image's, as a track's best face is in
the pipeline (``mirror_best_face``; ``--no-mirror`` measures single embeddings, as before stop 15).

At each level the chosen threshold is the largest one whose false-merge rate over different-person pairs stays
within ``--merge-rate`` (see ``choose``) and at which no single pair of different people merges in more than
``--pair-share`` of its samples (``worst_pair``: the dev look-alikes decide it). It also reports, per sharpness band of
the captured faces, how well their embeddings still match their own identity (where the quality gate's
``min_sharpness`` belongs). Prints the distributions, the shipped and the
chosen thresholds, and the split/merge rates of each. Writes bench/results/faces_calibrate.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.faces.composer import Capture, CropCache  # noqa: E402
from bench.faces_folds import out_of_fold  # noqa: E402
from testkit.faces.devdata import photos_by_identity  # noqa: E402
from vidsearch.faces.models import distance_of, load_face_model, normalised, thresholds  # noqa: E402
from vidsearch.faces.quality import sharpness  # noqa: E402
from vidsearch.faces.settings import FaceSettings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def embed_captures(model, people, captures: int, seed: int, sharpness_of: list | None = None,
                   mirrored: dict | None = None) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Identity → (photo index, embedding) of every captured face found; ``sharpness_of`` collects
    (identity, sharpness, embedding) of each; ``mirrored`` the same entries as the pipeline's track vectors
    hold a best face: the mean of its embedding and its mirror image's (``mirror_best_face``)."""
    crops = CropCache(model)
    rng = random.Random(seed)
    found: dict[str, list[tuple[int, np.ndarray]]] = {}
    for name, photos in sorted(people.items()):
        for k, photo in enumerate(photos):
            for c in range(captures):
                capture = Capture.random(rng, 1.0) if c else None
                crop = crops.get(photo.path, 140, 0.0, capture)
                canvas = cv2.copyMakeBorder(crop, 60, 60, 60, 60, cv2.BORDER_REPLICATE)
                faces = model.detect(canvas, 640)
                if not faces:
                    continue
                face = max(faces, key=lambda f: f.area)
                chip = model.align(canvas, face)
                vector = model.embed([chip])[0]
                found.setdefault(name, []).append((k, vector))
                if mirrored is not None:
                    flipped = model.embed([np.ascontiguousarray(chip[:, ::-1])])[0]
                    mirrored.setdefault(name, []).append((k, normalised(vector + flipped)[0]))
                if sharpness_of is not None:
                    sharpness_of.append((name, sharpness(chip), vector))
    return found


def _d(a: np.ndarray, b: np.ndarray) -> float:
    return float(distance_of(float(np.clip(a @ b, -1.0, 1.0))))


def level_pairs(found, rng: random.Random, samples: int,
                pair_of: dict[str, list[tuple[str, str]]] | None = None,
                grouped=None) -> dict[str, tuple[list[float], list[float]]]:
    """Same-person and different-person distances at each level (see the module docstring); ``pair_of``
    collects, per level, the (unordered) pair of people behind each different-person distance; ``grouped``:
    the faces' vectors as tracks hold them (index for index with ``found``; default ``found``), used at every
    level but ``face`` (checkpoint to checkpoint, single embeddings)."""
    grouped = grouped or found
    names = sorted(n for n, faces in found.items() if len({k for k, _ in faces}) >= 2)
    levels: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in ("face", "query", "linkage",
                                                                                  "centroid")}

    def group(name: str, size: int, exclude_photo: int | None = None) -> list[np.ndarray]:
        pool = [v for k, v in grouped[name] if k != exclude_photo]
        return [pool[i] for i in rng.sample(range(len(pool)), min(size, len(pool)))]

    for a in names:
        for b in names:
            same = a == b
            for _ in range(samples if same else max(1, samples // 4)):
                if not same and pair_of is not None:
                    for level in levels:
                        pair_of.setdefault(level, []).append(tuple(sorted((a, b))))
                fa, fb = rng.sample(found[a], 2) if same else (rng.choice(found[a]), rng.choice(found[b]))
                levels["face"][0 if same else 1].append(_d(fa[1], fb[1]))
                query = next((v for k, v in found[a] if k == 0), None)
                if query is not None:
                    person = group(b, 3, exclude_photo=0)
                    levels["query"][0 if same else 1].append(_d(query, normalised(np.mean(person, 0))[0]))
                ga, gb = group(a, 2), group(b, 2)
                if same:  # two disjoint groups of one person
                    pool = rng.sample(grouped[a], min(len(grouped[a]), 4))
                    ga, gb = [v for _, v in pool[:2]], [v for _, v in pool[2:]] or [pool[0][1]]
                levels["linkage"][0 if same else 1].append(float(np.mean([_d(x, y) for x in ga for y in gb])))
                ca, cb = group(a, 3), group(b, 3)
                if same:
                    pool = rng.sample(grouped[a], min(len(grouped[a]), 6))
                    ca, cb = [v for _, v in pool[:3]], [v for _, v in pool[3:]] or [pool[0][1]]
                levels["centroid"][0 if same else 1].append(
                    _d(normalised(np.mean(ca, 0))[0], normalised(np.mean(cb, 0))[0]))
    return levels


def by_sharpness(found, faces, edges=(0, 3, 5, 8, 12, 15, 25, 50, 1e9)) -> list[dict]:
    """Per sharpness band of the captured faces: how far each lies from its own identity's other faces (mean
    of the rest) and from the nearest other identity's — where embeddings stop being trustworthy, the gate's
    ``min_sharpness`` belongs."""
    centroids = {n: normalised(np.mean([v for _, v in f], 0))[0] for n, f in found.items()}
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        band = [(n, v) for n, s, v in faces if lo <= s < hi]
        if not band:
            continue
        own = [_d(v, centroids[n]) for n, v in band]
        other = [min(_d(v, c) for m, c in centroids.items() if m != n) for n, v in band]
        rows.append({"sharpness": [lo, hi if hi < 1e9 else None], "faces": len(band),
                     "own_p50": round(float(np.median(own)), 3), "own_p95": round(float(np.quantile(own, 0.95)), 3),
                     "nearest_other_p5": round(float(np.quantile(other, 0.05)), 3),
                     "closer_to_other": round(float(np.mean(np.array(other) < np.array(own))), 3)})
    return rows


def worst_pair(different: np.ndarray, pairs: list[tuple[str, str]], share: float) -> tuple[float, tuple]:
    """The largest threshold at which no single pair of different people merges in more than ``share`` of its
    samples, and that pair: an overall rate hides the one look-alike pair that always merges, and a video
    that casts both then holds one person for two."""
    by_pair: dict[tuple, list[float]] = {}
    for d, pair in zip(different, pairs, strict=True):
        by_pair.setdefault(pair, []).append(float(d))
    limits = {pair: float(np.quantile(ds, share)) for pair, ds in by_pair.items()}
    pair = min(limits, key=limits.get)
    return round(limits[pair], 3), pair


def closest_pairs(different: np.ndarray, pairs: list[tuple[str, str]], share: float,
                  count: int = 8) -> list[tuple[float, tuple]]:
    """The ``count`` pairs of different people that merge first (their ``share`` quantile of distance): the
    look-alikes a bench should cast together."""
    by_pair: dict[tuple, list[float]] = {}
    for d, pair in zip(different, pairs, strict=True):
        by_pair.setdefault(pair, []).append(float(d))
    limits = sorted((round(float(np.quantile(ds, share)), 3), pair) for pair, ds in by_pair.items())
    return limits[:count]


def choose(same: np.ndarray, different: np.ndarray, merge_rate: float) -> float:
    """The largest threshold merging at most ``merge_rate`` of different-person pairs. Not the midpoint between
    the two distributions: dev's same-person side (a few portraits per person) is narrower than real footage's
    (a public face set split people at dev's midpoints), while its different-person side holds the hardest
    look-alikes there are in it — so the threshold goes as far as the look-alikes allow."""
    return round(float(np.quantile(different, merge_rate)), 3)


def rates(same: np.ndarray, different: np.ndarray, t: float) -> dict[str, float]:
    return {"threshold": t, "split_rate": round(float(np.mean(same > t)), 4),
            "merge_rate": round(float(np.mean(different <= t)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=4)
    parser.add_argument("--samples", type=int, default=120, help="same-person samples per identity and level")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--merge-rate", type=float, default=0.005)
    parser.add_argument("--pair-share", type=float, default=0.05,
                        help="most a single pair of different people may merge in its samples")
    parser.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=FaceSettings().mirror_best_face,
                        help="group levels use faces averaged with their mirror image, as track vectors do")
    parser.add_argument("--exclude-fold", default="",
                        help="leave-people-out: 'i/k' chooses thresholds without dev fold i of k "
                             "(bench/faces_folds.py); measure them on that fold with faces_broadcast.py --fold")
    parser.add_argument("--out", default="", help="also write the chosen thresholds to this JSON file "
                        "(faces_broadcast.py --thresholds)")
    args = parser.parse_args()
    settings = FaceSettings(mirror_best_face=args.mirror)
    people = photos_by_identity()
    if args.exclude_fold:
        people = out_of_fold(people, args.exclude_fold)
    print(f"people: {', '.join(sorted(people))}")
    model = load_face_model(settings)
    shipped = thresholds(settings)
    started = time.perf_counter()
    faces: list = []
    mirrored: dict | None = {} if settings.mirror_best_face else None
    found = embed_captures(model, people, args.captures, args.seed, faces, mirrored)
    pair_of: dict[str, list[tuple[str, str]]] = {}
    levels = level_pairs(found, random.Random(args.seed), args.samples, pair_of, mirrored)
    uses = {"face": "track_split_distance", "query": "match_distance", "linkage": "cluster_distance",
            "centroid": "identity_distance"}
    current = {"face": shipped.match_distance, "query": shipped.match_distance,
               "linkage": shipped.cluster_distance, "centroid": shipped.identity_distance}
    result = {"identities": len(found), "faces": sum(len(v) for v in found.values()),
              "captures_per_photo": args.captures, "merge_rate": args.merge_rate, "levels": {}}
    print(f"{len(found)} identities, {result['faces']} captured faces embedded in "
          f"{time.perf_counter() - started:.0f} s")
    print(f"{'level':>9} {'setting':>21} | same p50  p95  p99  max | diff min  p0.5  p1   p5   p50 | "
          f"shipped (split/merge) | chosen (split/merge)")
    for level, (same, different) in levels.items():
        same, different = np.array(same), np.array(different)
        overall = choose(same, different, args.merge_rate)
        pair_limit, pair = worst_pair(different, pair_of[level], args.pair_share)
        chosen = min(overall, pair_limit)
        row = {"same": [round(float(x), 3) for x in np.quantile(same, [0.5, 0.95, 0.99, 1.0])],
               "different": [round(float(x), 3) for x in np.quantile(different, [0, 0.005, 0.01, 0.05, 0.5])],
               "pairs": [len(same), len(different)], "setting": uses[level],
               "shipped": rates(same, different, current[level]), "chosen": rates(same, different, chosen),
               "overall_rule": overall, "worst_pair_rule": pair_limit, "worst_pair": list(pair),
               "closest_pairs": [[d, *p] for d, p in closest_pairs(different, pair_of[level], args.pair_share)]}
        result["levels"][level] = row
        s, d, a, b = row["same"], row["different"], row["shipped"], row["chosen"]
        print(f"{level:>9} {uses[level]:>21} | {s[0]:.3f} {s[1]:.3f} {s[2]:.3f} {s[3]:.3f} | "
              f"{d[0]:.3f} {d[1]:.3f} {d[2]:.3f} {d[3]:.3f} {d[4]:.3f} | {a['threshold']:.3f} "
              f"({a['split_rate']:.3f}/{a['merge_rate']:.3f}) | {b['threshold']:.3f} "
              f"({b['split_rate']:.3f}/{b['merge_rate']:.3f}) [overall {overall:.3f}, worst pair {pair_limit:.3f} "
              f"{'/'.join(pair)}]")
        print(f"{'':>9} closest pairs ({args.pair_share:.0%} quantile): "
              + ", ".join(f"{a}/{b} {d:.3f}" for d, a, b in row["closest_pairs"]))
    if args.out:  # query: the overall rule (as shipped: search trades no unseen person's recall for one pair)
        levels_out = result["levels"]
        chosen = {"match_distance": levels_out["query"]["overall_rule"],
                  "cluster_distance": levels_out["linkage"]["chosen"]["threshold"],
                  "identity_distance": levels_out["centroid"]["chosen"]["threshold"],
                  "split_distance": levels_out["face"]["chosen"]["threshold"],
                  "chosen_on": sorted(people), "left_out": args.exclude_fold}
        Path(args.out).write_text(json.dumps(chosen, indent=2))
        print("chosen:", {k: v for k, v in chosen.items() if k != "chosen_on"})
    result["by_sharpness"] = by_sharpness(found, faces)
    print("sharpness band | faces | own-identity distance p50 p95 | nearest other p5 | closer to another")
    for row in result["by_sharpness"]:
        print(f"{str(row['sharpness']):>14} | {row['faces']:5d} | {row['own_p50']:.3f} {row['own_p95']:.3f} | "
              f"{row['nearest_other_p5']:.3f} | {row['closer_to_other']:.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.exclude_fold:  # the shipped calibration's record is all dev people's
        (RESULTS / "faces_calibrate.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
