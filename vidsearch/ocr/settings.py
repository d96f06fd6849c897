"""Settings for text detection heatmaps and OCR engines (shared by scene text and credits)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class OcrSettings(BaseModel):
    engine: Literal["tesseract", "clova"] = "tesseract"
    languages: str = Field("kor+eng", description="Tesseract language data to use")
    tesseract_cmd: str = "tesseract"
    detector: Literal["db", "east"] = "db"
    east_model: Path | None = Field(None, description="frozen_east_text_detection.pb; selects EAST when set")
    clova_url: str | None = None
    clova_secret: SecretStr | None = None
    fallback_to_tesseract: bool = True
