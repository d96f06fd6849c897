"""Cursor paging for search (``search_after``-style): a page's cursor holds the rank key of its last hit — (score,
segment id) — so the next page is the hits ranked strictly after it. New segments indexed between two page
requests can shift offsets but never make a page repeat a hit already shown. The order is the searcher's own total
order (score descending, ties by segment id descending — trec_eval's rule, as ranking.fusion applies it), so a page
lists exactly what the in-process search lists."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from serve.models import ApiSearchRequest, SearchPage
from vidsearch.errors import VidsearchError
from vidsearch.search import Hit


class InvalidCursor(VidsearchError):
    status = 422
    title = "Invalid cursor"


@dataclass(frozen=True)
class Cursor:
    score: float
    segment_id: str
    shown: int  # hits on the pages before: how deep the next fetch must reach
    query: str  # fingerprint of the request it pages through

    def encode(self) -> str:
        raw = json.dumps([self.score, self.segment_id, self.shown, self.query], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, request: ApiSearchRequest) -> Cursor:
        try:
            score, segment_id, shown, query = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(float(score), str(segment_id), int(shown), str(query))
        except (ValueError, TypeError, UnicodeDecodeError):
            raise InvalidCursor("cursor: not a cursor this API returned (pass next_cursor unchanged)") from None
        if cursor.query != fingerprint(request):
            raise InvalidCursor("cursor: it belongs to a different search (query, filters, weights or profile "
                                "changed); start again without a cursor")
        return cursor


def fingerprint(request: ApiSearchRequest) -> str:
    """What must stay the same from page to page: everything but the page size and the cursor."""
    fields = request.model_dump(mode="json", exclude={"k", "cursor", "explain"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def ranked_after(hit: Hit, cursor: Cursor) -> bool:
    """Whether ``hit`` comes after the cursor's hit in the searcher's order (score desc, then segment id desc)."""
    return hit.score < cursor.score or (hit.score == cursor.score and hit.segment_id < cursor.segment_id)


def fetch_depth(request: ApiSearchRequest, cursor: Cursor | None, max_k: int) -> int:
    """How many ranked hits to ask the searcher for: the pages already shown, this page, and one page of slack
    for segments indexed since (the hits after the cursor are then still in the fetched list)."""
    shown = cursor.shown if cursor else 0
    return min(max_k, shown + 2 * request.k + 1)


def page_of(response: SearchPage, request: ApiSearchRequest, cursor: Cursor | None, fetched: int,
            max_k: int) -> SearchPage:
    """The page after ``cursor`` from a response ranked ``fetched`` deep, with the cursor of the next page."""
    ranked = list(response.hits)  # already in the searcher's total order: never re-sorted here
    if cursor is not None:
        ranked = [hit for hit in ranked if ranked_after(hit, cursor)]
    page = ranked[: request.k]
    more = len(ranked) > request.k or (len(response.hits) >= fetched and fetched < max_k and len(page) == request.k)
    next_cursor = None
    if page and more:
        last = page[-1]
        shown = (cursor.shown if cursor else 0) + len(page)
        next_cursor = Cursor(last.score, last.segment_id, shown, fingerprint(request)).encode()
    return response.model_copy(update={"hits": page, "next_cursor": next_cursor})
