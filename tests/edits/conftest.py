"""Fixtures for the edit layer: a small embedded archive of hand-written segments and credits, with real text
vectors from the default encoder, so an edit's effect on BM25 and on the vector is what a user would see."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from vidsearch.config import Settings
from vidsearch.documents import Credit, Segment, Video
from vidsearch.schema import IndexName
from vidsearch.stages.text_vectors import segment_text
from vidsearch.store.base import VideoBundle

CAPTIONS = ["해문대 해수욕장의 여름 풍경", "a palace at night with lanterns", "kimchi stew in a small kitchen"]
CREDITS = [("촬영감독", "김철수", "6.1"), ("음향효과맨", "이영희", None), ("음향효과맨", "박민수", None),
           ("조명기사", "최지훈", None)]


def video_bundle(settings: Settings, video_id: str = "vid1", captions=CAPTIONS, credits=CREDITS) -> VideoBundle:
    """One video's documents as an ingest would commit them (segments with text vectors, credits)."""
    from vidsearch.encoders.text import load_text_encoder

    encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
    segments = [Segment(id=f"{video_id}.s{i:04d}", video_id=video_id, index=i, start_s=i * 5.0, end_s=i * 5.0 + 5,
                        caption=c, title="여행의 발견") for i, c in enumerate(captions)]
    vectors = encoder.encode_documents([segment_text(s) for s in segments])
    for segment, vector in zip(segments, vectors, strict=True):
        segment.text_vec = vector.tolist()
    credit_docs = [Credit(id=f"{video_id}.c{i:04d}", video_id=video_id, time_s=60.0 + i, role_text=role, name=name,
                          role_code=code) for i, (role, name, code) in enumerate(credits)]
    video = Video(id=video_id, path=f"/videos/{video_id}.mp4", content_hash=video_id, file_name=f"{video_id}.mp4",
                  duration_s=20, fps=25, width=320, height=180, size_bytes=1)
    return VideoBundle(video_id, video.to_doc(),
                       {IndexName.SEGMENTS: [(s.id, s.to_doc()) for s in segments],
                        IndexName.CREDITS: [(c.id, c.to_doc()) for c in credit_docs]},
                       frozenset({IndexName.SEGMENTS, IndexName.CREDITS}))


@pytest.fixture
def archive(settings, shared):
    """(settings, embedded store) holding one video: three captioned segments and four credits."""
    from vidsearch.encoders.text import load_text_encoder
    from vidsearch.store.embedded.store import EmbeddedStore

    settings = settings.model_copy(update={"credits": settings.credits.model_copy(
        update={"eval_dir": shared / "eval"})})
    encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
    store = EmbeddedStore(settings.store_dir, settings.store)
    store.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    report = store.commit_video(video_bundle(settings))
    assert not report.failed, report.failed
    yield settings, store
    store.close()


EDITOR_KEYS = {"alice": "editor-key-alice-0123456789", "bob": "editor-key-bob-0123456789"}
ADMIN_KEY = "admin-key-0123456789"


@dataclass
class ServedArchive:
    url: str
    settings: Settings
    video_id: str  # the demo programme
    photos: Path  # face_recognition's example photos
    faces_video_ids: list[str]  # the Hamilton clip and a re-encoded cut of it: one person in two videos


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def served_archive(tmp_path_factory, ray_local, shared) -> Iterator[ServedArchive]:
    """The demo programme, the Hamilton clip and a cut of it (so one person spans two videos) indexed with the
    faces stage, served with editor keys for alice and bob."""
    from ray import serve

    from ray_jobs.ingest import run_ingest
    from vidsearch.cli.serve import start_local
    from vidsearch.config import IngestSettings, load_settings
    from vidsearch.demo import render_demo_video
    from testkit.faces.devdata import EXAMPLES, HAMILTON_CLIP
    from vidsearch.store import open_store

    root = tmp_path_factory.mktemp("edits-served")
    video = render_demo_video(root / "videos")
    hamilton = shared / "eval" / HAMILTON_CLIP
    cut = root / "videos" / "hamilton_cut.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(hamilton), "-t", "6", "-c:v", "libx264", "-crf", "26",
                    "-an", str(cut)], check=True, timeout=120)
    settings = load_settings(
        data_dir=root / "data", log_level="WARNING", ray={"progress_bars": False},
        ingest={"stages": [*IngestSettings().stages, "faces"]},
        credits={"eval_dir": shared / "eval"},
        edits={"editor_api_keys": EDITOR_KEYS},
        serve={"port": _free_port(), "admin_api_keys": [ADMIN_KEY]},
    )
    summary = run_ingest([video, hamilton, cut], settings)
    assert summary.videos_ok == 3, summary
    store = open_store(settings)
    ids = {body["file_name"]: vid for vid, body in store.scan(IndexName.VIDEOS)}
    store.close()
    url = start_local(settings)
    yield ServedArchive(url, settings, ids[video.name], shared / "eval" / EXAMPLES / "examples",
                        [ids[hamilton.name], ids[cut.name]])
    serve.shutdown()


@pytest.fixture(scope="package")
def api(served_archive) -> Iterator[httpx.Client]:
    """A client sending alice's editor key (editor keys may read too)."""
    with httpx.Client(base_url=served_archive.url, timeout=60,
                      headers={"X-API-Key": EDITOR_KEYS["alice"]}) as http:
        yield http


@pytest.fixture
def edit_api(archive) -> Iterator[httpx.Client]:
    """The edit routes in this process over the ``archive`` store (the same routes Serve mounts, with the same
    body limits and problem handlers), as alice."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from serve.access import BodyLimits
    from serve.edits_api import InProcessDesk, install_edit_routes
    from serve.problems import install_problem_handlers
    from vidsearch.edits.desk import EditDesk

    settings, store = archive
    editors = {name: SecretStr(key) for name, key in EDITOR_KEYS.items()}
    settings = settings.model_copy(update={
        "edits": settings.edits.model_copy(update={"editor_api_keys": editors}),
        "serve": settings.serve.model_copy(update={"admin_api_keys": [SecretStr(ADMIN_KEY)]})})
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimits, json_bytes=settings.serve.max_json_bytes, upload_bytes=1024, upload_paths=())
    install_edit_routes(app, settings, InProcessDesk(EditDesk(store, settings)))
    with TestClient(app, headers={"X-API-Key": EDITOR_KEYS["alice"]}) as client:
        yield client
