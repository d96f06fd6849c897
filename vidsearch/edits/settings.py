"""Settings for human edits (``VIDSEARCH_EDITS__*``): who may edit, and how much one edit may hold."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


class EditSettings(BaseModel):
    editor_api_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="editor name → API key for the edit routes (the name is recorded as who "
                                          "made each edit); none configured: the edit routes are off")
    max_text_chars: int = Field(10_000, ge=1, description="longest text one edited field may hold")
    max_keywords: int = Field(50, ge=1, description="most keywords one segment may carry")
    max_reason_chars: int = Field(500, ge=1)
    suggest_wait_s: float = Field(10.0, ge=0, description="how long the role-title queue waits for the role mapper "
                                  "(it loads in the background) before answering without suggestions")
    site_role_titles: Path | None = Field(
        None, description="TSV (code, title) the archive's own role-title mappings are appended to; "
                          "None: <data_dir>/site_role_titles.tsv")
