"""Persons on composed videos with exact truth: clustering F1, appearance boundaries, person search recall@10,
and what tracking saves.

    python bench/faces_persons.py [--videos 8] [--duration 60] [--seed 7]

Composes seeded videos from the labelled dev photos (each person shown with a different photo on each
entrance; one photo per person is never shown and is the search query), analyses each twice — with tracking
and with every face embedded — indexes the tracked persons into an embedded store and searches it by photo.
Sweeps the clustering distance on the tracked vectors (the calibration of ``cluster_distance``). Writes
bench/results/faces_persons.json and faces_persons.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidsearch.config import Settings  # noqa: E402
from vidsearch.faces.analysis import analyse_frames  # noqa: E402
from testkit.faces.composer import CropCache, plan_videos, render  # noqa: E402
from testkit.faces.devdata import photos_by_identity  # noqa: E402
from testkit.faces.evaluation import (  # noqa: E402
    boundary_errors,
    majority_identity,
    pairwise_scores,
    sighting_labels,
)
from vidsearch.faces.models import load_face_model, thresholds  # noqa: E402
from vidsearch.faces.persons import group_persons, merge_spans, person_documents  # noqa: E402
from vidsearch.faces.search import search_by_photo  # noqa: E402
from vidsearch.media.frames import Cv2FrameSource  # noqa: E402
from vidsearch.schema import IndexName  # noqa: E402
from vidsearch.store.embedded.store import EmbeddedStore  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def analyse(video, model, face_settings, limits):
    frames = Cv2FrameSource(video.path).sample(face_settings.sample_fps)
    return analyse_frames(frames, model, face_settings, limits, video.duration_s)


def score_video(video, found) -> dict:
    truth_labels, found_labels, stray = sighting_labels(video, found.persons)
    precision, recall, f1 = pairwise_scores(truth_labels, found_labels)
    spans: dict[str, list] = {}
    for person in found.persons:
        identity = majority_identity(video, person)
        if identity is not None:
            spans.setdefault(identity, []).extend(person.appearances)
    errors = []
    for identity, truth in video.truth().items():
        errors += boundary_errors(truth, merge_spans(spans.get(identity, []), 0.0))
    return {
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": f1,
        "stray_sightings": stray,
        "persons": len(found.persons),
        "true_persons": len(video.truth()),
        "boundary_errors": errors,
        "stats": found.stats.as_dict(),
        "wall_s": found.wall_s,
        "labels": (truth_labels, found_labels),
    }


def sweep_cluster_distance(videos, results, step_s, merge_gap) -> list[dict]:
    rows = []
    for distance in np.round(np.arange(0.26, 0.56, 0.02), 2):
        truth_all, found_all, offset = [], [], 0
        for video, found in zip(videos, results, strict=True):
            persons = group_persons(found.tracks, float(distance), step_s, merge_gap, video.duration_s)
            truth_labels, found_labels, _ = sighting_labels(video, persons)
            truth_all += [f"{video.name}/{t}" for t in truth_labels]
            found_all += [offset + f for f in found_labels]
            offset += 1000
        precision, recall, f1 = pairwise_scores(truth_all, found_all)
        rows.append({"cluster_distance": float(distance), "precision": precision, "recall": recall, "f1": f1})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="faces-bench-"))
    settings = Settings(data_dir=work / "data", log_level="WARNING")
    model = load_face_model(settings.faces)
    limits = thresholds(settings.faces, model)
    people = photos_by_identity()
    videos = plan_videos(people, args.videos, args.duration, seed=args.seed)
    crops = CropCache(model)
    for video in videos:
        render(video, work / f"{video.name}.mp4", crops)
    print(f"composed {len(videos)} videos of {args.duration:.0f} s in {work}")

    tracked, untracked = [], []
    for video in videos:
        tracked.append(analyse(video, model, settings.faces, limits))
        untracked.append(analyse(video, model, settings.faces.model_copy(update={"tracking": False}), limits))
        t, u = tracked[-1], untracked[-1]
        print(
            f"{video.name}: {t.stats.faces_detected} faces, {t.stats.embeddings} embedded with tracking "
            f"({t.wall_s:.1f} s) vs {u.stats.embeddings} without ({u.wall_s:.1f} s)"
        )

    scores = [score_video(v, r) for v, r in zip(videos, tracked, strict=True)]
    scores_untracked = [score_video(v, r) for v, r in zip(videos, untracked, strict=True)]

    def pooled_f1(rows):
        truth_all, found_all = [], []
        for k, row in enumerate(rows):
            truth_all += [f"{k}/{t}" for t in row["labels"][0]]
            found_all += [k * 1000 + f for f in row["labels"][1]]
        return pairwise_scores(truth_all, found_all)

    # index the tracked persons and search by each person's held-out photo
    store = EmbeddedStore(settings.store_dir, settings.store)
    store.ensure_indices({"face": {"id": model.identity, "dims": model.dims}})
    for video, found in zip(videos, tracked, strict=True):
        docs = person_documents(video.name, found.persons, settings.media_dir)
        store.upsert(IndexName.PERSONS, [(d.id, d.to_doc()) for d in docs])
    store.refresh()
    # every person with a held-out photo is queried; those in no video must find nothing
    queries = {name: photos[0] for name, photos in people.items() if len(photos) >= 2}
    search_rows = []
    for identity, photo in sorted(queries.items()):
        relevant = {v.name for v in videos if identity in v.truth()}
        result = search_by_photo(photo.path, settings, store, model=model, k=10)
        returned = [v.video_id for v in result.videos]
        span_errors = []
        for match in result.videos:
            truth = next(v for v in videos if v.name == match.video_id).truth().get(identity)
            if truth:
                span_errors += boundary_errors(truth, [(a.start_s, a.end_s) for a in match.appearances])
        search_rows.append(
            {
                "identity": identity,
                "query": str(photo.path.name),
                "relevant": sorted(relevant),
                "returned": returned,
                "recall_at_10": len(relevant & set(returned)) / len(relevant) if relevant else None,
                "precision": (len(relevant & set(returned)) / len(returned)) if returned else None,
                "wrong_videos": len(set(returned) - relevant),
                "max_boundary_error_s": max(span_errors) if span_errors else None,
                "took_ms": result.took_ms,
            }
        )
    store.close()

    sweep = sweep_cluster_distance(
        videos, tracked, 1.0 / settings.faces.sample_fps, settings.faces.merge_gap_s
    )
    faces = sum(s["stats"]["faces_detected"] for s in scores)
    embedded = sum(s["stats"]["embeddings"] for s in scores)
    embedded_all = sum(s["stats"]["embeddings"] for s in scores_untracked)
    wall = sum(s["wall_s"] for s in scores)
    wall_all = sum(s["wall_s"] for s in scores_untracked)
    errors = [e for s in scores for e in s["boundary_errors"]]
    p, r, f1 = pooled_f1(scores)
    pu, ru, f1u = pooled_f1(scores_untracked)
    positive = [row for row in search_rows if row["relevant"]]
    recall = float(np.mean([row["recall_at_10"] for row in positive]))
    precisions = [row["precision"] for row in positive if row["precision"] is not None]
    result = {
        "videos": len(videos),
        "duration_s": args.duration,
        "seed": args.seed,
        "encoder": model.identity,
        "cluster_distance": limits.cluster_distance,
        "match_distance": limits.match_distance,
        "clustering": {
            "pairwise_precision": p,
            "pairwise_recall": r,
            "pairwise_f1": f1,
            "per_video_f1": [round(s["pairwise_f1"], 4) for s in scores],
            "persons_found": [s["persons"] for s in scores],
            "persons_true": [s["true_persons"] for s in scores],
            "stray_sightings": sum(s["stray_sightings"] for s in scores),
        },
        "clustering_without_tracking": {"pairwise_precision": pu, "pairwise_recall": ru, "pairwise_f1": f1u},
        "appearance_boundaries": {
            "spans": len(errors),
            "max_error_s": max(errors),
            "mean_error_s": float(np.mean(errors)),
            "within_1s": float(np.mean(np.array(errors) <= 1.0)),
        },
        "search": {
            "queries": len(positive),
            "recall_at_10": recall,
            "mean_precision": float(np.mean(precisions)) if precisions else None,
            "negative_queries": len(search_rows) - len(positive),
            "negative_queries_with_matches": sum(
                1 for r in search_rows if not r["relevant"] and r["returned"]
            ),
            "wrong_videos_returned": sum(r["wrong_videos"] for r in search_rows),
            "max_boundary_error_s": max(
                (r["max_boundary_error_s"] for r in search_rows if r["max_boundary_error_s"] is not None),
                default=None,
            ),
            "rows": search_rows,
        },
        "tracking": {
            "faces_detected": faces,
            "embeddings_with_tracking": embedded,
            "embeddings_without_tracking": embedded_all,
            "faces_per_embedding": faces / max(embedded, 1),
            "embedding_saving": embedded_all / max(embedded, 1),
            "wall_s_with_tracking": wall,
            "wall_s_without_tracking": wall_all,
            "wall_ratio_without_over_with": wall_all / wall,
        },
        "cluster_distance_sweep": sweep,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faces_persons.json").write_text(json.dumps(result, indent=2))
    print(
        json.dumps(
            {k: v for k, v in result.items() if k not in ("cluster_distance_sweep", "search")}, indent=2
        )
    )
    print(
        f"clustering pairwise F1 {f1:.4f} (target ≥ 0.95; without tracking {f1u:.4f}); "
        f"search recall@10 {recall:.4f} (target ≥ 0.95); boundaries max error {max(errors):.2f} s "
        f"(target ≤ 1 s); tracking embeds 1 face in {faces / max(embedded, 1):.1f} (target ≥ 3), "
        f"{embedded_all / max(embedded, 1):.1f}x fewer embeddings, wall {wall:.0f} s vs {wall_all:.0f} s "
        f"without ({wall_all / wall:.2f}x)"
    )
    plot(result, scores, scores_untracked, RESULTS / "faces_persons.png")


def plot(result, scores, scores_untracked, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    sweep = result["cluster_distance_sweep"]
    x = [row["cluster_distance"] for row in sweep]
    for key in ("f1", "precision", "recall"):
        axes[0].plot(x, [row[key] for row in sweep], marker="o", label=key)
    axes[0].axvline(result["cluster_distance"], color="k", linestyle="--", label="shipped")
    axes[0].set_xlabel("cluster distance (average linkage)")
    axes[0].set_title("per-video clustering, pairwise")
    axes[0].legend()
    n = np.arange(len(scores))
    axes[1].bar(n - 0.2, [s["stats"]["embeddings"] for s in scores], 0.4, label="with tracking")
    axes[1].bar(n + 0.2, [s["stats"]["embeddings"] for s in scores_untracked], 0.4, label="every face")
    axes[1].set_xlabel("video")
    axes[1].set_ylabel("embeddings computed")
    axes[1].set_title(
        f"tracking: {result['tracking']['embedding_saving']:.1f}x fewer embeddings, "
        f"{result['tracking']['wall_ratio_without_over_with']:.2f}x faster"
    )
    axes[1].legend()
    errors = [e for s in scores for e in s["boundary_errors"]]
    axes[2].hist(errors, bins=np.linspace(0, 1.0, 21))
    axes[2].set_xlabel("appearance boundary error (s)")
    axes[2].set_title(f"{len(errors)} true appearances, max {max(errors):.2f} s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
