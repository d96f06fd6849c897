"""Rerunning some stages of an indexed video keeps what the other stages wrote, vectors included."""

from __future__ import annotations

import pickle

import numpy as np

from ray_jobs.ingest import StageGroupActor
from ray_jobs.sink import bundle_for
from tests.conftest import two_scene_clip
from vidsearch.media.probe import probe_video
from vidsearch.schema import IndexName
from vidsearch.stages import build_stages
from vidsearch.stages.base import VideoWork
from vidsearch.store import open_store


def test_a_metadata_only_rerun_keeps_text_vectors_and_scene_text(settings, clip_factory, tmp_path):
    clip = clip_factory("rerun.mp4", two_scene_clip(("한강 야경", "river at night")), size=(640, 360))
    stages = build_stages(settings)
    work = VideoWork.create(probe_video(clip), settings.media_dir)
    for stage in stages:
        stage.run(work)
    store = open_store(settings)
    models = {r: i for s in stages for r, i in s.models().items()}
    store.ensure_indices({r: {"id": models[r], "dims": d} for s in stages for r, d in s.dims().items()})
    store.commit_video(bundle_for(work, models))
    before = store.get(IndexName.SEGMENTS, [s.id for s in work.segments], with_vectors=True)

    clip.with_suffix(".json").write_text('{"channel": "EBS"}')  # what a metadata-only rerun would pick up
    again = VideoWork.create(probe_video(clip), settings.media_dir)
    again.pending, again.done = ["metadata"], {s.name: s.version for s in stages if s.name != "metadata"}
    actor = StageGroupActor(settings, [s.name for s in stages])
    out = actor({"video_id": np.array([again.video_id]), "work": np.array([pickle.dumps(again)], dtype=object)})
    rerun = pickle.loads(out["work"][0])
    assert rerun.failure is None and set(rerun.ran) == {"metadata"}
    store.commit_video(bundle_for(rerun, models))

    after = store.get(IndexName.SEGMENTS, list(before), with_vectors=True)
    for doc_id, old in before.items():
        assert after[doc_id]["channel"] == "EBS"
        assert after[doc_id].get("ocr_text") == old.get("ocr_text")
        np.testing.assert_allclose(after[doc_id]["text_vec"], old["text_vec"], rtol=1e-6)
