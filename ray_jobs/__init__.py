"""Ray Data batch jobs: archive ingest/reindex, with per-video checkpoints and progress."""
