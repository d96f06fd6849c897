"""Credit-roll composers, ground truth and scoring for tests and benchmarks."""
