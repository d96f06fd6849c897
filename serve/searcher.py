"""The searcher deployment: ``vidsearch.search.Searcher`` (the same planning, store queries and fusion the CLI runs
in-process) with its query models behind deployment handles, plus the document lookups the API and the web page
need. Store queries run on a small thread pool so a replica keeps accepting requests while one is in the store."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from ray import serve
from ray.serve.handle import DeploymentHandle

from serve.faces import FACE_SEARCH_OFF, FaceQuery
from serve.models import Capabilities, Feature, PublicVideo, Readiness, SearchPage, SegmentView, VideoView
from serve.problems import FeatureUnavailable, ServiceUnavailable, raise_if_problem, replica_failure, travels
from ranking.profiles import list_profiles
from vidsearch.config import FusionMethod, Normalization, Settings
from vidsearch.documents import Credit, Person, Segment
from vidsearch.errors import NotFound, VidsearchError
from vidsearch.faces.search import PhotoSearchResult, search_encoded
from vidsearch.schema import IndexName
from vidsearch.search import TEXT_RETRIEVERS, QueryPlan, QueryVector, Searcher, SearchRequest
from vidsearch.store.base import SearchFilters

log = logging.getLogger(__name__)
T = TypeVar("T")
ENCODER_DEPLOYMENTS = {"text_vec": "text_encoder", "clip_vec": "clip_text_encoder"}  # retriever → deployment


class QueryVectorCache:
    """The last ``size`` query vectors by (retriever, query): a repeated query (paging, re-ranking with the
    sliders, popular searches) skips the encoder hop and the model."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[tuple[str, str], QueryVector] = OrderedDict()
        self._lock = threading.Lock()  # searches in the store threads use it too

    def get(self, key: tuple[str, str]) -> QueryVector | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str], vector: QueryVector) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)


class UnknownRetriever(VidsearchError):
    status = 422
    title = "Unknown retriever"


def _drop_retrievers(plan: QueryPlan, left_out: dict[str, str]) -> None:
    """Run ``plan`` without the retrievers in ``left_out`` (name → why its query encoder is missing), saying so
    in the plan's notices: the remaining weights keep their proportions."""
    names = list(left_out)
    for name, why in left_out.items():
        plan.notices.append(f"{name} left out: its query encoder {why}; the other retrievers answered")
    plan.retrievers = [n for n in plan.retrievers if n not in names]
    kept = {n: w for n, w in plan.weights.items() if n not in names}
    total = sum(kept.values())
    if not plan.retrievers or total <= 0:
        raise ServiceUnavailable(f"every retriever of this search needs a query model that is unavailable now "
                                 f"({', '.join(names)}); retry shortly")
    plan.weights = {n: w / total for n, w in kept.items()}


def _document(model: type[T], doc_id: str, body: dict[str, Any]) -> T:
    """A stored body as its document model, without vectors (clients never need them)."""
    fields = {k: v for k, v in body.items() if not k.endswith("_vec")}
    return model.from_doc(doc_id, fields)


