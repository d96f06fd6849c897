"""Shots → segments with keyframes and thumbnails. The only stage that decodes the whole video; every later
stage decodes just the moments it needs."""

from __future__ import annotations

import logging

import cv2

from vidsearch.documents import Segment, segment_id
from vidsearch.errors import UnreadableVideo
from vidsearch.media.frames import Cv2FrameSource, Frame, ReferenceFrameSampler, resize_to_width
from vidsearch.media.shots import Shot, ShotDetector
from vidsearch.schema import IndexName
from vidsearch.stages.base import Stage, StageResources, VideoWork

log = logging.getLogger(__name__)

# A segment gets one keyframe per this many seconds (at least one, at most three).
_KEYFRAME_EVERY_S = 10.0
# Decoding that stops this far short of the container's duration means a damaged file.
_TRUNCATION_TOLERANCE_S = 2.0


def _keyframes(shot: Shot) -> list[Frame]:
    frames = shot.frames
    count = max(1, min(3, int(shot.duration_s // _KEYFRAME_EVERY_S)))
    if count == 1:
        middle = (shot.start_s + shot.end_s) / 2
        return [min(frames, key=lambda f: abs(f.t - middle))]
    picks = [frames[round(i * (len(frames) - 1) / (count - 1))] for i in range(count)]
    return list({id(f): f for f in picks}.values())


class ShotStage(Stage):
    name = "shots"
    version = "2"  # 2: samples from I/P frames only (media.skip_b_frames)
    owns = frozenset({IndexName.SEGMENTS})
    reads = frozenset()  # the video's content only (its hash is the video id)
    writes = frozenset({"segments"})
    affects = ("media.sample_fps", "media.analysis_width", "media.shot_threshold", "media.min_segment_s",
               "media.max_segment_s", "media.thumbnail_width", "media.skip_b_frames")

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0)

    def process(self, work: VideoWork) -> None:
        media = self.settings.media
        width = max(media.analysis_width, media.thumbnail_width)
        sampler = ReferenceFrameSampler if media.skip_b_frames else Cv2FrameSource
        source = sampler(work.path, threads=media.decode_threads)
        detector = ShotDetector(media.shot_threshold, media.min_segment_s, media.max_segment_s,
                                work.probe.duration_s)
        work.thumbnail_dir.mkdir(parents=True, exist_ok=True)
        segments: list[Segment] = []
        last_t = -1.0
        for shot in detector.shots(source.sample(media.sample_fps, width=width)):
            last_t = max(last_t, shot.frames[-1].t if shot.frames else last_t)
            keyframes = _keyframes(shot)
            index = len(segments)
            thumbnail = f"{work.video_id}/{index:04d}.jpg"
            image = resize_to_width(keyframes[len(keyframes) // 2].image, media.thumbnail_width)
            if not cv2.imwrite(str(work.media_dir / thumbnail), image, [cv2.IMWRITE_JPEG_QUALITY, 85]):
                raise OSError(f"cannot write thumbnail {work.media_dir / thumbnail}")
            segments.append(Segment(
                id=segment_id(work.video_id, index), video_id=work.video_id, index=index,
                start_s=round(shot.start_s, 3), end_s=round(shot.end_s, 3),
                keyframes_s=[round(f.t, 3) for f in keyframes], thumbnail=thumbnail,
            ))
        if not segments:
            raise UnreadableVideo(work.path, "no frame could be decoded")
        if last_t < work.probe.duration_s - max(_TRUNCATION_TOLERANCE_S, 2.0 / media.sample_fps):
            work.warnings.append(
                f"{work.path}: decoding stopped at {last_t:.1f} s of {work.probe.duration_s:.1f} s "
                "(truncated or damaged file); indexed what could be decoded"
            )
            segments[-1].end_s = round(max(last_t, segments[-1].start_s), 3)
        work.segments = segments
        log.debug("shots video=%s segments=%d", work.video_id, len(segments))
