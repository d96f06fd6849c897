"""The one query path, shared by the CLI, the Serve API and the relevance tooling: a text query → (a Korean query
also translated to English, where a translator is configured) → per-retriever candidate lists from the index
backend → fusion (``ranking``) → segment hits with their video, time range, thumbnail and why they matched.

A Korean query takes two paths at once: the original text against the Korean-analysed fields and the multilingual
encoders, and its English translation against the English-only fields (``bm25_en``) and English-only encoders
(``clip_vec`` unless ``models.image_text.multilingual``); the lists are fused as usual.

Retrievers over segments: ``bm25_ko`` and ``bm25_en`` (BM25 over the Korean- and English-analysed text fields,
best field per segment, like ES multi_match) and ``text_vec`` (the multilingual text encoder's kNN). Retrievers
whose encoder is not configured are reported as unavailable rather than silently dropped.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ranking.feedback import FeedbackSettings
from ranking.fusion import fuse
from ranking.profiles import FusionProfile, resolve_profile
from vidsearch.config import FusionMethod, Normalization, Settings
from vidsearch.credited_names import CreditedNamesCache
from vidsearch.encoder_profiles import default_profile
from vidsearch.encoders.image_text import ImageTextEncoder, load_image_text_encoder
from vidsearch.encoders.text import TextEncoder, load_text_encoder
from vidsearch.errors import InvalidQuery
from vidsearch.schema import IndexName, index_schema
from vidsearch.search_explain import list_floors, relative_scores, with_lift
from vidsearch.search_feedback import search_again
from vidsearch.store import open_store
from vidsearch.store.base import IndexBackend, Retriever, SearchFilters, TextRetriever, VectorRetriever
from vidsearch.translator import Translator, has_hangul, load_translator

log = logging.getLogger(__name__)

# Per-field boosts inside the BM25 retrievers: what is on screen says most about a segment; the synopsis is
# shared by every segment of a programme, so it only breaks ties.
FIELD_BOOSTS = {"ocr_text": 1.0, "credits_text": 1.0, "caption": 1.0, "title": 0.8, "programme_title": 0.8,
                "file_name": 0.5, "synopsis": 0.3}
TEXT_RETRIEVERS = {"bm25_ko": "ko", "bm25_en": "en"}
# The credit lines a segment shows, alone: no default weight, so it runs only when asked for — by request weights,
# a profile, or the credited-name query rule ("*credit*" lists) when a query names someone in the credits.
CREDITS_RETRIEVER = "bm25_credits"
CREDITS_FIELDS = ("credits_text.ko", "credits_text.en")
VECTOR_RETRIEVERS = ("text_vec", "clip_vec")  # retriever name = the vector field it searches


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., description="text in Korean or English")
    k: int = Field(10, ge=1, le=1000, description="hits to return")
    filters: SearchFilters = Field(default_factory=SearchFilters)
    weights: dict[str, float] | None = Field(None, description="retriever → weight; overrides the profile")
    profile: str | None = Field(None, description="a tuned weight profile by name")
    retrievers: list[str] | None = Field(None, description="restrict to these retrievers")
    fusion: FusionMethod | None = None
    normalization: Normalization | None = None
    explain: bool = False


class Hit(BaseModel):
    segment_id: str
    video_id: str
    score: float
    relative: float | None = Field(None, description="the score rescaled over this search's fused candidates: 1 = "
                                   "the best, 0 = the weakest; unlike the score, the same scale under any "
                                   "normalisation or fusion (the page's relevance floor reads it)")
    start_s: float
    end_s: float
    title: str | None = None
    file_name: str | None = None
    video_path: str | None = None
    thumbnail: str | None = Field(None, description="path relative to the media cache")
    text: str | None = Field(None, description="the segment's on-screen text / caption")
    matched_by: list[str] = Field(default_factory=list)
    explain: dict[str, dict[str, float | None]] | None = None


class SearchResponse(BaseModel):
    query: str
    hits: list[Hit]
    took_ms: float
    retrievers: list[str]
    weights: dict[str, float]
    fusion: str
    unavailable: dict[str, str] = Field(default_factory=dict)
    notices: list[str] = Field(default_factory=list)
    translated_query: str | None = Field(None, description="the English text the English retrievers searched")


@dataclass(frozen=True)
class QueryVector:
    """A query encoded elsewhere (e.g. by a Serve encoder replica), with the identity of the encoder."""

    vector: np.ndarray
    encoder: str


@dataclass
class QueryPlan:
    """A validated request: what to run and how to fuse it. Planning is cheap and happens before any model runs,
    so bad input is refused without encoding anything."""

    request: SearchRequest
    query: str
    retrievers: list[str]
    weights: dict[str, float]
    fusion: str
    normalization: str
    rrf_k: int
    missing: str  # how a list that lacks a candidate scores it (the profile's MissingPolicy)
    unavailable: dict[str, str]
    notices: list[str] = field(default_factory=list)
    feedback: FeedbackSettings | None = None  # the profile's dense pseudo-relevance feedback, if any
    started: float = field(default_factory=time.perf_counter)

    @property
    def searchable(self) -> bool:
        return any(ch.isalnum() for ch in self.query)

    @property
    def vector_retrievers(self) -> list[str]:
        """The retrievers that need the query encoded (by a model)."""
        return [name for name in self.retrievers if name in VECTOR_RETRIEVERS] if self.searchable else []

    english_only: tuple[str, ...] = ("bm25_en",)  # retrievers that read English only (set by the Searcher)

    @property
    def needs_english(self) -> bool:
        """A translation would help: an English-only retriever runs and the query has Hangul."""
        return self.searchable and any(n in self.retrievers for n in self.english_only) and has_hangul(self.query)

    def text_for(self, retriever: str, english: str | None) -> str:
        """The text a retriever searches with: the translation for English-only ones where there is one."""
        return english if english and retriever in self.english_only else self.query

    def translation_failed(self, error: Exception) -> None:
        """The other retrievers still answer; the response says what happened."""
        log.warning("translation of %r failed: %s", self.query, error)
        self.notices.append(f"translation failed ({type(error).__name__}); searched the Korean text only")


class Searcher:
    """Holds the store and the query encoders; build one per process and reuse it."""

    def __init__(self, settings: Settings, store: IndexBackend | None = None,
                 text_encoder: TextEncoder | None = None, translator: Translator | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings)
        self._text_encoder = text_encoder
        self._image_text_encoder: ImageTextEncoder | None = None
        self._translator = translator
        self._translator_loaded = translator is not None
        self._credited_names = CreditedNamesCache(self.store)
        self._encoder_default: tuple[FusionProfile | None] | None = None  # looked up once, on first use

    @property
    def translator(self) -> Translator | None:
        """The configured ko→en translator (None when ``models.translator.backend`` is none), loaded once."""
        if not self._translator_loaded:
            self._translator = load_translator(self.settings.models.translator,
                                               self.settings.models.local_files_only)
            self._translator_loaded = True
        return self._translator

    @property
    def english_only(self) -> tuple[str, ...]:
        """Retrievers that read English only: the English-analysed fields, and CLIP unless it is multilingual."""
        return ("bm25_en",) if self.settings.models.image_text.multilingual else ("bm25_en", "clip_vec")

    def resolve_profile(self, name: str | None = None) -> FusionProfile:
        """The named profile, or the default: a ``default.json`` in the profiles folder, the settings' own fusion
        defaults where set, else the profile tuned for the encoder that built this index."""
        if self._encoder_default is None:
            recorded = self.store.encoders().get("text", {}).get("id")
            self._encoder_default = (default_profile(self.settings, recorded),)
        return resolve_profile(self.settings.ranking, {"profile": name}, default=self._encoder_default[0])

    def translation_of(self, query: str, retrievers: list[str]) -> str | None:
        """The English for ``query`` where an English-only retriever among ``retrievers`` needs it (the relevance
        tooling collects runs retriever by retriever, without a plan)."""
        needs = any(n in self.english_only for n in retrievers) and has_hangul(query)
        if not needs or self.translator is None:
            return None
        return self.translator.translate([query])[0]

    def translate(self, plan: QueryPlan) -> str | None:
        """The English the English-only retrievers search with, translated in this process (None when not needed,
        not configured, or failed — a failure becomes a notice)."""
        if not plan.needs_english or self.translator is None:
            return None
        try:
            return self.translator.translate([plan.query])[0]
        except Exception as exc:  # noqa: BLE001 - any model failure leaves the Korean paths answering
            plan.translation_failed(exc)
            return None

    @property
    def text_encoder(self) -> TextEncoder:
        if self._text_encoder is None:
            self._text_encoder = load_text_encoder(self.settings.models.text, self.settings.models.local_files_only)
        return self._text_encoder

    @property
    def image_text_encoder(self) -> ImageTextEncoder | None:
        if self._image_text_encoder is None:
            self._image_text_encoder = load_image_text_encoder(self.settings.models.image_text,
                                                               self.settings.models.local_files_only)
        return self._image_text_encoder

    def available_retrievers(self) -> tuple[list[str], dict[str, str]]:
        """(retrievers this installation can run, unavailable ones with the reason)."""
        available = [*TEXT_RETRIEVERS, CREDITS_RETRIEVER, "text_vec"]
        unavailable = {}
        if self.settings.models.image_text.backend == "none":
            unavailable["clip_vec"] = "no image-text (CLIP/SigLIP) encoder configured (VIDSEARCH_MODELS__IMAGE_TEXT__*)"
        else:
            available.append("clip_vec")
        return available, unavailable

    def _validate(self, request: SearchRequest) -> str:
        query = " ".join(request.query.split())
        if not query:
            raise InvalidQuery("the query is empty")
        limit = self.settings.search.max_query_chars
        if len(query) > limit:
            raise InvalidQuery(f"the query is {len(query)} characters long; the limit is {limit} "
                               "(VIDSEARCH_SEARCH__MAX_QUERY_CHARS)")
        if request.k > self.settings.search.max_k:
            raise InvalidQuery(f"k={request.k} is above the limit of {self.settings.search.max_k}")
        return query

    def _profile_weights(self, profile: FusionProfile, query: str, retrievers: list[str],
                         notices: list[str]) -> dict[str, float]:
        """The profile's weights after its query rules (a credited name in the query leans on credit lists)."""
        names = self._credited_names.get() if profile.needs_credited_names() else None
        outcome = profile.weights_for(query, names, retrievers)
        notices.extend(f"rule {f['rule']}: {f['reason']}" for f in outcome.fired)
        return outcome.weights

    def _weights(self, request: SearchRequest, retrievers: list[str], notices: list[str],
                 default: dict[str, float]) -> dict[str, float]:
        weights = dict(request.weights) if request.weights is not None else dict(default)
        for name, value in weights.items():
            if not math.isfinite(value) or value < 0:
                raise InvalidQuery(f"weight for {name!r} must be a finite number ≥ 0, got {value}")
        weights = {name: w for name, w in weights.items() if name in retrievers}
        total = sum(weights.values())
        if total <= 0:
            raise InvalidQuery(f"no positive weight for the retrievers in use ({', '.join(retrievers)})")
        if abs(total - 1.0) > 1e-6:
            notices.append(f"weights summed to {total:.3g}; normalised to 1")
            weights = {name: w / total for name, w in weights.items()}
        return weights

    def encode_query(self, retriever: str, query: str) -> QueryVector:
        """Encode a query in this process for a vector retriever (``text_vec`` or ``clip_vec``)."""
        if retriever == "clip_vec":
            clip = self.image_text_encoder
            return QueryVector(clip.encode_texts([query])[0], clip.identity)
        encoder = self.text_encoder
        return QueryVector(encoder.encode_queries([query])[0], encoder.identity)

    def retrievers_for(self, query: str, names: list[str], k: int,
                       vectors: Mapping[str, QueryVector] | None = None,
                       english: str | None = None) -> list[Retriever]:
        """``vectors``: query vectors already encoded (by retriever name); missing ones are encoded here.
        ``english``: a translation of the query for the English-only retrievers (``english_only``)."""
        schema = index_schema(IndexName.SEGMENTS)
        english_only = self.english_only
        out: list[Retriever] = []
        for name in names:
            text = english if english and name in english_only else query
            if name in TEXT_RETRIEVERS:
                fields = tuple(schema.text_fields(TEXT_RETRIEVERS[name]))
                boosts = {f: FIELD_BOOSTS.get(f.split(".")[0], 1.0) for f in fields}
                out.append(TextRetriever(name, text, fields, k, boosts))
            elif name == CREDITS_RETRIEVER:
                out.append(TextRetriever(name, query, CREDITS_FIELDS, k))
            elif name in VECTOR_RETRIEVERS:
                given = (vectors or {}).get(name) or self.encode_query(name, text)
                out.append(VectorRetriever(name, name, given.vector, k, encoder=given.encoder))
        return out

    def search(self, request: SearchRequest) -> SearchResponse:
        """Plan and run a request in this process (query vectors and the translation computed here)."""
        plan = self.plan(request)
        return self.execute(plan, english=self.translate(plan))

    def plan(self, request: SearchRequest) -> QueryPlan:
        """Validate a request and decide its retrievers, weights (the profile's after its query rules, or the
        request's own) and fusion settings: everything but the models and the store."""
        query = self._validate(request)
        notices: list[str] = []
        available, unavailable = self.available_retrievers()
        names = request.retrievers or available
        unknown = [n for n in names if n not in available and n not in unavailable]
        if unknown:
            raise InvalidQuery(f"unknown retrievers {unknown}; available: {available}")
        names = [n for n in names if n in available]
        if not names:
            raise InvalidQuery(f"none of the requested retrievers is available here: {unavailable}")
        profile = self.resolve_profile(request.profile)
        default = self._profile_weights(profile, query, names, notices) if request.weights is None else {}
        weights = self._weights(request, names, notices, default)
        names = [n for n in names if weights.get(n, 0) > 0]
        method = (request.fusion or profile.method).value
        normalization = (request.normalization or profile.normalization).value
        plan = QueryPlan(request, query, names, weights, method, normalization, profile.rrf_k,
                         profile.missing.value, unavailable, notices, english_only=self.english_only,
                         feedback=profile.feedback if profile.feedback and profile.feedback.retriever in names
                         else None)
        if not plan.searchable:
            notices.append("the query has no searchable words (only punctuation or symbols)")
        return plan

    def execute(self, plan: QueryPlan, vectors: Mapping[str, QueryVector] | None = None,
                english: str | None = None) -> SearchResponse:
        """Run a plan: per-retriever candidates from the store, fusion, hits."""
        request = plan.request
        english = english if english and english != plan.query else None
        if not plan.searchable:
            return self._response(plan, [], None)
        depth = max(self.settings.search.candidates, request.k)
        retrievers = self.retrievers_for(plan.query, plan.retrievers, depth, vectors, english)
        lists = self.store.search(IndexName.SEGMENTS, retrievers, request.filters)
        fused = fuse(lists, method=plan.fusion, weights=plan.weights, normalization=plan.normalization,
                     rrf_k=plan.rrf_k, missing=plan.missing)
        if plan.feedback is not None:
            lists = search_again(self.store, plan.feedback, retrievers, fused.ids, lists, request.filters)
            fused = fuse(lists, method=plan.fusion, weights=plan.weights, normalization=plan.normalization,
                         rrf_k=plan.rrf_k, missing=plan.missing)
        hits = self._hits(fused.ids[: request.k], fused, lists, request.explain)
        return self._response(plan, hits, english)

    @staticmethod
    def _response(plan: QueryPlan, hits: list[Hit], english: str | None) -> SearchResponse:
        return SearchResponse(query=plan.query, hits=hits, took_ms=_ms(plan.started), retrievers=plan.retrievers,
                              weights=plan.weights, fusion=plan.fusion, unavailable=plan.unavailable,
                              notices=plan.notices, translated_query=english)

    def _hits(self, ids: list[str], fused, lists: Mapping[str, list], explain: bool) -> list[Hit]:
        segments = self.store.get(IndexName.SEGMENTS, ids)
        videos = self.store.get(IndexName.VIDEOS, list({s["video_id"] for s in segments.values()}))
        members = {name: {c.id for c in cands} for name, cands in lists.items()}
        relative = relative_scores(fused.scores)
        floors = list_floors(fused) if explain else {}
        hits = []
        for position, doc_id in enumerate(ids):
            segment = segments.get(doc_id)
            if segment is None:  # deleted between search and fetch
                continue
            video = videos.get(segment["video_id"], {})
            text = "\n".join(t for t in (segment.get("ocr_text"), segment.get("caption"),
                                         segment.get("credits_text")) if t)
            hits.append(Hit(
                segment_id=doc_id, video_id=segment["video_id"], score=round(float(fused.scores[position]), 6),
                relative=round(float(relative[position]), 6),
                start_s=segment["start_s"], end_s=segment["end_s"], title=video.get("title") or segment.get("title"),
                file_name=video.get("file_name"), video_path=video.get("path"), thumbnail=segment.get("thumbnail"),
                text=text or None, matched_by=[n for n, ids_ in members.items() if doc_id in ids_],
                explain=with_lift(fused.explain(position), fused.weights, floors) if explain else None,
            ))
        return hits


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
