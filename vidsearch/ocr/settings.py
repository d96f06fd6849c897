"""Settings for text detection heatmaps and OCR engines (shared by scene text and credits)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class OcrSettings(BaseModel):
    engine: Literal["tesseract", "clova"] = "tesseract"
    languages: str = Field("kor+eng", description="Tesseract language data to use")
    extend_korean: bool = Field(True, description="read 'kor' with korx: Debian's model with every KS X 1001 "
                                "syllable its network can spell added to its charset (vidsearch/ocr/korean_model.py)")
    tesseract_model_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "vidsearch" / "tessdata",
                                      description="where the extended Korean model is built (once per source model)")
    tesseract_cmd: str = "tesseract"
    tesseract_psm: int = Field(7, ge=0, le=13, description="page segmentation mode per crop (7: one text line)")
    tesseract_batch_size: int = Field(400, ge=1, description="line crops read per tesseract process")
    tesseract_timeout_s: float = Field(600.0, gt=0)
    tesseract_threads: int = Field(1, ge=1, description="OMP threads per tesseract process; 1 lets Ray own cores")
    read_mixed_script: bool = Field(True, description="re-read Latin capitals glued to Hangul (ACC코리아, "
                                    "JTBC스튜디오) by script segment: English-only left, Korean-only right")
    line_height_px: int = Field(40, ge=12, le=200, description="crops are rescaled so text lines are this tall")
    min_confidence: float = Field(0.55, ge=0, le=1, description="lines read below this are reported unreadable")

    detector: Literal["db", "east"] = "db"
    east_model: Path | None = Field(None, description="frozen_east_text_detection.pb; selects EAST when set")
    db_model: Path | None = Field(None, description="PP-OCR DB detector ONNX; default: the one rapidocr ships")
    detector_max_side: int = Field(960, ge=64, description="longest side of the detector's input, in pixels")
    detector_threads: int = Field(1, ge=1, description="onnxruntime / OpenCV threads for the detector")

    clova_url: str | None = Field(None, description="CLOVA OCR General invoke URL (API Gateway)")
    clova_secret: SecretStr | None = Field(None, description="X-OCR-SECRET of the CLOVA OCR domain")
    clova_lang: str = "ko"
    clova_timeout_s: float = Field(30.0, gt=0)
    clova_max_image_height: int = Field(4000, ge=256, description="line crops are stacked into images this tall")
    clova_retries: int = Field(1, ge=0, description="retries after a 429 / 5xx / network error")
    fallback_to_tesseract: bool = True
