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
from pathlib import Path
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
from serve.problems import ServiceUnavailable, as_vidsearch_error, raise_if_problem
from serve.searcher import SearchService
from vidsearch.config import Settings, load_settings
from vidsearch.documents import Person
from vidsearch.faces.search import PhotoSearchResult
from vidsearch.search import SearchRequest, SearchResponse

log = logging.getLogger(__name__)


class HandleBackend:
    """The API's backend over deployment handles: errors come back as the VidsearchError they were, and a
    deployment that does not answer in time is a 503, not a hung request."""

    def __init__(self, searcher: DeploymentHandle, jobs: DeploymentHandle, timeout_s: float) -> None:
        self._searcher = searcher
        self._jobs = jobs
        self._timeout_s = timeout_s

    async def _call(self, handle: DeploymentHandle, method: str, *args: Any) -> Any:
        response = getattr(handle, method).remote(*args)
        try:
            result = await asyncio.wait_for(response, timeout=self._timeout_s)
        except TimeoutError:
            response.cancel()
            raise ServiceUnavailable(f"{method} took longer than {self._timeout_s:g} s "
                                     "(VIDSEARCH_SERVE__REQUEST_TIMEOUT_S)") from None
        except Exception as exc:
            known = as_vidsearch_error(exc)
            if known is not None:
                raise known from None
            raise
        return raise_if_problem(result)

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
        return await self._call(self._jobs, "start", request)

    async def job(self, job_id: str) -> IngestJob:
        return await self._call(self._jobs, "get", job_id)

    async def jobs(self) -> list[IngestJob]:
        return await self._call(self._jobs, "recent")


@serve.deployment(name="ingress")
@serve.ingress()
class ApiIngress:
    def __init__(self, settings: Settings, searcher: DeploymentHandle, jobs: DeploymentHandle,
                 editor: DeploymentHandle | None = None) -> None:
        self._settings = settings
        self._backend = HandleBackend(searcher, jobs, settings.serve.request_timeout_s)
        self._editor = editor

    def __serve_build_asgi_app__(self):
        app = create_api(self._settings, self._backend)
        # human edits and judgments (serve/edits_api.py): answered 403 "switched off" without editor keys
        desk = HandleDesk(self._editor, self._settings.serve.request_timeout_s) if self._editor is not None else None
        install_edit_routes(app, self._settings, desk)
        return app


def build_app(settings: Settings) -> Application:
    """Compose the deployments with their scaling settings."""
    scaling = settings.serve
    encoders = {"text_vec": TextQueryEncoder.options(**scaling.text_encoder.deployment_options()).bind(settings)}
    if settings.models.image_text.backend != "none":
        clip = ClipTextQueryEncoder.options(**scaling.clip_encoder.deployment_options()).bind(settings)
        encoders["clip_vec"] = clip
    translator = None
    if settings.models.translator.backend != "none":
        translator = QueryTranslator.options(**scaling.translator.deployment_options()).bind(settings)
    faces = None
    if FACE_STAGE in settings.ingest.stages:
        faces = FaceQueryEncoder.options(**scaling.face_encoder.deployment_options()).bind(settings)
    searcher = SearchService.options(**scaling.searcher.deployment_options()).bind(settings, encoders, translator,
                                                                                   faces)
    jobs = IngestJobs.bind(settings)
    editor = EditorService.bind(settings) if settings.edits.editor_api_keys else None
    return ApiIngress.options(**scaling.ingress.deployment_options()).bind(settings, searcher, jobs, editor)


def app_builder(args: dict[str, Any]) -> Application:
    """Entry point for a Serve config file (``import_path: serve.app:app_builder``). ``args`` may name a TOML
    ``config_file`` and override any setting (nested as in the TOML); ``VIDSEARCH_*`` variables apply too."""
    args = dict(args or {})
    config_file = args.pop("config_file", None)
    settings = load_settings(Path(config_file) if config_file else None, **args)
    return build_app(settings)
