"""Face fixtures for tests and benchmarks: labelled dev photos, composed videos with exact truth, scoring."""
