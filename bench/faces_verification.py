"""Face verification on deepface's dev pairs: calibrate the same-person distance and measure accuracy.

    python bench/faces_verification.py [--backend dlib|insightface] [--model-root DIR] [--split heldout]

Embeds the largest face of every photo once, then for the 300 pairs of ``master.csv``: accuracy at the shipped
threshold, the threshold a calibration picks (best accuracy, centre of the widest such interval), 5-fold
cross-validated accuracy (threshold picked on 4/5, scored on the rest), and accuracy on the 280 pivot pairs
the threshold was not chosen on. ``--split heldout`` scores LFW10 (acceptance data) at the shipped threshold
only. Writes bench/results/faces_verification.json and a distance histogram PNG.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.faces.devdata import VerificationPair, eval_root, verification_pairs  # noqa: E402
from vidsearch.faces.models import distance_of, load_face_model  # noqa: E402
from vidsearch.faces.settings import FaceSettings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def embed_photos(model, paths: list[Path]) -> dict[Path, np.ndarray | None]:
    vectors: dict[Path, np.ndarray | None] = {}
    for path in paths:
        image = cv2.imread(str(path))
        faces = model.detect(image, 800) if image is not None else []
        if not faces:
            vectors[path] = None
            continue
        face = max(faces, key=lambda f: f.area)
        vectors[path] = model.embed([model.align(image, face)])[0]
    return vectors


def pair_distances(pairs: list[VerificationPair], vectors) -> tuple[np.ndarray, np.ndarray, int]:
    """Distances and labels; a pair with an undetected face counts as 'different' (distance 2)."""
    distances, labels, missing = [], [], 0
    for pair in pairs:
        a, b = vectors.get(pair.a), vectors.get(pair.b)
        if a is None or b is None:
            missing += 1
            distances.append(2.0)
        else:
            distances.append(float(distance_of(a @ b)))
        labels.append(pair.same)
    return np.array(distances), np.array(labels), missing


def accuracy(distances: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    return float(np.mean((distances <= threshold) == labels))


def calibrate(distances: np.ndarray, labels: np.ndarray) -> float:
    """The centre of the widest interval of thresholds with the best accuracy."""
    cuts = np.unique(np.concatenate([[0.0], distances, [2.0]]))
    mids = (cuts[:-1] + cuts[1:]) / 2
    scores = np.array([accuracy(distances, labels, t) for t in mids])
    best = scores.max()
    runs, start = [], None
    for i, score in enumerate(scores):
        if score == best and start is None:
            start = i
        if (score != best or i == len(scores) - 1) and start is not None:
            end = i if score == best else i - 1
            runs.append((cuts[end + 1] - cuts[start], (cuts[start] + cuts[end + 1]) / 2))
            start = None
    return float(max(runs)[1])


def cross_validated(distances: np.ndarray, labels: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    order = np.random.default_rng(seed).permutation(len(labels))
    correct = 0
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        threshold = calibrate(distances[train], labels[train])
        correct += int(((distances[test] <= threshold) == labels[test]).sum())
    return correct / len(labels)


def heldout_pairs(root: Path) -> list[VerificationPair]:
    folder = root / "heldout/faces/lfw10"
    photos = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return [VerificationPair(a, b, a.parent == b.parent) for a, b in itertools.combinations(photos, 2)]


def plot(distances, labels, threshold, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = np.linspace(0, max(1.0, float(distances[distances < 2].max()) + 0.05), 50)
    ax.hist(distances[labels], bins=bins, alpha=0.7, label=f"same person ({labels.sum()})")
    ax.hist(
        distances[~labels & (distances < 2)], bins=bins, alpha=0.7, label=f"different ({(~labels).sum()})"
    )
    ax.axvline(threshold, color="k", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_xlabel("distance between unit embeddings")
    ax.set_ylabel("pairs")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="dlib", choices=["dlib", "insightface"])
    parser.add_argument("--model-root", default=None, help="insightface model root")
    parser.add_argument("--split", default="dev", choices=["dev", "heldout"])
    args = parser.parse_args()
    settings = FaceSettings(backend=args.backend, model_root=args.model_root)
    model = load_face_model(settings)
    shipped = model.calibration.match_distance
    root = eval_root()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.split == "heldout":
        pairs = heldout_pairs(root)
        vectors = embed_photos(model, sorted({p.a for p in pairs} | {p.b for p in pairs}))
        d, y, missing = pair_distances(pairs, vectors)
        result = {
            "backend": args.backend,
            "encoder": model.identity,
            "split": "heldout (LFW10)",
            "pairs": len(pairs),
            "same_pairs": int(y.sum()),
            "faces_not_found": missing,
            "threshold": shipped,
            "accuracy": round(accuracy(d, y, shipped), 4),
        }
        print(json.dumps(result, indent=2))
        (RESULTS / f"faces_verification_heldout_{args.backend}.json").write_text(json.dumps(result, indent=2))
        return
    master = verification_pairs(root, "master")
    pivot = verification_pairs(root, "pivot")
    vectors = embed_photos(model, sorted({p.a for p in master + pivot} | {p.b for p in master + pivot}))
    d, y, missing = pair_distances(master, vectors)
    dp, yp, missing_p = pair_distances(pivot, vectors)
    chosen = calibrate(d, y)
    same, diff = d[y], d[~y & (d < 2)]
    result = {
        "backend": args.backend,
        "encoder": model.identity,
        "split": "dev (deepface)",
        "photos": len(vectors),
        "faces_not_found": sum(v is None for v in vectors.values()),
        "master_pairs": len(master),
        "master_same": int(y.sum()),
        "pairs_missing_a_face": missing,
        "shipped_threshold": shipped,
        "accuracy_at_shipped": round(accuracy(d, y, shipped), 4),
        "calibrated_threshold": round(chosen, 4),
        "accuracy_at_calibrated": round(accuracy(d, y, chosen), 4),
        "accuracy_5fold_cv": round(cross_validated(d, y), 4),
        "same_max": round(float(same.max()), 4),
        "different_min": round(float(diff.min()), 4),
        "pivot_pairs": len(pivot),
        "pivot_missing_a_face": missing_p,
        "pivot_accuracy_at_shipped": round(accuracy(dp, yp, shipped), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2))
    print(
        f"accuracy at the shipped threshold {shipped}: {result['accuracy_at_shipped']:.4f} (target ≥ 0.97); "
        f"cross-validated {result['accuracy_5fold_cv']:.4f}; "
        f"pivot pairs {result['pivot_accuracy_at_shipped']:.4f}"
    )
    (RESULTS / f"faces_verification_{args.backend}.json").write_text(json.dumps(result, indent=2))
    plot(
        d,
        y,
        shipped,
        RESULTS / f"faces_verification_{args.backend}.png",
        f"{args.backend}: deepface master.csv pairs, accuracy {result['accuracy_at_shipped']:.3f}",
    )


if __name__ == "__main__":
    main()
