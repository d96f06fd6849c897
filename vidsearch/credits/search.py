"""Searching credits: by name, role or both ("촬영감독 김민수", "director of photography"), and a person's
filmography (every programme a name is credited on, with the roles and the moment the credit shows).

Functions over any ``IndexBackend`` so the CLI and the Serve API share them. Three BM25 retrievers over the credits
index — names, roles (as printed and the mapped EBU label), and the whole credit line — are fused with the
project's weighted fusion, so a query naming both a role and a person ranks the credit that has both first.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel, Field

from ranking.fusion import fuse
from vidsearch.errors import InvalidQuery
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.base import IndexBackend, SearchFilters, TextRetriever

CREDIT_RETRIEVERS: dict[str, tuple[tuple[str, ...], float]] = {
    "credit_name": (("name",), 0.4),
    "credit_role": (("role_text", "role_label"), 0.3),
    "credit_line": (("line_text",), 0.3),
}
PERSON_CANDIDATES = 1000


_WORD_GAPS = re.compile(r"[\s·•・∙ㆍ]+")


def name_spacing_free(name: str) -> str:
    """A name without the spaces or middle dots between its words ("쥬세페 토르나토레", "쥬세페·토르나토레")."""
    return _WORD_GAPS.sub("", name)


def _edge_pieces(compact: str) -> str:
    """A name typed without its spaces ("쥬세페토르나토레") shares its first or last word with the credit as printed
    ("쥬세페 토르나토레"): every prefix and suffix as a query word finds it, and ``name_key`` then keeps only the
    exact name."""
    pieces = [compact[:k] for k in range(1, len(compact))] + [compact[k:] for k in range(1, len(compact))]
    return " ".join(dict.fromkeys(pieces))


def name_key(name: str) -> str:
    """What makes two printed names the same person's: NFC, no spaces or middle dots, case-folded."""
    return name_spacing_free(unicodedata.normalize("NFC", name)).casefold()


class CreditHit(BaseModel):
    credit_id: str
    video_id: str
    segment_id: str | None = None
    name: str
    role_text: str
    role_code: str | None = None
    role_label: str | None = None
    department: str | None = None
    role_codes: list[str] = Field(default_factory=list)
    role_status: str | None = Field(None, description="mapped | partial | unmapped | other_language | none")
    kind: str = "person"
    time_s: float = Field(description="when the credit is most readable; inside start_s..end_s")
    start_s: float | None = Field(None, description="the credit is entirely on screen from start_s to end_s")
    end_s: float | None = None
    score: float
    title: str | None = None
    programme_title: str | None = None
    channel: str | None = None
    air_date: dt.date | None = None
    video_path: str | None = None


class CreditSearchResponse(BaseModel):
    query: str
    hits: list[CreditHit]
    took_ms: float


class CreditedVideo(BaseModel):
    video_id: str
    title: str | None = None
    programme_title: str | None = None
    channel: str | None = None
    air_date: dt.date | None = None
    video_path: str | None = None
    roles: list[str] = Field(default_factory=list, description="roles as printed")
    role_codes: list[str] = Field(default_factory=list)
    times_s: list[float] = Field(default_factory=list, description="when each credit first shows")


class PersonCredits(BaseModel):
    name: str
    videos: list[CreditedVideo]
    similar_names: list[str] = Field(default_factory=list, description="other credited names the query resembles")


def _fields(bases: Sequence[str]) -> tuple[str, ...]:
    analyzers = index_schema(IndexName.CREDITS).analyzers
    return tuple(f for f in analyzers if f.split(".")[0] in bases)


def _query(text: str) -> str:
    query = " ".join(text.split())
    if not query or not any(ch.isalnum() for ch in query):
        raise InvalidQuery("the credit query has no searchable words")
    return query


