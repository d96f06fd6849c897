"""Settings for face detection, tracking, clustering and search by photo."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FaceSettings(BaseModel):
    backend: Literal["dlib", "insightface"] = "dlib"
    model_root: str | None = Field(None, description="insightface model root (folder holding models/<name>/)")
    sample_fps: float = Field(2.0, gt=0)
