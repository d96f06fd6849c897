"""Settings for object-storage inputs (``s3://``, ``gs://`` and other fsspec URIs).

No secrets live here: credentials come from each cloud's standard provider chain (environment variables, the
shared credentials file / profile, the instance or pod role), exactly as the SDKs resolve them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class SourceSettings(BaseModel):
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, Ceph, a test server); "
                                                          "None: AWS")
    s3_region: str | None = Field(None, description="bucket region; None: from the provider chain")
    s3_anonymous: bool = Field(False, description="read public buckets without credentials")
    connect_timeout_s: float = Field(10.0, gt=0, description="per connection attempt to the object store")
    read_timeout_s: float = Field(60.0, gt=0)
    attempts: int = Field(3, ge=1, description="tries per request (connection errors, throttling)")
    list_page_keys: int = Field(1000, ge=1, le=1000, description="keys per listing page (S3's maximum is 1000)")
    list_tasks: int = Field(8, ge=1, description="sub-prefixes listed at once, one Ray task each")
    cache_dir: Path | None = Field(None, description="where objects a decoder needs on disk are kept while they "
                                                     "are analysed; None: <data_dir>/cache/objects")
    cache_bytes: int = Field(20 << 30, ge=1 << 20, description="most bytes the cache holds per node; the least "
                                                               "recently used unpinned objects go first")
    read_block_bytes: int = Field(8 << 20, ge=1 << 16, description="bytes read per request while streaming")
