"""Reading checkpoints: what counts as a change, what is refused, and how each reason is said — through the
planner the ingest job uses, on a real embedded store and real probed files (no Ray needed to plan)."""

from __future__ import annotations

import pytest

from ray_jobs.plan import plan_ingest
from ray_jobs.sink import bundle_for
from tests.conftest import two_scene_clip
from vidsearch.config import Settings
from vidsearch.errors import ConfigurationError
from vidsearch.media.probe import probe_video
from vidsearch.schema import IndexName
from vidsearch.stages import build_stages
from vidsearch.stages.graph import CHECKPOINT_FORMAT, StageGraph, why_stale
from vidsearch.store import open_store

STAGES = ["shots", "metadata", "scene_text", "text_vectors"]


@pytest.fixture
def indexed(settings, clip_factory):
    """One video planned and committed (its stages' output stood in for by the plan's records), and a way to
    rewrite its stored checkpoint."""
    clip = clip_factory("checkpoint.mp4", two_scene_clip(("a", "b")))
    probes = [{"path": str(clip), "probe": probe_video(clip), "error": None}]
    stages = build_stages(settings, STAGES)
    store = open_store(settings)
    [work] = plan_ingest(probes, stages, store, settings).work
    work.ran = dict(work.done, **{name: stage.version for name, stage in zip(STAGES, stages)})
    assert not store.commit_video(bundle_for(work, {})).failed

    def rewrite(stage: str, **changes) -> None:
        video = store.get(IndexName.VIDEOS, [work.video_id])[work.video_id]
        video["stages"][stage].update(changes)
        store.commit_video(bundle_for(work, {}).__class__(work.video_id, video, {}, frozenset()))

    yield probes, store, rewrite
    store.close()


def _plan(settings, probes, store, names=STAGES, **kwargs):
    return plan_ingest(probes, build_stages(settings, names), store, settings, **kwargs)


def test_an_unchanged_configuration_plans_nothing(settings, indexed):
    probes, store, _ = indexed
    plan = _plan(settings, probes, store)
    assert not plan.work and len(plan.unchanged) == 1


def test_a_setting_that_changes_shots_reruns_everything_below_and_runtime_knobs_do_not(settings, indexed):
    probes, store, _ = indexed
    faster = settings.model_copy(update={
        "models": settings.models.model_copy(update={"text": settings.models.text.model_copy(
            update={"batch_size": 7, "threads": 2})}),
        "media": settings.media.model_copy(update={"decode_threads": 3})})
    assert not _plan(faster, probes, store).work  # batch sizes and threads change speed, not output

    denser = settings.model_copy(update={"media": settings.media.model_copy(update={"sample_fps": 2.0})})
    [work] = _plan(denser, probes, store).work
    assert work.pending == STAGES
    assert work.reasons["shots"] == "setting media.sample_fps 1.0 → 2.0"
    assert work.reasons["text_vectors"] == "metadata (which it reads) changed; scene_text (which it reads) " \
                                           "changed; shots (which it reads) changed"


def test_a_stage_version_downgrade_reruns_it_and_says_so(settings, indexed):
    probes, store, rewrite = indexed
    rewrite("scene_text", version="7", fingerprint="built-by-a-newer-scene-text")
    [work] = _plan(settings, probes, store).work
    assert work.pending == ["scene_text", "text_vectors"]
    assert work.reasons["scene_text"].startswith("stage version downgrade 7 → 1")


def test_a_checkpoint_from_a_newer_vidsearch_is_refused_unless_forced(settings, indexed):
    probes, store, rewrite = indexed
    rewrite("metadata", format=CHECKPOINT_FORMAT + 1, by="9.0.0", fingerprint="future")
    plan = _plan(settings, probes, store)
    assert not plan.work and not plan.unchanged
    [failure] = plan.failures
    assert "written by vidsearch 9.0.0" in failure.reason and "Upgrade vidsearch" in failure.reason
    assert "--force" in failure.reason
    [forced] = _plan(settings, probes, store, force=True).work
    assert forced.pending == STAGES and set(forced.reasons.values()) == {"forced (--force)"}


def test_a_checkpoint_from_before_fingerprints_reruns_with_its_reason(settings, indexed):
    probes, store, _ = indexed
    video_id = probes[0]["probe"].video_id
    video = store.get(IndexName.VIDEOS, [video_id])[video_id]
    video["stages"] = {"shots": "2", "metadata": "1", "scene_text": "1", "text_vectors": "1"}
    from vidsearch.store.base import VideoBundle

    store.commit_video(VideoBundle(video_id, video, {}, frozenset()))
    [work] = _plan(settings, probes, store).work
    assert work.reasons["shots"] == "checkpoint from before fingerprints (stage version 2)"


def test_a_stage_listed_before_the_stage_it_reads_from_is_refused(settings):
    with pytest.raises(ConfigurationError, match="list 'credits' before 'text_vectors'"):
        build_stages(settings, ["shots", "metadata", "text_vectors", "credits"])


def test_fingerprints_name_models_by_content_and_ignore_secrets(tmp_path):
    model = tmp_path / "st-model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"one")
    settings = Settings(data_dir=tmp_path / "data", ocr={"engine": "clova", "clova_secret": "hunter2"},
                        models={"text": {"backend": "sentence-transformers", "model": str(model)}})
    graph = StageGraph(build_stages(settings, STAGES), settings)
    inputs = graph.inputs_for(tmp_path / "x.mp4")
    record = inputs["text_vectors"].record()
    assert record["models"]["text"]["source"] == str(model.resolve())
    assert record["models"]["text"]["checksum"].startswith("sha256:")
    assert "hunter2" not in repr({n: i.record() for n, i in inputs.items()})
    (model / "weights.bin").write_bytes(b"two")
    again = StageGraph(build_stages(settings, STAGES), settings).inputs_for(tmp_path / "x.mp4")
    assert again["text_vectors"].fingerprint != inputs["text_vectors"].fingerprint
    assert again["scene_text"].fingerprint == inputs["scene_text"].fingerprint
    reason = why_stale(inputs["text_vectors"].record(), again["text_vectors"], "v1")
    assert reason.startswith(f"model text at {model.resolve()} changed on disk under the same path (checksum sha256:")
