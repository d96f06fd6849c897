"""Dense pseudo-relevance feedback (Rocchio on the query vector): the first pass's best documents are taken as
relevant and the query vector moves toward their centroid before the vector retriever runs again.

Feedback comes from the *fused* first pass, not from the vector list alone: on SciFact dev, feedback from the
dense list's own top documents made the dense list worse (its errors reinforce themselves), while the fused top
three — where BM25 has vetoed the dense list's near misses — lifted it (docs/ranking.md has the table).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class FeedbackSettings(BaseModel):
    """A profile's ``feedback``: which vector list is searched again, from how many first-pass documents, and how
    far the query moves toward them (``weight`` × their centroid added to the query, then re-normalised)."""

    model_config = ConfigDict(extra="forbid")

    retriever: str = Field("text_vec", description="the vector list searched again with the moved query")
    depth: int = Field(3, ge=1, le=100, description="first-pass (fused) documents taken as relevant")
    weight: float = Field(1.0, gt=0, le=10, allow_inf_nan=False,
                          description="the centroid's weight against the query's (which is 1)")


def rocchio(query: np.ndarray, feedback: Sequence[np.ndarray] | np.ndarray, weight: float) -> np.ndarray:
    """``query + weight × mean(feedback)``, L2-normalised (the vector indices hold unit vectors). Without feedback
    documents the query comes back unchanged, so a first pass that found nothing changes nothing."""
    query = np.asarray(query, dtype=np.float32)
    docs = np.asarray(feedback, dtype=np.float32)
    if docs.size == 0:
        return query
    if docs.ndim != 2 or docs.shape[1] != query.shape[-1]:
        raise ValueError(f"feedback vectors of shape {docs.shape} do not match a query of {query.shape[-1]} dims")
    moved = query + np.float32(weight) * docs.mean(axis=0)
    norm = float(np.linalg.norm(moved))
    return query if norm == 0.0 or not np.isfinite(norm) else (moved / norm).astype(np.float32)
