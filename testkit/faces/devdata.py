"""The labelled face photos of ``../shared/eval/dev/faces`` (third-party, dev split), as tests and benchmarks
use them: identities, verification pairs and face crops.

deepface labels 25 files by name and its pair lists (``master.csv``, ``face-recognition-pivot.csv``) say which
files show the same person; joining every "Yes" pair gives 13 identities over 61 photos. face_recognition's
examples add five people (``identities.tsv``). Files that show several people are left out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEEPFACE = Path("dev/faces/deepface")
DEEPFACE_IMAGES = DEEPFACE / "tests/unit/dataset"
EXAMPLES = Path("dev/faces/face_recognition_examples")
HAMILTON_CLIP = EXAMPLES / "examples/short_hamilton_clip.mp4"
# face_recognition's single-person query faces, labelled by their file names (identities.tsv lists train/
# only).
EXAMPLE_QUERIES = {
    "examples/knn_examples/test/alex_lacamoire1.jpg": "alex_lacamoire",
    "examples/knn_examples/test/johnsnow_test1.jpg": "kit_harington",
    "examples/knn_examples/test/obama1.jpg": "obama",
}


def eval_root() -> Path:
    """``<repo>/../shared/eval`` (CI's layout), else ``/work/shared/eval`` (a worktree beside the main
    checkout)."""
    for candidate in (REPO.parent / "shared" / "eval", Path("/work/shared/eval")):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no evaluation data at {REPO.parent / 'shared' / 'eval'} or /work/shared/eval")


@dataclass(frozen=True)
class LabelledPhoto:
    path: Path
    identity: str
    source: str  # "deepface" | "examples"


@dataclass(frozen=True)
class VerificationPair:
    a: Path
    b: Path
    same: bool


def verification_pairs(root: Path | None = None, which: str = "master") -> list[VerificationPair]:
    """deepface's same/different pairs: ``master`` (master.csv) or ``pivot`` (face-recognition-pivot.csv)."""
    folder = (root or eval_root()) / DEEPFACE_IMAGES
    name = "master.csv" if which == "master" else "face-recognition-pivot.csv"
    pairs = []
    with (folder / name).open(newline="") as fh:
        for row in csv.DictReader(fh):
            decision = (row.get("Decision") or row.get("decision") or "").strip()
            a, b = (Path(row[k]).name for k in ("file_x", "file_y"))
            pairs.append(VerificationPair(folder / a, folder / b, decision == "Yes"))
    return pairs


@cache
def labelled_photos(root: Path | None = None) -> tuple[LabelledPhoto, ...]:
    root = root or eval_root()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for which in ("master", "pivot"):
        for pair in verification_pairs(root, which):
            a, b = find(pair.a.name), find(pair.b.name)
            if pair.same:
                parent[a] = b
    names: dict[str, str] = {}
    with (root / DEEPFACE / "identities_from_deepface_notebook.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            names[Path(row["file"]).name] = row["identity"]
    groups: dict[str, list[str]] = {}
    for file in parent:
        groups.setdefault(find(file), []).append(file)
    photos = []
    for members in groups.values():
        members.sort(key=lambda f: (len(f), f))
        named = sorted({names[f] for f in members if f in names})
        identity = named[0] if named else f"deepface-{Path(members[0]).stem}"
        photos += [LabelledPhoto(root / DEEPFACE_IMAGES / f, identity, "deepface") for f in members]
    with (root / EXAMPLES / "identities.tsv").open() as fh:
        labelled = {row["file"]: row["identity"] for row in csv.DictReader(fh, delimiter="\t")}
    for file, identity in {**labelled, **EXAMPLE_QUERIES}.items():
        identity = identity.lower().replace("-", "_").replace(" ", "_")
        photos.append(LabelledPhoto(root / EXAMPLES / file, identity, "examples"))
    return tuple(sorted(photos, key=lambda p: (p.identity, str(p.path))))


def photos_by_identity(root: Path | None = None) -> dict[str, list[LabelledPhoto]]:
    grouped: dict[str, list[LabelledPhoto]] = {}
    for photo in labelled_photos(root):
        grouped.setdefault(photo.identity, []).append(photo)
    return grouped
