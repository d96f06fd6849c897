"""Where one person's spread meets another person: the margins the match and cluster distances work in, per
editing condition, on dev only — to test a rule before it is built.

    python bench/faces_spread.py [--conditions same_background,small,...] [--videos 3] [--duration 30]
                                 [--capture 1.0] [--capture-resolution X] [--seed 11] [--out NAME.json]

Composes the broadcast bench's videos (``testkit.faces.broadcast``, look-alikes cast), runs the real shots and
faces stages, and for every person that is ≥ 90 % one true identity measures:

* search margin: each dev person's query photo (embedded as search embeds it) against the person's centroid —
  the farthest true match and the nearest false one (a look-alike), beside ``match_distance``;
* whether a person's own spread predicts how far its true query lies (correlation of the mean face-to-centroid
  distance with the true query distance): a per-person, spread-aware match radius needs it to;
* clustering margin: track vectors of one true identity farther apart than ``cluster_distance`` (splits that a
  looser linkage would have to join) beside different people's tracks nearer than the farthest such pair (what
  the same loosening would merge).

Writes bench/results/faces_spread.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.faces.broadcast import CONDITIONS, plan_condition  # noqa: E402
from testkit.faces.composer import CropCache, render  # noqa: E402
from testkit.faces.devdata import photos_by_identity  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.faces.models import distance_of, normalised, thresholds  # noqa: E402
from vidsearch.faces.search import encode_photo  # noqa: E402
from vidsearch.faces.stage import FaceStage  # noqa: E402
from vidsearch.media.probe import probe_video  # noqa: E402
from vidsearch.stages.base import VideoWork  # noqa: E402
from vidsearch.stages.shots import ShotStage  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _d(a: np.ndarray, b: np.ndarray) -> float:
    return float(distance_of(float(np.clip(a @ b, -1.0, 1.0))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--videos", type=int, default=3)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--capture", type=float, default=1.0)
    parser.add_argument("--capture-resolution", type=float, default=None)
    parser.add_argument("--out", default="faces_spread.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="faces-spread-"))
    settings = Settings(data_dir=work / "data", log_level="WARNING")
    people = photos_by_identity()
    faces, shots = FaceStage(settings), ShotStage(settings)
    limits = thresholds(settings.faces, faces.model)
    crops = CropCache(faces.model)
    queries = {who: encode_photo(photos[0].path, settings, model=faces.model).vector
               for who, photos in people.items()}
    true_q, false_q, spread_q, split_pairs, close_others = [], [], [], [], []
    for condition in args.conditions.split(","):
        for video in plan_condition(people, condition, args.videos, args.duration, cast=6, seed=args.seed,
                                    capture_strength=args.capture, lookalikes=True,
                                    capture_resolution=args.capture_resolution):
            render(video, work / f"{video.name}.mp4", crops)
            item = VideoWork.create(probe_video(video.path), settings.media_dir)
            shots.run(item)
            found = faces.analyse(item)
            labelled = []
            for track in found.tracks:
                votes = Counter(video.identity_at(s.t, s.box) for s in track.sightings)
                votes.pop(None, None)
                if votes and track.vector is not None:
                    labelled.append((votes.most_common(1)[0][0], track.vector))
            for (a, va), (b, vb) in itertools.combinations(labelled, 2):
                (split_pairs if a == b else close_others).append((round(_d(va, vb), 3), video.name, a, b))
            for person in found.persons:
                votes = Counter(video.identity_at(s.t, s.box) for t in person.tracks for s in t.sightings)
                votes.pop(None, None)
                if not votes:
                    continue
                who, n = votes.most_common(1)[0]
                embedded = [c.embedding for t in person.tracks for c in t.candidates if c.embedding is not None]
                if n < 0.9 * sum(votes.values()) or not embedded:
                    continue
                centre = normalised(np.mean(embedded, axis=0))[0]
                spread = float(np.mean([_d(e, centre) for e in embedded]))
                for name, query in queries.items():
                    d = round(_d(query, centre), 3)
                    if name == who:
                        true_q.append((d, video.name, who))
                        spread_q.append((spread, d))
                    else:
                        false_q.append((d, video.name, f"{name} → {who}"))
            print(f"{video.name}: {len(found.tracks)} tracks, {len(found.persons)} persons", flush=True)
    worst_split = max((p for p in split_pairs if p[0] > limits.cluster_distance), default=None)
    merged_too = sorted(p for p in close_others if worst_split and p[0] <= worst_split[0])
    spreads, dists = zip(*spread_q, strict=True) if len(spread_q) > 1 else ((), ())
    result = {
        "capture": args.capture, "capture_resolution": args.capture_resolution, "seed": args.seed,
        "match_distance": limits.match_distance, "cluster_distance": limits.cluster_distance,
        "search": {"farthest_true": sorted(true_q)[-5:], "nearest_false": sorted(false_q)[:5],
                   "true_beyond_match": sum(d > limits.match_distance for d, *_ in true_q),
                   "false_within_match": sum(d <= limits.match_distance for d, *_ in false_q),
                   "true": len(true_q), "false": len(false_q),
                   "spread_vs_true_distance_corr": round(float(np.corrcoef(spreads, dists)[0, 1]), 3)
                   if len(spreads) > 2 else None},
        "clustering": {"same_identity_tracks_beyond_cluster_distance": len([p for p in split_pairs
                                                                            if p[0] > limits.cluster_distance]),
                       "farthest_same_identity_pair": worst_split,
                       "different_pairs_within_it": len(merged_too), "nearest_different": sorted(close_others)[:5]},
    }
    for key, value in result.items():
        print(f"{key}: {json.dumps(value, default=str)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
