"""The ``faces`` stage inside the stage registry and the index."""

from __future__ import annotations

import pytest

from tests.faces.conftest import face_settings
from vidsearch.errors import ConfigurationError
from testkit.faces.evaluation import index_in_process
from vidsearch.faces.stage import FaceStage
from vidsearch.schema import IndexName
from vidsearch.stages import build_stages, stage_class


def test_registered_and_ordered_after_shots(tmp_path):
    assert stage_class("faces") is FaceStage
    with pytest.raises(ConfigurationError, match="needs \\['shots'\\]"):
        build_stages(face_settings(tmp_path), ["faces", "shots"])


def test_declares_its_encoder_for_the_index_without_loading_weights(tmp_path, face_model):
    stage = FaceStage(face_settings(tmp_path))
    assert stage.models() == {"face": face_model.identity}
    assert stage._model is None  # the ingest driver asks before any worker (or GPU) is up
    assert stage.dims() == {"face": 128}
    assert stage.owns == frozenset({IndexName.PERSONS})
    assert stage.resources().num_gpus == 0


def test_the_index_records_the_face_encoder(archive, face_model):
    _, store = archive
    assert store.encoders()["face"] == {"id": face_model.identity, "dims": 128}


def test_segments_list_the_persons_who_appear_in_them(archive):
    _, store = archive
    news = next(i for i, b in store.scan(IndexName.VIDEOS) if b["file_name"] == "news.mp4")
    video = store.get(IndexName.VIDEOS, [news])[news]
    persons = {pid: b for pid, b in store.scan(IndexName.PERSONS) if b["video_id"] == news}
    assert video["person_count"] == len(persons) == 3
    assert video["stages"]["faces"]["version"] == FaceStage.version
    segments = sorted((b for _, b in store.scan(IndexName.SEGMENTS) if b["video_id"] == news),
                      key=lambda b: b["start_s"])
    empty_intro = segments[0]
    assert empty_intro["end_s"] <= 4.5 and empty_intro.get("person_ids", []) == []
    for segment in segments:
        for pid in segment.get("person_ids", []):
            assert any(a["start_s"] < segment["end_s"] and a["end_s"] > segment["start_s"]
                       for a in persons[pid]["appearances"])
    assert set().union(*(s.get("person_ids", []) for s in segments)) == set(persons)


def test_a_video_where_nobody_appears_gives_no_persons_and_no_error(tmp_path, empty_video):
    settings = face_settings(tmp_path)
    store = index_in_process(settings, [empty_video.path])
    try:
        (video_id, video), = store.scan(IndexName.VIDEOS)
        assert video["person_count"] == 0 and "faces" in video["stages"]
        assert store.count(IndexName.PERSONS) == 0
        assert all(not b.get("person_ids") for _, b in store.scan(IndexName.SEGMENTS))
    finally:
        store.close()
