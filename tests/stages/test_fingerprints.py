"""Incremental indexing through the real Ray ingest: a rerun recomputes exactly the stages whose output
fingerprint changed and everything that reads from them — nothing more, nothing less."""

from __future__ import annotations

import json
import shutil

import pytest

from ray_jobs.ingest import run_ingest
from tests.conftest import run_cli, two_scene_clip
from tests.tiny_models import tiny_blip
from vidsearch.config import Settings
from vidsearch.schema import IndexName
from vidsearch.status import collect_status
from vidsearch.store import open_store

pytestmark = pytest.mark.slow

PLAIN = ["shots", "metadata", "text_vectors"]


def _clip(clip_factory, folder, name="show.mp4"):
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(clip_factory("fp.mp4", two_scene_clip(("서울 야경", "night market"), seconds=3.0)), target)
    return target


def _settings(tmp_path, stages, **extra) -> Settings:
    return Settings(data_dir=tmp_path / "data", ray={"progress_bars": False}, log_level="WARNING",
                    ingest={"stages": stages}, **extra)


def _ran(summary) -> set[str]:
    assert not summary.videos_failed, summary.videos_failed
    return set(summary.stage_seconds)


def _video(settings: Settings) -> dict:
    store = open_store(settings)
    try:
        [(_, video)] = list(store.scan(IndexName.VIDEOS))
        return video
    finally:
        store.close()


def test_adding_credits_reruns_text_vectors_and_nothing_else(ray_local, clip_factory, tmp_path):
    clip = _clip(clip_factory, tmp_path / "videos")
    assert _ran(run_ingest([clip], _settings(tmp_path, PLAIN))) == set(PLAIN)
    before = _video(_settings(tmp_path, PLAIN))["stages"]

    with_credits = _settings(tmp_path, ["shots", "metadata", "credits", "text_vectors"])
    second = run_ingest([clip], with_credits)
    assert _ran(second) == {"credits", "text_vectors"}  # shots and metadata are kept
    assert second.reruns["text_vectors"] == {"now reads the output of credits": 1}
    after = _video(with_credits)["stages"]
    assert after["shots"] == before["shots"] and after["metadata"] == before["metadata"]
    assert after["text_vectors"]["fingerprint"] != before["text_vectors"]["fingerprint"]
    assert after["text_vectors"]["upstream"]["credits"] == after["credits"]["fingerprint"]

    third = run_ingest([clip], with_credits)  # nothing changed: nothing recomputed
    assert third.videos_unchanged == 1 and third.videos_ok == 0 and not third.stage_seconds


def test_another_captioner_reruns_captions_and_text_vectors_and_a_changed_folder_is_noticed(
        ray_local, clip_factory, tmp_path):
    import torch
    from transformers import BlipForConditionalGeneration

    clip = _clip(clip_factory, tmp_path / "videos")
    stages = ["shots", "metadata", "captions", "text_vectors"]

    def settings(model) -> Settings:
        return _settings(tmp_path, stages, models={"captioner": {"backend": "transformers", "model": str(model),
                                                                 "max_new_tokens": 4}})

    first_model, second_model = tiny_blip(tmp_path / "blip-a"), tiny_blip(tmp_path / "blip-b")
    assert _ran(run_ingest([clip], settings(first_model))) == set(stages)
    swapped = run_ingest([clip], settings(second_model))
    assert _ran(swapped) == {"captions", "text_vectors"}
    [reason] = swapped.reruns["captions"]
    assert str(first_model) in reason and str(second_model) in reason
    assert swapped.reruns["text_vectors"] == {"captions (which it reads) changed": 1}
    assert run_ingest([clip], settings(second_model)).videos_unchanged == 1  # same model: nothing reruns

    # new weights written over the same folder: same path, different content
    model = BlipForConditionalGeneration.from_pretrained(second_model)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05)
    model.save_pretrained(second_model)
    changed = run_ingest([clip], settings(second_model))
    assert _ran(changed) == {"captions", "text_vectors"}
    [reason] = changed.reruns["captions"]
    assert "changed on disk under the same path" in reason and str(second_model.resolve()) in reason


def test_an_edited_sidecar_reruns_metadata_and_an_invalid_one_keeps_the_last_good(ray_local, clip_factory,
                                                                                  tmp_path):
    clip = _clip(clip_factory, tmp_path / "videos")
    settings = _settings(tmp_path, PLAIN)
    run_ingest([clip], settings)
    clip.with_suffix(".json").write_text(json.dumps({"programme_title": "한강 이야기", "channel": "EBS"}))
    edited = run_ingest([clip], settings)
    assert _ran(edited) == {"metadata", "text_vectors"}  # the title is embedded: text vectors follow
    assert "input sidecar" in next(iter(edited.reruns["metadata"]))
    video = _video(settings)
    assert video["channel"] == "EBS" and video["title"] == "한강 이야기"

    clip.with_suffix(".json").write_text('{"programme_title": "한강", "air_date": "last tuesday"}')
    broken = run_ingest([clip], settings)
    assert _ran(broken) >= {"metadata"} and broken.videos_ok == 1
    assert any("air_date" in w and "last good version" in w for w in broken.warnings), broken.warnings
    video = _video(settings)
    assert video["channel"] == "EBS" and video["title"] == "한강 이야기"  # kept from the last good sidecar
    store = open_store(settings)
    try:
        segments = [doc for _, doc in store.scan(IndexName.SEGMENTS)]
    finally:
        store.close()
    assert segments and all(s["channel"] == "EBS" for s in segments)
    problems = collect_status(settings)["stale"]["problems"]
    assert [p["stage"] for p in problems] == ["metadata"] and "air_date" in problems[0]["problem"]
    assert run_ingest([clip], settings).videos_unchanged == 1  # reported once, not rerun forever


def test_status_and_dry_run_say_what_is_stale_and_why(ray_local, clip_factory, tmp_path):
    clip = _clip(clip_factory, tmp_path / "videos")
    settings = _settings(tmp_path, PLAIN)
    run_ingest([clip], settings)
    before = _video(settings)
    env = {"VIDSEARCH_INGEST__STAGES": json.dumps(["shots", "metadata", "credits", "text_vectors"]),
           "VIDSEARCH_LOG_LEVEL": "WARNING", "VIDSEARCH_RAY__ADDRESS": "local"}
    data = ["--data-dir", str(settings.data_dir)]

    status = run_cli("status", "--json", *data, env=env, timeout=300)
    assert status.returncode == 0, status.stderr[-2000:]
    stale = json.loads(status.stdout)["stale"]["by_stage"]
    assert [i["reason"] for i in stale["credits"]] == ["not run yet"]
    assert [i["reason"] for i in stale["text_vectors"]] == ["now reads the output of credits"]
    assert stale["shots"] == [] and stale["metadata"] == []

    plan = run_cli("index", str(clip), "--dry-run", *data, env=env, timeout=300)
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert "run text_vectors: now reads the output of credits" in plan.stdout
    assert "keep shots, metadata" in plan.stdout and "nothing was written" in plan.stdout
    assert _video(settings) == before  # a dry run writes nothing
