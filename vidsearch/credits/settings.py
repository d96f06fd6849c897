"""Settings for the end-credit pipeline (issue: end-credit OCR → role taxonomy)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class CreditSettings(BaseModel):
    enabled: bool = True
    role_model_dir: Path | None = Field(None, description="trained role-mapping model folder")
