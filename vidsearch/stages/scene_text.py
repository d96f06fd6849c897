"""On-screen text (captions burnt into the picture, signs, title cards) read from each segment's keyframes →
the segment's ``ocr_text`` (BM25 and the text vector).

The text detector (PP-OCR DB, or EAST when configured) finds the text lines of every keyframe; the cropper cuts
them out; all the lines of a video are preprocessed and read in one batched OCR call (Tesseract kor+eng by
default) — far cheaper than whole-frame page segmentation per keyframe, and it reads only where there is text.
Words the engine is unsure of are dropped, and lines that are mostly not letters: a missed word costs less than
garbage in the index.
"""

from __future__ import annotations

import logging
import re

from vidsearch.credits.cleanup import letter_share, normalise
from vidsearch.media.frames import Cv2FrameSource
from vidsearch.models.refs import ModelRef, ocr_engine_ref, text_detector_ref
from vidsearch.ocr.cropper import CropperParams, HeatmapCropper
from vidsearch.ocr.engine import OcrEngine, OcrWord, build_engine, join_words
from vidsearch.ocr.heatmap import TextDetector, build_detector
from vidsearch.ocr.reading import read_crops
from vidsearch.stages.base import Stage, StageResources, VideoWork

log = logging.getLogger(__name__)

_OCR_WIDTH = 1280
_MIN_WORD_CONFIDENCE = 0.45
_SPACES = re.compile(r"\s+")


def line_text(words: tuple[OcrWord, ...], min_confidence: float = _MIN_WORD_CONFIDENCE) -> str:
    """The confident words of one read line, spaced by their gaps."""
    kept = [w for w in words if w.confidence >= min_confidence and any(ch.isalnum() for ch in w.text)]
    if not kept:
        return ""
    height = max(8.0, sorted(w.height for w in kept)[len(kept) // 2])
    return _SPACES.sub(" ", normalise(join_words(kept, height)).replace(" · ", " ")).strip()


class SceneTextStage(Stage):
    name = "scene_text"
    version = "1"
    requires = ("shots",)
    writes = frozenset({"ocr_text"})
    affects = ("ocr",)

    def model_refs(self) -> list[ModelRef]:
        return [text_detector_ref(self.settings), ocr_engine_ref(self.settings)]

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0)

    def load(self) -> None:
        if getattr(self, "engine", None) is None:
            self.detector: TextDetector = build_detector(self.settings.ocr)
            self.engine: OcrEngine = build_engine(self.settings.ocr)
            # captions are whole lines: only a wide gap splits one
            self.cropper = HeatmapCropper(CropperParams(x_gap_threshold=0.08))

    def read_frames(self, images: list) -> list[list[str]]:
        """Text lines of each BGR image, every line of every image read in one OCR batch."""
        self.load()
        owners, crops = [], []
        for index, (image, heatmap) in enumerate(zip(images, self.detector.heatmaps(images))):
            for crop in self.cropper.crop_frame(heatmap):
                owners.append(index)
                crops.append(crop.box.crop(image))
        lines: list[list[str]] = [[] for _ in images]
        for owner, reading in zip(owners, read_crops(self.engine, crops, self.settings.ocr.line_height_px)):
            read = reading.line
            text = line_text(read.words)
            if text and letter_share(text) >= 0.5 and read.confidence >= self.settings.ocr.min_confidence:
                lines[owner].append(text)
        return lines

    def process(self, work: VideoWork) -> None:
        times = sorted({t for s in work.segments for t in s.keyframes_s})
        if not times:
            return
        source = Cv2FrameSource(work.path, threads=self.settings.media.decode_threads)
        frames = list(source.frames_at(times, width=_OCR_WIDTH))
        text_at = dict(zip(times, ("\n".join(lines) for lines in self.read_frames([f.image for f in frames]))))
        for segment in work.segments:
            texts = list(dict.fromkeys(text_at.get(t, "") for t in segment.keyframes_s))
            segment.ocr_text = "\n".join(t for t in texts if t) or None
        log.debug("scene_text [%s]: %d keyframes read", work.video_id, len(frames))
