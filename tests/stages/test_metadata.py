"""Programme metadata from the file name and a sidecar JSON; a broken sidecar never costs the video."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import two_scene_clip
from vidsearch.media.probe import probe_video
from vidsearch.stages import build_stages
from vidsearch.stages.base import VideoWork
from vidsearch.stages.metadata import title_from_file_name


def _run(settings, path):
    work = VideoWork.create(probe_video(path), settings.media_dir)
    for stage in build_stages(settings, ["shots", "metadata"]):
        stage.run(work)
    return work


def test_sidecar_fields_reach_the_video_and_every_segment(settings, clip_factory, tmp_path):
    clip = tmp_path / "news_2024-05-01.mp4"
    clip.write_bytes(clip_factory("meta.mp4", two_scene_clip(("a", "b"))).read_bytes())
    clip.with_suffix(".json").write_text(json.dumps({
        "programme_title": "9시 뉴스", "channel": "KBS1", "air_date": "2024-05-01", "synopsis": "오늘의 뉴스"}))
    work = _run(settings, clip)
    assert work.video.title == "9시 뉴스" and work.video.channel == "KBS1"
    assert work.video.air_date == dt.date(2024, 5, 1)
    assert len(work.segments) == 2
    assert all(s.channel == "KBS1" and s.synopsis == "오늘의 뉴스" and s.file_name == clip.name
               for s in work.segments)
    assert not work.warnings


def test_a_broken_sidecar_is_reported_and_the_file_name_is_used(settings, clip_factory, tmp_path):
    clip = tmp_path / "documentary_ep-03.mp4"
    clip.write_bytes(clip_factory("meta.mp4", two_scene_clip(("a", "b"))).read_bytes())
    (tmp_path / "documentary_ep-03.mp4.json").write_text('{"air_date": "yesterday"}')
    work = _run(settings, clip)
    assert work.video.title == "documentary ep 03"
    assert len(work.warnings) == 1 and "documentary_ep-03.mp4.json" in work.warnings[0]
    assert "air_date" in work.warnings[0]


def test_titles_from_file_names():
    from pathlib import Path

    assert title_from_file_name(Path("/a/KBS_다큐-인사이트.2021.mp4")) == "KBS 다큐 인사이트 2021"
