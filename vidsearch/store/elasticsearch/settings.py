"""Elasticsearch connection and index settings. The URL itself is ``Settings.es_url`` (``VIDSEARCH_ES_URL``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class ElasticsearchSettings(BaseModel):
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    verify_certs: bool = True
    request_timeout_s: float = Field(30.0, gt=0)
    index_prefix: str = "vidsearch"
    vector_index_type: Literal["hnsw", "int8_hnsw", "int4_hnsw", "bbq_hnsw", "flat", "int8_flat", "bbq_flat"] = (
        "int8_hnsw"
    )
    bulk_chunk_size: int = Field(500, ge=1)
    max_retries: int = Field(8, ge=0)
