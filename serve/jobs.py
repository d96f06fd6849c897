"""Ingest jobs started over the API: the same ``ray_jobs.ingest.run_ingest`` the CLI runs, as a Ray task on the
cluster the API runs on. One job at a time (ingest already uses every CPU it is given); each job's state is a JSON
file in the data folder, so any ingress replica — and a restarted one — can report it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from pathlib import Path

import ray
from ray import serve

from serve.models import IngestJob, IngestRequest, JobState
from serve.problems import travels
from vidsearch.config import Settings
from vidsearch.errors import InvalidQuery, NotFound, VidsearchError

log = logging.getLogger(__name__)


class JobConflict(VidsearchError):
    status = 409
    title = "Conflict"


class PathNotAllowed(VidsearchError):
    status = 403
    title = "Path not allowed"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _jobs_folder(settings: Settings) -> Path:
    return settings.jobs_dir / "api"


def _save(settings: Settings, job: IngestJob) -> None:
    _jobs_folder(settings).mkdir(parents=True, exist_ok=True)  # only writers create it: query pods mount read-only
    path = _jobs_folder(settings) / f"{job.id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(job.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)


def _load(settings: Settings, job_id: str) -> IngestJob | None:
    path = _jobs_folder(settings) / f"{job_id}.json"
    if not path.is_file():
        return None
    return IngestJob.model_validate_json(path.read_text(encoding="utf-8"))


@ray.remote(num_cpus=0, max_retries=0)
def _run_ingest_job(settings: Settings, job: IngestJob) -> None:
    from ray_jobs.ingest import run_ingest

    try:
        summary = run_ingest(job.paths, settings, force=job.force)
        job.summary = json.loads(json.dumps(summary.to_json(), default=str))
        job.state = JobState.SUCCEEDED
    except Exception as exc:  # recorded in the job for the caller; the full trace goes to the task's log
        log.exception("ingest job %s failed", job.id)
        job.state, job.error = JobState.FAILED, f"{type(exc).__name__}: {exc}"
    job.finished = _now()
    _save(settings, job)


def check_paths(paths: list[str], roots: list[Path]) -> list[str]:
    """Absolute, existing paths inside the allowed roots (when roots are configured)."""
    resolved_roots = [root.expanduser().resolve() for root in roots]
    out = []
    for raw in paths:
        if not raw.strip() or "\x00" in raw:
            raise InvalidQuery(f"path {raw!r} is empty or contains a NUL byte")
        path = Path(raw)
        if not path.is_absolute():  # no ~ expansion either: the server's paths, spelled out
            raise InvalidQuery(f"path {raw!r} is relative; give absolute paths as the server sees them")
        try:
            path = path.resolve()
            exists = path.exists()
        except (OSError, ValueError) as exc:  # e.g. characters the filesystem encoding cannot represent
            raise InvalidQuery(f"path {raw!r} cannot be used on this server: {exc}") from None
        if resolved_roots and not any(path.is_relative_to(root) for root in resolved_roots):
            raise PathNotAllowed(f"{raw} is outside the folders ingest may read "
                                 f"({', '.join(map(str, resolved_roots))}; VIDSEARCH_SERVE__INGEST_ROOTS)")
        if not exists:
            raise InvalidQuery(f"{raw} does not exist on the server")
        out.append(str(path))
    return out


@serve.deployment(name="ingest_jobs", num_replicas=1, ray_actor_options={"num_cpus": 0})
class IngestJobs:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(update={"ray": settings.ray.model_copy(update={"progress_bars": False})})
        self._running: dict[str, ray.ObjectRef] = {}

    @travels
    async def start(self, request: IngestRequest) -> IngestJob:
        self._reap()
        if self._running:
            running = next(iter(self._running))
            raise JobConflict(f"ingest job {running} is still running; wait for it (GET /v1/admin/jobs/{running})")
        paths = check_paths(request.paths, self.settings.serve.ingest_roots)
        job = IngestJob(id=f"ingest-{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", state=JobState.RUNNING,
                        paths=paths, force=request.force, submitted=_now())
        _save(self.settings, job)
        self._running[job.id] = _run_ingest_job.remote(self.settings, job)
        log.info("ingest job %s started over %d path(s)", job.id, len(paths))
        return job

    def _reap(self) -> None:
        """Forget finished tasks; a task that died without writing its result is recorded as failed."""
        for job_id, ref in list(self._running.items()):
            done, _ = ray.wait([ref], timeout=0)
            if not done:
                continue
            del self._running[job_id]
            try:
                ray.get(ref)
            except Exception as exc:
                job = _load(self.settings, job_id)
                if job is not None and job.state is JobState.RUNNING:
                    job.state, job.error, job.finished = JobState.FAILED, f"the job's task died: {exc}", _now()
                    _save(self.settings, job)

    @travels
    async def get(self, job_id: str) -> IngestJob:
        self._reap()
        job = _load(self.settings, job_id)
        if job is None:
            raise NotFound(f"no ingest job with id {job_id!r}")
        if job.state is JobState.RUNNING and job_id not in self._running:
            job.state, job.error = JobState.FAILED, "the job was interrupted (the server restarted while it ran)"
            job.finished = job.finished or _now()
            _save(self.settings, job)
        return job

    @travels
    async def recent(self, limit: int = 50) -> list[IngestJob]:
        self._reap()
        files = sorted(_jobs_folder(self.settings).glob("ingest-*.json"), reverse=True)[:limit]
        return [IngestJob.model_validate_json(f.read_text(encoding="utf-8")) for f in files]
