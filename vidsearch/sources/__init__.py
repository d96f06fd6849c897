"""Where ingest inputs come from: local paths, or objects in a bucket addressed by an fsspec URI."""
