"""The visual (CLIP/SigLIP) and caption (BLIP) stages through their real loading code, on tiny models built here."""

from __future__ import annotations

import numpy as np
import pytest

from ray_jobs.sink import bundle_for
from tests.conftest import two_scene_clip
from tests.tiny_models import tiny_blip, tiny_clip
from vidsearch.config import Settings
from vidsearch.errors import ConfigurationError, EncoderMismatch
from vidsearch.media.probe import probe_video
from vidsearch.schema import IndexName
from vidsearch.search import Searcher, SearchRequest
from vidsearch.stages import build_stages
from vidsearch.stages.base import VideoWork
from vidsearch.store import open_store


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-models")
    return {"clip": tiny_clip(folder / "clip"), "blip": tiny_blip(folder / "blip")}


def _settings(tmp_path, models) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", log_level="WARNING",
        ingest={"stages": ["shots", "metadata", "visual", "captions", "text_vectors"]},
        models={"image_text": {"backend": "transformers", "model": str(models["clip"])},
                "captioner": {"backend": "transformers", "model": str(models["blip"]), "max_new_tokens": 6}},
    )


def _index(settings: Settings, clip) -> VideoWork:
    stages = build_stages(settings)
    work = VideoWork.create(probe_video(clip), settings.media_dir)
    for stage in stages:
        stage.run(work)
    store = open_store(settings)
    identities = {role: i for s in stages for role, i in s.models().items()}
    dims = {role: d for s in stages for role, d in s.dims().items()}
    store.ensure_indices({role: {"id": identities[role], "dims": dims[role]} for role in identities})
    assert not store.commit_video(bundle_for(work, identities)).failed
    return work


def test_segments_get_image_vectors_captions_and_become_searchable(tmp_path, models, clip_factory):
    settings = _settings(tmp_path, models)
    work = _index(settings, clip_factory("visual.mp4", two_scene_clip(("바다", "mountain"))))
    assert all(len(s.clip_vec) == 16 and abs(np.linalg.norm(s.clip_vec) - 1) < 1e-5 for s in work.segments)
    assert all(s.caption for s in work.segments)  # a tiny random model writes nonsense, but it writes it
    assert not np.allclose(work.segments[0].clip_vec, work.segments[1].clip_vec)  # different pictures

    searcher = Searcher(settings)
    available, unavailable = searcher.available_retrievers()
    assert "clip_vec" in available and not unavailable
    response = searcher.search(SearchRequest(query="a photo of the sea", retrievers=["clip_vec"],
                                             weights={"clip_vec": 1.0}, k=2))
    assert {h.segment_id for h in response.hits} == {s.id for s in work.segments}
    assert response.hits[0].matched_by == ["clip_vec"]
    stored = searcher.store.get(IndexName.VIDEOS, [work.video_id])[work.video_id]
    assert stored["encoders"]["image_text"].startswith("transformers/")


def test_another_image_text_model_is_refused_by_an_existing_index(tmp_path, models, clip_factory):
    settings = _settings(tmp_path, models)
    _index(settings, clip_factory("visual.mp4", two_scene_clip(("바다", "mountain"))))
    other = tiny_clip(tmp_path / "other-clip")
    with pytest.raises(EncoderMismatch, match="image_text"):
        _index(settings.model_copy(update={"models": settings.models.model_copy(update={
            "image_text": settings.models.image_text.model_copy(update={"model": str(other)})})}),
            clip_factory("visual.mp4", two_scene_clip(("바다", "mountain"))))


def test_unconfigured_models_say_what_is_missing(settings, tmp_path):
    assert "clip_vec" in Searcher(settings).available_retrievers()[1]
    with pytest.raises(ConfigurationError, match="models.image_text"):
        build_stages(settings, ["shots", "visual"])[1].load()
    bad = settings.model_copy(update={"models": settings.models.model_copy(update={
        "captioner": settings.models.captioner.model_copy(update={"backend": "transformers",
                                                                  "model": str(tmp_path / "nothing")})})})
    with pytest.raises(ConfigurationError, match="cannot load captioning model"):
        build_stages(bad, ["shots", "captions"])[1].load()
