"""Ranking: fusing per-retriever candidate lists, and the relevance tooling that tunes how."""
