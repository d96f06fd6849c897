"""Text heatmaps: a per-pixel probability that a pixel belongs to text, from a detector network.

Two detectors sit behind one protocol: PP-OCR's DB detector (ONNX, shipped inside ``rapidocr-onnxruntime``, the
offline default) and EAST through OpenCV dnn (``ocr.east_model`` = ``frozen_east_text_detection.pb``). Both are
run on a frame scaled so its longest side is ``ocr.detector_max_side`` (multiples of 32); the map stays at that
resolution and carries the scale back to frame pixels, so callers crop the full-resolution frame.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from vidsearch.errors import ConfigurationError, MissingDependency
from vidsearch.ocr.geometry import Box
from vidsearch.ocr.settings import OcrSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heatmap:
    prob: np.ndarray  # float32 (h, w) in [0, 1], detector resolution
    frame_width: int
    frame_height: int

    @property
    def sx(self) -> float:
        return self.frame_width / self.prob.shape[1]

    @property
    def sy(self) -> float:
        return self.frame_height / self.prob.shape[0]

    def to_frame(self, box: Box) -> Box:
        """A box in map cells → the same region in frame pixels (clipped)."""
        out = box.scale(self.sx, self.sy)
        return Box(max(0, out.x0), max(0, out.y0), min(self.frame_width, out.x1), min(self.frame_height, out.y1))

    def resized(self, width: int, height: int) -> np.ndarray:
        return cv2.resize(self.prob, (width, height), interpolation=cv2.INTER_LINEAR)


class TextDetector(Protocol):
    name: str
    shrunk_boxes: bool  # its text regions come out smaller than the ink (DB's kernels): crops need more padding

    def heatmaps(self, images: Sequence[np.ndarray]) -> list[Heatmap]:
        """One map per BGR frame; frames of one size are run as one batch."""


def detector_input_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(w, h) with the longest side at most ``max_side``, both multiples of 32 (both networks need it)."""
    scale = min(1.0, max_side / max(width, height))
    return max(32, int(round(width * scale / 32)) * 32), max(32, int(round(height * scale / 32)) * 32)


def packaged_db_model() -> Path:
    """The PP-OCRv4 DB detector that ``rapidocr-onnxruntime`` ships inside its wheel."""
    try:
        root = resources.files("rapidocr_onnxruntime")
    except ModuleNotFoundError:
        raise MissingDependency("rapidocr-onnxruntime (PP-OCR DB detector)", "pip install rapidocr-onnxruntime==1.4.4") from None
    path = Path(str(root.joinpath("models", "ch_PP-OCRv4_det_infer.onnx")))
    if not path.is_file():
        raise MissingDependency(f"PP-OCR DB detector model {path}", "reinstall rapidocr-onnxruntime==1.4.4")
    return path


class DbTextDetector:
    """PP-OCR DB (differentiable binarisation) probability map. Its text kernels come out shrunk: the cropper pads."""

    name = "db"
    shrunk_boxes = True
    _MEAN, _STD = 0.5, 0.5  # PP-OCR det normalisation (rapidocr config.yaml)

    def __init__(self, model: Path | None = None, max_side: int = 960, threads: int = 1) -> None:
        import onnxruntime as ort

        self.model = Path(model) if model else packaged_db_model()
        if not self.model.is_file():
            raise ConfigurationError(f"ocr.db_model {self.model} does not exist")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.model), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.max_side = max_side

    def heatmaps(self, images: Sequence[np.ndarray]) -> list[Heatmap]:
        groups: dict[tuple[int, int], list[int]] = {}
        for i, image in enumerate(images):
            groups.setdefault(image.shape[:2], []).append(i)
        results: dict[int, Heatmap] = {}
        for (height, width), members in groups.items():
            size = detector_input_size(width, height, self.max_side)
            batch = np.stack([cv2.resize(images[i], size, interpolation=cv2.INTER_AREA) for i in members])
            blob = ((batch.astype(np.float32) / 255.0 - self._MEAN) / self._STD).transpose(0, 3, 1, 2)
            probs = self.session.run(None, {self.input_name: np.ascontiguousarray(blob)})[0][:, 0]
            for i, prob in zip(members, probs):
                results[i] = Heatmap(prob.astype(np.float32, copy=False), width, height)
        return [results[i] for i in range(len(images))]


def build_detector(settings: OcrSettings) -> TextDetector:
    """EAST when ``east_model`` is set (or ``detector='east'``), else DB."""
    if settings.east_model is not None or settings.detector == "east":
        if settings.east_model is None:
            raise ConfigurationError("ocr.detector is 'east' but ocr.east_model (frozen_east_text_detection.pb) is not set")
        from vidsearch.ocr.east import EastTextDetector

        return EastTextDetector(settings.east_model, settings.detector_max_side, settings.detector_threads)
    return DbTextDetector(settings.db_model, settings.detector_max_side, settings.detector_threads)
