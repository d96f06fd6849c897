"""Synthetic archive segments for benchmarks: real Korean/English sentences (the shared dev parallel corpus), real
drama titles, clustered unit vectors. Text is real so the Korean analyser does real work; vectors are synthetic
(100k real embeddings would take an hour on this CPU) but clustered like real embeddings, not uniform noise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def shared_eval() -> Path:
    for candidate in (REPO.parent / "shared" / "eval", Path("/work/shared/eval")):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("../shared/eval not found beside the repository")


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentences() -> tuple[list[str], list[str]]:
    folder = shared_eval() / "dev" / "parallel_ko_en"
    ko = _lines(folder / "korean-english-park.dev.ko") + _lines(folder / "jhe-koen-dev.ko")
    en = _lines(folder / "korean-english-park.dev.en") + _lines(folder / "jhe-koen-dev.en")
    return ko, en


def titles() -> list[str]:
    path = shared_eval() / "dev" / "credits" / "kdrama_wiki_db" / "kdrama_name_role_flat.tsv"
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return sorted({row.split("\t")[0] for row in rows if row.split("\t")[0]})


def clustered_unit_vectors(n: int, dims: int, seed: int, clusters: int = 1000, spread: float = 0.6,
                           centres_seed: int | None = None) -> np.ndarray:
    """Unit vectors around ``clusters`` random centres (topics). Queries for a corpus pass the corpus's seed as
    ``centres_seed``: they then fall near the corpus's topics, as real queries do — a query far from every
    cluster has near-equidistant neighbours and says nothing about ANN recall."""
    centres = np.random.default_rng(seed if centres_seed is None else centres_seed).standard_normal(
        (clusters, dims)).astype(np.float32)
    rng = np.random.default_rng(seed)
    if centres_seed is None:
        rng.standard_normal((clusters, dims))  # keep a corpus's draws exactly as before
    x = centres[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _fragment(rng: np.random.Generator, pool: list[str], low: int, high: int) -> str:
    words = pool[rng.integers(len(pool))].split()
    length = int(rng.integers(low, high + 1))
    start = int(rng.integers(0, max(1, len(words) - length + 1)))
    return " ".join(words[start:start + length])


def synthetic_segments(n: int, dims: int, seed: int = 0, segments_per_video: int = 40
                       ) -> Iterator[tuple[str, dict]]:
    """(id, body) for n segments of n / segments_per_video videos."""
    rng = np.random.default_rng(seed)
    ko, en = sentences()
    names = titles()
    vectors = clustered_unit_vectors(n, dims, seed)
    channels = ["KBS1", "KBS2", "MBC", "SBS", "EBS", "JTBC", "tvN"]
    start = dt.date(2000, 1, 1)
    for i in range(n):
        video = i // segments_per_video
        vrng = np.random.default_rng(seed * 1_000_003 + video)
        index = i % segments_per_video
        yield f"v{video:07d}.s{index:04d}", {
            "video_id": f"v{video:07d}",
            "index": index,
            "start_s": index * 12.0,
            "end_s": index * 12.0 + 12.0,
            "title": names[int(vrng.integers(len(names)))],
            "channel": channels[int(vrng.integers(len(channels)))],
            "air_date": (start + dt.timedelta(days=int(vrng.integers(0, 9000)))).isoformat(),
            "ocr_text": _fragment(rng, ko, 3, 12),
            "caption": _fragment(rng, en, 6, 16),
            "text_vec": vectors[i],
        }


def queries(count: int, seed: int = 1) -> list[str]:
    """Short queries of the kind people type: 1–3 words from the same sentences, Korean and English mixed."""
    rng = np.random.default_rng(seed)
    ko, en = sentences()
    out = []
    for i in range(count):
        pool = ko if i % 2 == 0 else en
        out.append(_fragment(rng, pool, 1, 3))
    return out
