"""The Serve application: deployments composed with handles, the FastAPI ingress over them, and the builders that
``vidsearch serve`` (local) and a Serve config file / RayService (cluster) use.

    text_encoder ──────┐
    clip_text_encoder ─┤ (when an image-text model is configured)
    translator ────────┼─▶ searcher ─┐ (when a translator is configured)
    face_encoder ──────┘             ├─▶ ingress (FastAPI: /v1/…, /healthz, /readyz, the web page)
    ingest_jobs ─────────────────────┘
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ray import serve
from ray.serve import Application
from ray.serve.handle import DeploymentHandle

from serve.api import create_api
from serve.edits_api import HandleDesk, install_edit_routes
from serve.edits_service import EditorService
from serve.encoders import ClipTextQueryEncoder, QueryTranslator, TextQueryEncoder
from serve.faces import FACE_STAGE, FaceQuery, FaceQueryEncoder
from serve.jobs import IngestJobs
from serve.models import (
    Capabilities,
    IngestJob,
    IngestRequest,
    Readiness,
    SegmentView,
    VideoView,
)
from serve.problems import ServiceUnavailable, as_vidsearch_error, raise_if_problem, replica_failure
from serve.searcher import SearchService
from vidsearch.config import Settings, load_settings
from vidsearch.documents import Person
from vidsearch.serve_settings import DeploymentScaling, ServeSettings
from vidsearch.faces.search import PhotoSearchResult
from vidsearch.search import SearchRequest, SearchResponse

log = logging.getLogger(__name__)


class HandleBackend:
    """The API's backend over deployment handles: errors come back as the VidsearchError they were; a deployment
    that does not answer in time, or whose replica died, is a quick 503 with Retry-After — never a hung request
    or a 500. Reads are retried once on another replica when the one they reached died under them."""

    def __init__(self, searcher: DeploymentHandle, jobs: DeploymentHandle, settings: ServeSettings) -> None:
        self._searcher = searcher
        self._jobs = jobs
        self._timeouts = {id(searcher): settings.searcher.request_timeout_s or settings.request_timeout_s,
                          id(jobs): settings.request_timeout_s}
        ServiceUnavailable.retry_after_s = settings.retry_after_s

    async def _call(self, handle: DeploymentHandle, method: str, *args: Any, retry: bool = True) -> Any:
        timeout = self._timeouts[id(handle)]
        deadline = asyncio.get_running_loop().time() + timeout
        for attempt in (1, 2):
            response = getattr(handle, method).remote(*args)
            try:
                remaining = max(0.05, deadline - asyncio.get_running_loop().time())
                result = await asyncio.wait_for(response, timeout=remaining)
            except TimeoutError:
                response.cancel()
                raise ServiceUnavailable(f"{method} took longer than {timeout:g} s "
                                         "(VIDSEARCH_SERVE__*__REQUEST_TIMEOUT_S); retry shortly") from None
            except Exception as exc:
                known = as_vidsearch_error(exc)
                if known is not None:
                    raise known from None
                failure = replica_failure(exc)
                if failure is None:
                    raise
                if retry and attempt == 1:
                    log.warning("%s: a replica failed (%s); retrying once", method, failure)
                    continue
                raise ServiceUnavailable(f"the {method} service is restarting after a replica failure "
                                         f"({failure}); retry shortly") from None
            return raise_if_problem(result)
        raise AssertionError("unreachable")

    async def search(self, request: SearchRequest) -> SearchResponse:
        return await self._call(self._searcher, "search", request)

    async def search_face(self, query: FaceQuery) -> PhotoSearchResult:
        return await self._call(self._searcher, "search_face", query)

    async def video(self, video_id: str) -> VideoView:
        return await self._call(self._searcher, "video", video_id)

    async def persons(self, video_id: str) -> list[Person]:
        return await self._call(self._searcher, "persons", video_id)

    async def segment(self, segment_id: str) -> SegmentView:
        return await self._call(self._searcher, "segment", segment_id)

    async def thumbnail(self, doc_id: str, number: int) -> str:
        return await self._call(self._searcher, "thumbnail", doc_id, number)

    async def capabilities(self) -> Capabilities:
        return await self._call(self._searcher, "capabilities")

    async def ready(self) -> Readiness:
        return await self._call(self._searcher, "ready")

    async def start_ingest(self, request: IngestRequest) -> IngestJob:
        return await self._call(self._jobs, "start", request, retry=False)  # not idempotent

    async def job(self, job_id: str) -> IngestJob:
        return await self._call(self._jobs, "get", job_id)

    async def jobs(self) -> list[IngestJob]:
        return await self._call(self._jobs, "recent")


class InProcessHandle:
    """A deployment's class instantiated inside this replica, called the way a handle is (``x.method.remote()``
    gives an awaitable that can be cancelled): the query path without the ingress → searcher hop."""

    def __init__(self, instance: Any) -> None:
        self._instance = instance

    def __getattr__(self, method: str) -> Any:
        bound = getattr(self._instance, method)
        return SimpleNamespace(remote=lambda *args: asyncio.ensure_future(bound(*args)))


@serve.deployment(name="ingress")
@serve.ingress()
class ApiIngress:
    def __init__(self, settings: Settings, searcher: DeploymentHandle | None, jobs: DeploymentHandle,
                 translator: DeploymentHandle | None = None, faces: DeploymentHandle | None = None,
                 editor: DeploymentHandle | None = None) -> None:
        self._settings = settings
        if searcher is None:  # serve.search_in_ingress: the searcher (and its encoders) live in this replica
            searcher = InProcessHandle(SearchService.func_or_class(settings, {}, translator, faces))
        self._backend = HandleBackend(searcher, jobs, settings.serve)
        self._editor = editor

    def __serve_build_asgi_app__(self):
        app = create_api(self._settings, self._backend)
        # human edits and judgments (serve/edits_api.py): answered 403 "switched off" without editor keys
        desk = HandleDesk(self._editor, self._settings.serve.request_timeout_s) if self._editor is not None else None
        install_edit_routes(app, self._settings, desk)
        return app


def cluster_cpus() -> float:
    """CPUs of the Ray cluster this process is connected to (this machine's when Ray is not started yet)."""
    import ray

    if ray.is_initialized():
        return float(ray.cluster_resources().get("CPU", 0.0))
    return float(os.cpu_count() or 1)


def search_in_ingress(settings: ServeSettings) -> bool:
    """The query path's shape: ``serve.search_in_ingress``, or when unset, in the ingress on a small cluster (each
    hop between replicas costs ~6 ms on 2 cores: with three hops the HTTP route was ~2.6x the in-process search,
    with one ~1.4x; bench/serve_hops.py)."""
    if settings.search_in_ingress is not None:
        return settings.search_in_ingress
    return cluster_cpus() <= settings.small_cluster_cpus


def _options(settings: ServeSettings, scaling: DeploymentScaling) -> dict[str, Any]:
    """A deployment's options: its scaling, and the Ray Serve switches of ``serve.ray_serve_env``."""
    options = scaling.deployment_options()
    if settings.ray_serve_env:
        options["ray_actor_options"] = {**options["ray_actor_options"],
                                        "runtime_env": {"env_vars": dict(settings.ray_serve_env)}}
    return options


def build_app(settings: Settings) -> Application:
    """Compose the deployments with their scaling settings."""
    scaling = settings.serve
    in_ingress = search_in_ingress(scaling)
    colocated = scaling.colocate_encoders or in_ingress
    encoders = {}
    if not colocated:
        encoders["text_vec"] = TextQueryEncoder.options(**_options(scaling, scaling.text_encoder)).bind(settings)
        if settings.models.image_text.backend != "none":
            clip = ClipTextQueryEncoder.options(**_options(scaling, scaling.clip_encoder)).bind(settings)
            encoders["clip_vec"] = clip
    translator = None
    if settings.models.translator.backend != "none":
        translator = QueryTranslator.options(**_options(scaling, scaling.translator)).bind(settings)
    faces = None
    if FACE_STAGE in settings.ingest.stages:
        faces = FaceQueryEncoder.options(**_options(scaling, scaling.face_encoder)).bind(settings)
    jobs = IngestJobs.bind(settings)
    editor = EditorService.bind(settings) if settings.edits.editor_api_keys else None
    ingress = ApiIngress.options(**_options(scaling, scaling.ingress))
    if in_ingress:
        return ingress.bind(settings, None, jobs, translator, faces, editor=editor)
    searcher = SearchService.options(**_options(scaling, scaling.searcher)).bind(settings, encoders, translator,
                                                                                   faces)
    return ingress.bind(settings, searcher, jobs, editor=editor)


def app_builder(args: dict[str, Any]) -> Application:
    """Entry point for a Serve config file (``import_path: serve.app:app_builder``). ``args`` may name a TOML
    ``config_file`` and override any setting (nested as in the TOML); ``VIDSEARCH_*`` variables apply too."""
    args = dict(args or {})
    config_file = args.pop("config_file", None)
    settings = load_settings(Path(config_file) if config_file else None, **args)
    return build_app(settings)
