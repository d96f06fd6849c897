"""The scene_text stage on the detector + batched OCR: burnt-in captions become the segment's ocr_text."""

from __future__ import annotations

from vidsearch.config import Settings
from vidsearch.documents import Segment, Video, segment_id
from vidsearch.media.probe import probe_video
from vidsearch.media.synth import Scene
from vidsearch.stages.base import VideoWork
from vidsearch.stages.scene_text import SceneTextStage


def test_captions_become_ocr_text_per_segment(clip_factory, tmp_path):
    scenes = [Scene(("서울의 밤 풍경", "Seoul skyline at night"), (10, 20, 60), (70, 30, 90), 3.0),
              Scene(("김치찌개 끓이는 법",), (200, 80, 20), (250, 190, 60), 3.0),
              Scene((), (40, 120, 50), (150, 200, 90), 3.0)]
    path = clip_factory("scene-text.mp4", scenes, size=(640, 360), fps=10)
    probe = probe_video(path)
    video = Video(id=probe.video_id, path=str(path), content_hash=probe.content_hash, file_name=path.name,
                  duration_s=probe.duration_s, fps=probe.fps, width=probe.width, height=probe.height,
                  size_bytes=probe.size_bytes)
    segments = [Segment(id=segment_id(video.id, i), video_id=video.id, index=i, start_s=3.0 * i,
                        end_s=3.0 * (i + 1), keyframes_s=[3.0 * i + 1.5]) for i in range(3)]
    work = VideoWork(video=video, probe=probe, media_dir=tmp_path, segments=segments)
    stage = SceneTextStage(Settings(data_dir=tmp_path / "data"))
    stage.run(work)
    first, second, third = (s.ocr_text for s in work.segments)
    assert first is not None and "서울의 밤 풍경" in first and "Seoul skyline at night" in first
    # Tesseract reads the rare syllable 끓 as 끝/끌 here, whatever the preprocessing: the words around it stand
    assert second is not None and second.startswith("김치찌개 ") and second.endswith("이는 법")
    assert third is None  # no caption, no text
