"""Cursor paging for search: a page's cursor holds a short digest of every hit shown on the pages before, so the
next page is the best-ranked hits not shown yet, from the search run afresh.

A (score, id) ``search_after`` key alone does not survive concurrent indexing here: new segments change BM25's
statistics and every per-search normalisation (z-score, min-max), so a hit already shown can score below the old
key (shown twice) and one not shown yet above it (never shown). Excluding what was shown instead holds under any
rescoring: no hit repeats, and every hit the search still returns is shown on some page. With nothing indexed in
between, the pages are exactly the in-process ranking cut into ``k``-sized pieces (score descending, ties by
segment id descending — trec_eval's rule, as ranking.fusion applies it).

Digests are 6 bytes (48 bits): two of a thousand shown hits colliding with one of the next candidates is a
~10⁻⁹ event. A cursor grows by 8 characters per hit shown (≤ ~8 KB at ``search.max_k`` = 1000).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from serve.models import ApiSearchRequest, SearchPage
from vidsearch.errors import VidsearchError

VERSION = b"\x02"
FINGERPRINT_BYTES = 8
DIGEST_BYTES = 6


class InvalidCursor(VidsearchError):
    status = 422
    title = "Invalid cursor"


def digest(segment_id: str) -> bytes:
    return hashlib.blake2b(segment_id.encode("utf-8"), digest_size=DIGEST_BYTES).digest()


@dataclass(frozen=True)
class Cursor:
    query: bytes  # fingerprint of the request it pages through
    shown: tuple[bytes, ...]  # digests of the hits on the pages before, in the order shown

    def encode(self) -> str:
        raw = VERSION + self.query + b"".join(self.shown)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, request: ApiSearchRequest) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (ValueError, binascii.Error):
            raw = b""
        body = raw[1 + FINGERPRINT_BYTES:]
        if raw[:1] != VERSION or len(raw) < 1 + FINGERPRINT_BYTES or len(body) % DIGEST_BYTES:
            raise InvalidCursor("cursor: not a cursor this API returned (pass next_cursor unchanged)")
        if raw[1:1 + FINGERPRINT_BYTES] != fingerprint(request):
            raise InvalidCursor("cursor: it belongs to a different search (query, filters, weights or profile "
                                "changed); start again without a cursor")
        shown = tuple(body[i:i + DIGEST_BYTES] for i in range(0, len(body), DIGEST_BYTES))
        return cls(raw[1:1 + FINGERPRINT_BYTES], shown)


def fingerprint(request: ApiSearchRequest) -> bytes:
    """What must stay the same from page to page: everything but the page size and the cursor."""
    fields = request.model_dump(mode="json", exclude={"k", "cursor", "explain"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()[:FINGERPRINT_BYTES]


def fetch_depth(request: ApiSearchRequest, cursor: Cursor | None, max_k: int) -> int:
    """How many ranked hits to ask the searcher for: the pages already shown, this page, and one page of slack
    for segments indexed since (the hits not shown yet then still fill this page). A first page needs no slack:
    one hit beyond it says whether there is a next page."""
    if cursor is None:
        return min(max_k, request.k + 1)
    return min(max_k, len(cursor.shown) + 2 * request.k + 1)


def page_of(response: SearchPage, request: ApiSearchRequest, cursor: Cursor | None, fetched: int,
            max_k: int) -> SearchPage:
    """The next page from a response ranked ``fetched`` deep: its best hits not shown before, with the cursor of
    the page after."""
    ranked = list(response.hits)  # already in the searcher's total order: never re-sorted here
    if cursor is not None:
        seen = set(cursor.shown)
        ranked = [hit for hit in ranked if digest(hit.segment_id) not in seen]
    page = ranked[: request.k]
    more = len(ranked) > request.k or (len(response.hits) >= fetched and fetched < max_k and len(page) == request.k)
    next_cursor = None
    if page and more:
        before = cursor.shown if cursor else ()
        next_cursor = Cursor(fingerprint(request), (*before, *(digest(hit.segment_id) for hit in page))).encode()
    return response.model_copy(update={"hits": page, "next_cursor": next_cursor})
