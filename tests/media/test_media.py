"""Probing, sampling and shot detection on real encoded files, including the awkward ones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.conftest import two_scene_clip
from vidsearch.errors import NoVideoStream, UnreadableVideo
from vidsearch.media.frames import Cv2FrameSource, Frame, ReferenceFrameSampler
from vidsearch.media.probe import probe_video
from vidsearch.media.shots import ShotDetector
from vidsearch.media.synth import Scene


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def clip(clip_factory) -> Path:
    return clip_factory("two_scenes.mp4", two_scene_clip(("첫 장면", "second scene")))


def test_probe_reads_stream_facts_and_hashes_content(clip, tmp_path):
    probe = probe_video(clip)
    assert (probe.width, probe.height, probe.fps) == (320, 180, 10.0)
    assert probe.duration_s == pytest.approx(8.0, abs=0.15)
    copy = tmp_path / "다른 이름 another name.mp4"
    copy.write_bytes(clip.read_bytes())
    assert probe_video(copy).video_id == probe.video_id  # the same programme under two names is one video


SAMPLERS = [Cv2FrameSource, ReferenceFrameSampler]


@pytest.mark.parametrize("source", SAMPLERS)
def test_rotation_metadata_is_applied(clip, tmp_path, source):
    rotated = tmp_path / "phone.mp4"
    ffmpeg("-i", str(clip), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    probe = probe_video(rotated)
    assert probe.rotation in (90, 270) and (probe.width, probe.height) == (180, 320)
    frame = next(source(rotated).sample(1.0))
    assert frame.image.shape[:2] == (320, 180)  # upright, as a player shows it
    # the same way up as ffmpeg's own autorotation
    upright = tmp_path / "upright.png"
    ffmpeg("-i", str(rotated), "-frames:v", "1", str(upright))
    reference = cv2.imread(str(upright))
    assert np.abs(frame.image.astype(int) - reference.astype(int)).mean() < 8


def test_reference_sampler_lands_near_each_tick_and_decodes_what_opencv_decodes(clip_factory):
    video = clip_factory("bframes.mp4", two_scene_clip(("비 프레임", "b frames")), fps=25)
    exact = list(Cv2FrameSource(video).sample(1.0))
    fast = list(ReferenceFrameSampler(video).sample(1.0))
    assert len(fast) == len(exact) == 8
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        kinds = {round(float(f.pts * stream.time_base), 2): av.video.frame.PictureType(f.pict_type).name for f in container.decode(stream)}
    assert "B" in kinds.values()  # the encoder made B-frames, and the sampler never decoded one
    assert all(kinds[round(f.t, 2)] in ("I", "P") for f in fast)
    assert np.allclose([f.t for f in fast], [f.t for f in exact], atol=0.2)  # within a B-run of the tick
    by_time = {round(f.t, 2): f.image for f in Cv2FrameSource(video).sample(25.0)}
    for frame in fast:  # the frame shown at that time, pixel for pixel as OpenCV decodes it
        assert np.abs(frame.image.astype(int) - by_time[round(frame.t, 2)].astype(int)).max() <= 2
    scaled = next(ReferenceFrameSampler(video).sample(1.0, width=160))
    assert scaled.image.shape[:2] == (90, 160)


@pytest.mark.parametrize("source", SAMPLERS)
def test_variable_frame_rate_samples_by_timestamp(clip, tmp_path, source):
    vfr = tmp_path / "vfr.mp4"
    # keep 2 of every 5 frames with their original timestamps: gaps of 0.1 s and 0.4 s alternate
    ffmpeg("-i", str(clip), "-vf", "select='lt(mod(n\\,5)\\,2)'", "-fps_mode", "vfr", "-c:v", "libx264", str(vfr))
    probe = probe_video(vfr)
    assert probe.variable_frame_rate
    times = [f.t for f in source(vfr).sample(1.0)]
    assert len(times) == 8
    assert np.allclose(times, np.arange(8.0), atol=0.11)  # one per second, wherever frames fall


def test_frames_at_returns_the_frame_showing_at_each_time(clip):
    frames = list(Cv2FrameSource(clip).frames_at([6.0, 1.0, 7.95, 30.0]))
    assert [round(f.t, 1) for f in frames] == [1.0, 6.0, 7.9, 7.9]  # beyond the end: the last frame


@pytest.mark.parametrize("source", SAMPLERS)
def test_very_short_clip(clip_factory, source):
    short = clip_factory("short.mp4", [Scene(("x",), (0, 0, 0), (9, 9, 9), 0.3)])
    probe = probe_video(short)
    assert probe.duration_s == pytest.approx(0.3, abs=0.05)
    assert len(list(source(short).sample(1.0))) == 1


def test_unusable_files_raise_errors_naming_the_file(clip, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(UnreadableVideo, match="empty.mp4: empty file"):
        probe_video(empty)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(UnreadableVideo, match="truncated.mp4: truncated or corrupt"):
        probe_video(truncated)
    text = tmp_path / "notes.mp4"
    text.write_text("these are not moving pictures\n" * 50)
    with pytest.raises(UnreadableVideo, match="notes.mp4"):
        probe_video(text)
    audio = tmp_path / "radio.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(audio))
    with pytest.raises(NoVideoStream, match="radio.mp4: no video stream \\(streams: audio\\)"):
        probe_video(audio)
    with pytest.raises(UnreadableVideo, match="no such file"):
        probe_video(tmp_path / "missing.mp4")


def _frames(colours: list[tuple[int, int, int]], fps: float = 1.0) -> list[Frame]:
    return [Frame(i / fps, np.full((36, 64, 3), c, np.uint8)) for i, c in enumerate(colours)]


def test_shot_boundaries_fall_between_the_samples_that_straddle_a_cut():
    colours = [(200, 0, 0)] * 5 + [(0, 200, 0)] * 4 + [(0, 0, 200)] * 6
    shots = list(ShotDetector(0.35, 2.0, 30.0, duration_s=15.0).shots(_frames(colours)))
    assert [(s.start_s, s.end_s) for s in shots] == [(0.0, 4.5), (4.5, 8.5), (8.5, 15.0)]


def test_short_shots_merge_and_long_shots_split():
    colours = [(200, 0, 0)] * 6 + [(0, 200, 0)] + [(0, 0, 200)] * 40
    shots = list(ShotDetector(0.35, 2.0, 15.0, duration_s=47.0).shots(_frames(colours)))
    assert shots[0].start_s == 0.0 and shots[0].end_s == 6.5  # the 1 s flash joined its predecessor
    assert all(s.duration_s <= 15.0 + 1e-6 for s in shots) and shots[-1].end_s == 47.0
    assert len(shots) == 4  # 6.5 s, then 40.5 s split into three


def test_reference_sampler_falls_back_to_opencv_where_frames_have_no_timestamps(clip, tmp_path):
    raw = tmp_path / "elementary.h264"  # an Annex B stream: PyAV decodes it, but no frame carries a pts
    ffmpeg("-i", str(clip), "-c", "copy", "-f", "h264", str(raw))
    fast = list(ReferenceFrameSampler(raw).sample(1.0))
    assert fast and [f.t for f in fast] == [f.t for f in Cv2FrameSource(raw).sample(1.0)]
