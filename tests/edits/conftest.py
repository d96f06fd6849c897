"""Fixtures for the edit layer: a small embedded archive of hand-written segments and credits, with real text
vectors from the default encoder, so an edit's effect on BM25 and on the vector is what a user would see."""

from __future__ import annotations

import pytest

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
