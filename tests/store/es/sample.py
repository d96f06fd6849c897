"""Sample documents and settings for the Elasticsearch client-path tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from vidsearch.config import Settings
from vidsearch.schema import IndexName
from testkit.elasticsearch.fault_server import FaultServer

DIMS = 8
ENCODERS = {"text": {"id": "test-text-encoder", "dims": DIMS}}
FAST_RETRIES = {"initial_backoff_s": 0.005, "max_backoff_s": 0.05, "request_timeout_s": 5.0,
                "bulk_timeout_s": 5.0, "connect_check_timeout_s": 2.0, "build_check_s": 0.05, "reindex_poll_s": 0.01}


def es_settings(url: str, tmp_path, **es: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", es_url=url, es={**FAST_RETRIES, **es}, log_level="WARNING")


def unit_vectors(n: int, dims: int = DIMS, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dims)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def segment(i: int, video: str = "v1", vector: Any = None, **extra: Any) -> tuple[str, dict[str, Any]]:
    body = {"video_id": video, "index": i, "start_s": float(i), "end_s": float(i + 1),
            "ocr_text": f"장면 {i} scene {i}", **extra}
    if vector is not None:
        body["text_vec"] = vector
    return f"{video}.s{i:05d}", body


def video_body(video: str = "v1") -> dict[str, Any]:
    return {"path": f"/archive/{video}.mp4", "content_hash": f"hash-{video}", "file_name": f"{video}.mp4",
            "duration_s": 60.0, "fps": 25.0, "width": 640, "height": 360, "size_bytes": 1000,
            "stages": {"shots": "1"}}


def stored_ids(srv: FaultServer, index: IndexName, prefix: str = "vidsearch") -> set[str]:
    """Ids the server holds behind one alias."""
    found = srv.state.resolve(f"{prefix}-{index.value}", missing_ok=True)
    return {doc_id for i in found for doc_id in i.docs}
