"""The HTTP API (FastAPI; versioned under /v1) and the web page. ``create_api`` builds the app over a
``SearchBackend`` — in the Serve ingress that is the searcher and jobs deployments' handles."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

import vidsearch
from serve.access import AccessKeys, BodyLimits, SecurityHeaders
from serve.docs_assets import install_offline_docs
from serve.faces import FaceQuery
from serve.models import (
    DOC_ID_PATTERN,
    ApiSearchRequest,
    Capabilities,
    IngestJob,
    IngestRequest,
    Readiness,
    SearchPage,
    SegmentView,
    VideoView,
)
from serve.paging import Cursor, fetch_depth, page_of
from serve.proxy_guard import ReplayBody
from serve.problems import PROBLEM_JSON, Problem, install_problem_handlers, problem
from vidsearch.config import Settings
from vidsearch.documents import Person
from vidsearch.errors import InvalidQuery, NotFound
from vidsearch.faces.errors import PhotoTooLarge
from vidsearch.faces.search import PhotoSearchResult
from vidsearch.search import SearchRequest

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}\.(jpg|jpeg|png|webp)$"
JOB_ID_PATTERN = r"^ingest-[0-9T]{15}-[0-9a-f]{8}$"
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}

DocId = Annotated[str, PathParam(pattern=DOC_ID_PATTERN, description="a document id (letters, digits, . _ -)")]


class SearchBackend(Protocol):
    """What the routes call; every method may raise a VidsearchError."""

    async def search(self, request: SearchRequest) -> SearchPage: ...
    async def search_face(self, query: FaceQuery) -> PhotoSearchResult: ...
    async def video(self, video_id: str) -> VideoView: ...
    async def persons(self, video_id: str) -> list[Person]: ...
    async def segment(self, segment_id: str) -> SegmentView: ...
    async def thumbnail(self, doc_id: str, number: int) -> str: ...
    async def capabilities(self) -> Capabilities: ...
    async def ready(self) -> Readiness: ...
    async def start_ingest(self, request: IngestRequest) -> IngestJob: ...
    async def job(self, job_id: str) -> IngestJob: ...
    async def jobs(self) -> list[IngestJob]: ...


class CachedStaticFiles(StaticFiles):
    """The page's own files with a Cache-Control header (Starlette's StaticFiles sends only validators)."""

    def __init__(self, *args: Any, cache_control: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_control = cache_control

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = self.cache_control
        return response


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "problem details (RFC 7807)"}
            for s in statuses}


def create_api(settings: Settings, backend: SearchBackend) -> FastAPI:
    limits = settings.serve
    app = FastAPI(
        title="vidsearch",
        version=vidsearch.__version__,
        summary="Search a broadcast video archive by text (Korean or English) or by a face photo.",
        description="Errors are RFC 7807 problem details (`application/problem+json`). Read routes take an "
                    "`X-API-Key` header when search keys are configured; admin routes always need an admin key.",
        openapi_url="/openapi.json",
        docs_url=None,  # served from the package's own copy of Swagger UI: /docs works with no internet
        redoc_url=None,
        responses=_problems(500, 503),
    )
    install_problem_handlers(app)
    keys = AccessKeys(limits, settings.edits.editor_api_keys.values())  # editors search too
    app.add_middleware(BodyLimits, json_bytes=limits.max_json_bytes, upload_bytes=limits.max_upload_bytes,
                       upload_paths=("/v1/search/face",))
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ReplayBody)  # a body Serve's proxy sent along with the request (serve/proxy_guard.py)
    if limits.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=limits.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key"], max_age=600)
    # Declared only when keys are configured, so the OpenAPI document says truthfully whether a key is needed.
    reader = [Depends(keys.reader)] if limits.search_api_keys else []
    admin = [Depends(keys.admin)]
    max_age = f"public, max-age={limits.static_max_age_s}"
    max_k = min(settings.search.max_k, 1000)
    install_offline_docs(app)

    # -- web page and health ----------------------------------------------------------------------------------
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR, cache_control=max_age), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/healthz", tags=["health"], summary="The API process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], response_model=Readiness, responses=_problems(503),
             summary="Ready only when the store and every query model are loaded and answering")
    async def readyz() -> Any:
        try:
            readiness = await backend.ready()
        except Exception as exc:  # a deployment that cannot answer means not ready, never a crash
            readiness = Readiness(ready=False, checks={"searcher": f"not answering: {type(exc).__name__}"})
        if not readiness.ready:
            failing = "; ".join(f"{k}: {v}" for k, v in readiness.checks.items())
            return problem(503, f"not ready — {failing}", title="Not ready", instance="/readyz",
                           headers={"Retry-After": "5"})
        return readiness

    # -- search -----------------------------------------------------------------------------------------------
    @app.post("/v1/search", tags=["search"], response_model=SearchPage, dependencies=reader,
              responses=_problems(400, 401, 403, 404, 409, 413, 422),
              summary="Hybrid text search over segments (BM25 Korean/English + multilingual vectors, fused), a page "
                      "at a time")
    async def search(request: ApiSearchRequest, admin_caller: bool = Depends(keys.is_admin)
                     ) -> SearchPage:
        if request.k > settings.search.max_k:
            raise InvalidQuery(f"k={request.k} is above the limit of {settings.search.max_k}")
        cursor = Cursor.decode(request.cursor, request) if request.cursor else None
        depth = fetch_depth(request, cursor, max_k)
        page = page_of(await backend.search(request.in_process(depth)), request, cursor, depth, max_k)
        if not admin_caller:  # server file paths are for admins; others see ids, titles and file names
            page.hits = [hit.model_copy(update={"video_path": None}) for hit in page.hits]
        return page

    @app.post("/v1/search/face", tags=["search"], response_model=PhotoSearchResult, dependencies=reader,
              responses=_problems(400, 401, 403, 413, 415, 422, 501),
              summary="Find the videos where the person in a photo appears")
    async def search_face(
        photo: Annotated[UploadFile, File(description="a JPEG, PNG, WebP, TIFF, BMP or GIF photo with a face")],
        k: Annotated[int | None, Form(ge=1, le=1000, description="videos to return (default: faces.search_k)")
                     ] = None,
        threshold: Annotated[float | None, Form(gt=0, le=2, description="largest face distance kept; default: "
                                                "the face model's calibrated same-person distance")] = None,
        face_index: Annotated[int | None, Form(ge=0, le=99, description="which face when the photo has several, "
                                               "numbered left to right; default: the largest")] = None,
    ) -> PhotoSearchResult:
        data = await photo.read(limits.max_upload_bytes + 1)
        if len(data) > limits.max_upload_bytes:
            raise PhotoTooLarge(photo.filename or "the photo", f"over the {limits.max_upload_bytes:,}-byte upload "
                                "limit (VIDSEARCH_SERVE__MAX_UPLOAD_BYTES)")
        return await backend.search_face(FaceQuery(data, photo.filename, k, threshold, face_index))

    @app.get("/v1/capabilities", tags=["search"], response_model=Capabilities, dependencies=reader,
             summary="Retrievers, default weights, profiles and features this installation has")
    async def capabilities() -> Capabilities:
        return await backend.capabilities()

    # -- documents --------------------------------------------------------------------------------------------
    @app.get("/v1/videos/{video_id}", tags=["documents"], response_model=VideoView, dependencies=reader,
             response_model_exclude_none=True, responses=_problems(404, 422),
             summary="A video with its segments, persons and credits")
    async def video(video_id: DocId, admin_caller: bool = Depends(keys.is_admin)) -> VideoView:
        view = await backend.video(video_id)
        return view if admin_caller else view.model_copy(update={"video": view.video.without_paths()})

    @app.get("/v1/videos/{video_id}/media", tags=["documents"], dependencies=reader,
             responses={200: {"content": {"video/mp4": {}}, "description": "the video file"},
                        206: {"content": {"video/mp4": {}}, "description": "the requested byte range"},
                        **_problems(404, 416, 422)},
             response_class=FileResponse,
             summary="The video file itself, with HTTP Range requests (the page plays a segment with #t=start,end)")
    async def media(video_id: DocId) -> FileResponse:
        view = await backend.video(video_id)
        path = Path(view.video.path or "")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not view.video.path or not path.is_file() or not kind.startswith("video/"):
            raise NotFound(f"the file of video {video_id!r} is not on this server any more")
        return FileResponse(path, media_type=kind, headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/v1/videos/{video_id}/persons", tags=["documents"], response_model=list[Person],
             response_model_exclude_none=True, dependencies=reader, responses=_problems(404, 422),
             summary="The persons seen in a video")
    async def persons(video_id: DocId) -> list[Person]:
        return await backend.persons(video_id)

    @app.get("/v1/segments/{segment_id}", tags=["documents"], response_model=SegmentView, dependencies=reader,
             response_model_exclude_none=True, responses=_problems(404, 422),
             summary="One segment and its video")
    async def segment(segment_id: DocId, admin_caller: bool = Depends(keys.is_admin)) -> SegmentView:
        view = await backend.segment(segment_id)
        if admin_caller or view.video is None:
            return view
        return view.model_copy(update={"video": view.video.without_paths()})

    def media_image(relative: str, missing: str) -> FileResponse:
        """An image of the media cache, refused unless it resolves inside the cache. Thumbnails are
        content-addressed files that never change: the browser may keep them."""
        media = settings.media_dir.resolve()
        path = (media / relative).resolve()
        kind = IMAGE_TYPES.get(path.suffix.lower())
        if not path.is_relative_to(media) or kind is None or not path.is_file():
            raise NotFound(missing)
        cache = "private" if limits.search_api_keys else "public"
        return FileResponse(path, media_type=kind,
                            headers={"Cache-Control": f"{cache}, max-age={limits.static_max_age_s}"})

    @app.get("/v1/thumbnails/{doc_id}", tags=["documents"], dependencies=reader,
             responses={200: {"content": {"image/jpeg": {}}, "description": "the thumbnail image"},
                        **_problems(404, 422)},
             response_class=FileResponse, summary="A segment's thumbnail, or a person's n-th exemplar face")
    async def thumbnail(doc_id: DocId, n: Annotated[int, Query(ge=0, le=999)] = 0) -> FileResponse:
        relative = await backend.thumbnail(doc_id, n)
        return media_image(relative, f"the thumbnail of {doc_id!r} is missing from the media cache")

    @app.get("/v1/media/{video_id}/{name}", tags=["documents"], dependencies=reader,
             responses={200: {"content": {"image/jpeg": {}}, "description": "the image"}, **_problems(404, 422)},
             response_class=FileResponse,
             summary="A file of the media cache by the relative path a hit or segment names in `thumbnail`: served "
                     "by the API process itself, long-cached (no search replica involved)")
    async def media_file(video_id: DocId, name: Annotated[str, PathParam(pattern=MEDIA_NAME_PATTERN)]
                         ) -> FileResponse:
        return media_image(f"{video_id}/{name}", f"{video_id}/{name} is not in the media cache")

    # -- admin ------------------------------------------------------------------------------------------------
    @app.post("/v1/admin/ingest", tags=["admin"], response_model=IngestJob, status_code=202, dependencies=admin,
              responses=_problems(400, 401, 403, 409, 413, 422), summary="Start indexing files or folders")
    async def start_ingest(request: IngestRequest) -> JSONResponse:
        job = await backend.start_ingest(request)
        return JSONResponse(job.model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/v1/admin/jobs/{job.id}"})

    @app.get("/v1/admin/jobs", tags=["admin"], response_model=list[IngestJob], dependencies=admin,
             responses=_problems(401, 403), summary="Recent ingest jobs, newest first")
    async def jobs() -> list[IngestJob]:
        return await backend.jobs()

    @app.get("/v1/admin/jobs/{job_id}", tags=["admin"], response_model=IngestJob, dependencies=admin,
             responses=_problems(401, 403, 404, 422), summary="One ingest job's state and summary")
    async def job(job_id: Annotated[str, PathParam(pattern=JOB_ID_PATTERN)]) -> IngestJob:
        return await backend.job(job_id)

    return app