@serve.deployment(name="searcher")
class SearchService:
    def __init__(self, settings: Settings, encoders: dict[str, DeploymentHandle] | None = None,
                 translator: DeploymentHandle | None = None, face_encoder: DeploymentHandle | None = None) -> None:
        self.settings = settings
        self.searcher = Searcher(settings)
        self.store = self.searcher.store
        self.encoders = dict(encoders or {})  # vector retriever name → its query encoder deployment
        self.translator = translator
        self.face_encoder = face_encoder
        self._pool = ThreadPoolExecutor(settings.serve.store_threads, thread_name_prefix="store")
        self._encoder_timeout_s = settings.serve.text_encoder.request_timeout_s or settings.serve.request_timeout_s
        self._vector_cache = QueryVectorCache(settings.serve.query_cache_size)
        self._searching = 0  # searches in flight in this replica
        self.counts = {index.value: self.store.count(index) for index in IndexName}
        # Load the segment index, the query analysers (Kiwi takes seconds to start), the default profile and the
        # credited names its query rules look for, before traffic arrives (no model runs here: planning only).
        self.searcher.plan(SearchRequest(query="준비 warm-up", k=1))
        warm_up = SearchRequest(query="준비 warm-up", k=1, weights=dict.fromkeys(TEXT_RETRIEVERS, 1.0))
        self.searcher.execute(self.searcher.plan(warm_up))
        for name in self.searcher.available_retrievers()[0]:  # colocated query models: loaded now, not on the
            if name in ENCODER_DEPLOYMENTS and name not in self.encoders:  # first request
                self.searcher.encode_query(name, "준비 warm-up")
        log.info("searcher ready over %s", self.counts)

    async def _in_pool(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(fn, *args))

    # -- search -----------------------------------------------------------------------------------------------
    @travels
    async def search(self, request: SearchRequest) -> SearchPage:
        self._refuse_unknown_weights(request)
        if not self.encoders and self.translator is None:  # every model in this replica
            # An idle replica searches right here (the event loop waits for nothing else; a request arriving now
            # waits one search at most); with searches in flight, in the store pool, one trip each.
            idle = self._searching == 0
            self._searching += 1
            try:
                return self._search_here(request) if idle else await self._in_pool(self._search_here, request)
            finally:
                self._searching -= 1
        # In the pool: a profile's query rules may reload the credited names from the store (every few minutes).
        plan = await self._in_pool(self.searcher.plan, request)
        english_call = (self.translator.translate.remote(plan.query)
                        if plan.needs_english and self.translator is not None else None)
        vectors: dict[str, QueryVector] = {}
        calls: dict[str, tuple[str, Any]] = {}
        # The original query goes to the multilingual encoders now; English-only ones wait for the translation.
        waiting = [n for n in plan.vector_retrievers if english_call is not None and n in plan.english_only]
        for name in plan.vector_retrievers:
            if name not in waiting:
                await self._start_encoding(name, plan.query, vectors, calls)
        english = None
        if english_call is not None:
            try:
                english = await asyncio.wait_for(english_call, timeout=self._encoder_timeout_s)
            except Exception as exc:  # the other retrievers still answer; the response says what happened
                english_call.cancel()
                log.warning("translation of %r failed: %s", plan.query, exc)
                plan.translation_failed(exc)
            for name in waiting:
                await self._start_encoding(name, plan.text_for(name, english), vectors, calls)
        left_out: dict[str, str] = {}
        for name, (text, call) in calls.items():
            try:
                vectors[name] = await asyncio.wait_for(call, timeout=self._encoder_timeout_s)
                self._vector_cache.put((name, text), vectors[name])
            except Exception as exc:  # the encoder is down or slow: the BM25 retrievers still answer, and say so
                call.cancel()
                reason = replica_failure(exc) or type(exc).__name__
                log.warning("query encoder for %s unavailable (%s): answering without it", name, reason)
                left_out[name] = f"is unavailable ({reason})"
        if left_out:
            _drop_retrievers(plan, left_out)
        response = await self._in_pool(self.searcher.execute, plan, vectors, english)
        return SearchPage(**dict(response), degraded=list(left_out))

    def _search_here(self, request: SearchRequest) -> SearchPage:
        """Plan, encode and run a search in one store thread (colocated encoders, no translator): each hand-off
        between the event loop and the pool costs a wake-up, several of them on a busy 2-core host."""
        plan = self.searcher.plan(request)
        vectors: dict[str, QueryVector] = {}
        left_out: dict[str, str] = {}
        for name in plan.vector_retrievers:
            try:
                vectors[name] = self._encoded_here(name, plan.query)
            except VidsearchError:
                raise
            except Exception as exc:  # a failing model: the BM25 retrievers still answer, and say so
                log.warning("query encoder for %s failed (%s): answering without it", name, exc)
                left_out[name] = f"failed ({type(exc).__name__})"
        if left_out:
            _drop_retrievers(plan, left_out)
        return SearchPage(**dict(self.searcher.execute(plan, vectors)), degraded=list(left_out))

    def _encoded_here(self, name: str, text: str) -> QueryVector:
        vector = self._vector_cache.get((name, text))
        if vector is None:
            vector = self.searcher.encode_query(name, text)
            self._vector_cache.put((name, text), vector)
        return vector

    async def _start_encoding(self, name: str, text: str, vectors: dict[str, QueryVector],
                              calls: dict[str, tuple[str, Any]]) -> None:
        """A cached vector, one encoded in this replica (colocated encoders), or a call to the encoder's replica."""
        cached = self._vector_cache.get((name, text))
        if cached is not None:
            vectors[name] = cached
        elif name not in self.encoders:  # encoders colocated in this replica (serve.colocate_encoders)
            vectors[name] = await self._in_pool(self._encoded_here, name, text)
        else:
            calls[name] = (text, self.encoders[name].encode.remote(text))

    def _refuse_unknown_weights(self, request: SearchRequest) -> None:
        """Weights naming a retriever this installation does not know are a mistake, not something to drop."""
        available, unavailable = self.searcher.available_retrievers()
        known = [*available, *unavailable]
        unknown = sorted(set(request.weights or {}) - set(known))
        if unknown:
            raise UnknownRetriever(f"weights: unknown retriever(s) {unknown}; the retrievers are {known}")

    @travels
    async def search_face(self, query: FaceQuery) -> PhotoSearchResult:
        started = time.perf_counter()
        if self.face_encoder is None:
            raise FeatureUnavailable(FACE_SEARCH_OFF)
        encoded = raise_if_problem(await self.face_encoder.encode.remote(query))

        def match() -> PhotoSearchResult:
            result = search_encoded(encoded, self.settings, self.store, k=query.k, max_distance=query.threshold,
                                    started=started)
            if not result.videos and self.store.count(IndexName.PERSONS) == 0:
                result.warnings.append("no persons are indexed yet: ingest with the faces stage "
                                       "(VIDSEARCH_INGEST__STAGES)")
            return result

        return await self._in_pool(match)

    # -- documents --------------------------------------------------------------------------------------------
    def _video_doc(self, video_id: str) -> PublicVideo:
        body = self.store.get(IndexName.VIDEOS, [video_id]).get(video_id)
        if body is None:
            raise NotFound(f"no video with id {video_id!r}")
        return _document(PublicVideo, video_id, body)

    def _of_video(self, index: IndexName, model: type[T], video_id: str) -> list[T]:
        docs = [_document(model, i, b) for i, b in self.store.scan(index, SearchFilters(video_ids=[video_id]))]
        if model is Person:  # track vectors are for archive linking, not for readers
            docs = [d.model_copy(update={"track_vecs": None}) for d in docs]
        return docs

    def _video_view(self, video_id: str) -> VideoView:
        video = self._video_doc(video_id)
        segments = sorted(self._of_video(IndexName.SEGMENTS, Segment, video_id), key=lambda s: s.index)
        persons = sorted(self._of_video(IndexName.PERSONS, Person, video_id),
                         key=lambda p: (-(p.screen_time_s or 0.0), p.cluster))
        credits = sorted(self._of_video(IndexName.CREDITS, Credit, video_id), key=lambda c: c.time_s)
        return VideoView(video=video, segments=segments, persons=persons, credits=credits)

    @travels
    async def video(self, video_id: str) -> VideoView:
        return await self._in_pool(self._video_view, video_id)

    @travels
    async def persons(self, video_id: str) -> list[Person]:
        def persons_of() -> list[Person]:
            self._video_doc(video_id)
            return sorted(self._of_video(IndexName.PERSONS, Person, video_id), key=lambda p: p.cluster)

        return await self._in_pool(persons_of)

    @travels
    async def segment(self, segment_id: str) -> SegmentView:
        def segment_of() -> SegmentView:
            body = self.store.get(IndexName.SEGMENTS, [segment_id]).get(segment_id)
            if body is None:
                raise NotFound(f"no segment with id {segment_id!r}")
            segment = _document(Segment, segment_id, body)
            video = self.store.get(IndexName.VIDEOS, [segment.video_id]).get(segment.video_id)
            owner = _document(PublicVideo, segment.video_id, video) if video else None
            return SegmentView(segment=segment, video=owner)

        return await self._in_pool(segment_of)

    @travels
    async def thumbnail(self, doc_id: str, number: int = 0) -> str:
        """The media-cache-relative thumbnail path of a segment or a person (its ``number``-th exemplar)."""

        def lookup() -> str:
            segment = self.store.get(IndexName.SEGMENTS, [doc_id]).get(doc_id)
            if segment is not None and segment.get("thumbnail"):
                return segment["thumbnail"]
            person = self.store.get(IndexName.PERSONS, [doc_id]).get(doc_id)
            if person is not None and person.get("thumbnails"):
                thumbs = person["thumbnails"]
                if number >= len(thumbs):
                    raise NotFound(f"person {doc_id!r} has {len(thumbs)} thumbnail(s); there is no number {number}")
                return thumbs[number]
            raise NotFound(f"no segment or person with a thumbnail has id {doc_id!r}")

        return await self._in_pool(lookup)

    # -- about this installation ------------------------------------------------------------------------------
    @travels
    async def capabilities(self) -> Capabilities:
        available, unavailable = self.searcher.available_retrievers()
        face = Feature(available=False, detail=FACE_SEARCH_OFF)
        if self.face_encoder is not None:
            info = await self.face_encoder.info.remote()
            face = Feature(available=info.get("problem") is None, detail=info.get("problem") or info["identity"])
        translator = "off (models.translator.backend = none): Korean queries reach English text through the " \
                     "multilingual encoder only"
        if self.translator is not None:
            translator = (await self.translator.info.remote())["identity"]
        counts = await self._in_pool(lambda: {index.value: self.store.count(index) for index in IndexName})
        search, ranking = self.settings.search, self.settings.ranking
        default = self.searcher.resolve_profile()  # what a request without weights or a profile fuses with
        return Capabilities(
            retrievers=available, unavailable_retrievers=unavailable,
            default_weights={k: v for k, v in default.weights.items() if k in available},
            fusion=default.method.value, default_profile=default.name,
            fusion_methods=[m.value for m in FusionMethod], normalizations=[n.value for n in Normalization],
            profiles=list_profiles(ranking.profiles_dir),
            features={
                "face_search": face,
                "translator": Feature(available=self.translator is not None, detail=translator),
            },
            limits={"max_k": search.max_k, "max_query_chars": search.max_query_chars,
                    "max_upload_bytes": self.settings.serve.max_upload_bytes,
                    "max_json_bytes": self.settings.serve.max_json_bytes},
            counts=counts, relevance_floor=self.settings.serve.relevance_floor,
        )

    async def ready(self) -> Readiness:
        checks: dict[str, str] = {}
        ok = True
        try:
            counts = await self._in_pool(lambda: {index.value: self.store.count(index) for index in IndexName})
            checks["store"] = f"{self.store.stats().backend}: {counts['segments']} segments"
        except Exception as exc:
            ok, checks["store"] = False, f"unavailable: {exc}"
        models = {ENCODER_DEPLOYMENTS[name]: handle for name, handle in self.encoders.items()}
        models.update(translator=self.translator, face_encoder=self.face_encoder)
        for name, handle in models.items():
            if handle is None:
                continue
            try:
                info = await asyncio.wait_for(handle.info.remote(), timeout=5)
            except Exception as exc:
                ok, checks[name] = False, f"not answering: {type(exc).__name__}"
                continue
            if info.get("problem"):
                ok, checks[name] = False, info["problem"]
            else:
                checks[name] = info.get("identity") or "loaded"
        recorded = self.store.encoders()
        for name, role in (("text_vec", "text"), ("clip_vec", "image_text")):
            deployment = ENCODER_DEPLOYMENTS[name]
            built_by = recorded.get(role, {}).get("id")
            if ok and deployment in checks and built_by and built_by != checks[deployment]:
                ok = False
                checks[deployment] += f" (the index was built by {built_by}: queries would be refused)"
        return Readiness(ready=ok, checks=checks)