def search_credits(store: IndexBackend, query: str, k: int = 10,
                   filters: SearchFilters | None = None) -> CreditSearchResponse:
    """Credits best matching a name and/or role query, fused over name, role and line retrievers."""
    started = time.perf_counter()
    query = _query(query)
    depth = max(100, k)
    retrievers = [TextRetriever(name, query, _fields(bases), depth) for name, (bases, _) in CREDIT_RETRIEVERS.items()]
    lists = store.search(IndexName.CREDITS, retrievers, filters)
    weights = {name: weight for name, (_, weight) in CREDIT_RETRIEVERS.items()}
    fused = fuse(lists, method="weighted", weights=weights, normalization="max")
    ids = fused.ids[:k]
    docs = store.get(IndexName.CREDITS, ids)
    videos = store.get(IndexName.VIDEOS, list({d["video_id"] for d in docs.values()}))
    hits = []
    for position, doc_id in enumerate(ids):
        doc = docs.get(doc_id)
        if doc is None:
            continue
        video = videos.get(doc["video_id"], {})
        hits.append(CreditHit(
            credit_id=doc_id, video_id=doc["video_id"], segment_id=doc.get("segment_id"), name=doc["name"],
            role_text=doc["role_text"], role_code=doc.get("role_code"), role_label=doc.get("role_label"),
            department=doc.get("department"), role_codes=doc.get("role_codes") or [],
            role_status=doc.get("role_status"), kind=doc.get("kind") or "person", time_s=doc["time_s"],
            start_s=doc.get("start_s"), end_s=doc.get("end_s"), score=round(float(fused.scores[position]), 6),
            title=doc.get("title") or video.get("title"), programme_title=doc.get("programme_title"),
            channel=doc.get("channel"), air_date=doc.get("air_date"), video_path=video.get("path"),
        ))
    return CreditSearchResponse(query=query, hits=hits, took_ms=round((time.perf_counter() - started) * 1000, 2))


def person_credits(store: IndexBackend, name: str, filters: SearchFilters | None = None) -> PersonCredits:
    """Every video crediting exactly this name (spacing and case aside), with its roles and times."""
    query = _query(name)
    # "김 민수" and "김민수" are one name: search both spellings (a Korean name is analysed as one word)
    # (and "쥬세페·토르나토레" is "쥬세페 토르나토레")
    spellings = list(dict.fromkeys([query, name_spacing_free(query), _WORD_GAPS.sub(" ", query)]))
    if not _WORD_GAPS.search(query) and len(query) >= 3:
        spellings.append(_edge_pieces(query))
    retrievers = [TextRetriever(f"credit_name_{i}", q, _fields(("name",)), PERSON_CANDIDATES)
                  for i, q in enumerate(spellings)]
    lists = store.search(IndexName.CREDITS, retrievers, filters)
    candidates = list({c.id: c for found in lists.values() for c in found}.values())
    docs = store.get(IndexName.CREDITS, [c.id for c in candidates])
    wanted = name_key(query)
    exact = {i: d for i, d in docs.items() if name_key(d["name"]) == wanted}
    similar = list(dict.fromkeys(d["name"] for c in candidates if (d := docs.get(c.id)) and c.id not in exact))
    by_video: dict[str, list[dict]] = {}
    for doc in sorted(exact.values(), key=lambda d: d["time_s"]):
        by_video.setdefault(doc["video_id"], []).append(doc)
    videos = store.get(IndexName.VIDEOS, list(by_video))
    out = []
    for video_id, credits in by_video.items():
        video = videos.get(video_id, {})
        first = credits[0]
        out.append(CreditedVideo(
            video_id=video_id, title=video.get("title") or first.get("title"),
            programme_title=video.get("programme_title") or first.get("programme_title"),
            channel=video.get("channel") or first.get("channel"), air_date=video.get("air_date") or first.get("air_date"),
            video_path=video.get("path"), roles=list(dict.fromkeys(c["role_text"] for c in credits)),
            role_codes=list(dict.fromkeys(c["role_code"] for c in credits if c.get("role_code"))),
            times_s=[c["time_s"] for c in credits],
        ))
    out.sort(key=lambda v: (str(v.air_date or ""), v.title or "", v.video_id))
    return PersonCredits(name=query, videos=out, similar_names=similar[:10] if not out else [])
