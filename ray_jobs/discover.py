"""Which files an ingest covers: the paths given, folders walked recursively for video extensions, and objects
under bucket prefixes (``s3://bucket/prefix/``), listed in parallel Ray tasks and streamed."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ray

from vidsearch.sources.objects import (
    ListingPage,
    ObjectEntry,
    is_object_uri,
    list_pages,
    local_path,
    object_entry,
)
from vidsearch.sources.settings import SourceSettings


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths that do not exist, prefixes with nothing under them
    ignored: int = 0  # non-video files (and objects) inside the folders (and prefixes) walked


def discover(paths: list[str | Path], extensions: tuple[str, ...]) -> Discovery:
    """Files named directly are always tried (ffprobe decides); inside folders only video extensions count."""
    found = Discovery()
    seen: set[Path] = set()
    wanted = {e.lower() for e in extensions}

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            found.files.append(path)

    for raw in paths:
        path = Path(raw).expanduser()
        if not os.path.lexists(path):
            found.missing.append(str(raw))
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    child = Path(root) / name
                    if child.suffix.lower() in wanted and not name.startswith("."):
                        add(child)
                    else:
                        found.ignored += 1
        else:
            add(path)
    return found


def split_inputs(paths: list[str | Path]) -> tuple[list[str], list[str]]:
    """(local paths — ``file://`` URIs made plain paths — , object URIs such as ``s3://bucket/prefix/``)."""
    local, remote = [], []
    for raw in paths:
        (remote if is_object_uri(raw) else local).append(raw if is_object_uri(raw) else local_path(raw))
    return local, remote


def _list_prefix(uri: str, sources_json: str, extensions: tuple[str, ...]) -> Iterator[ListingPage]:
    """Ray task body: one sub-prefix listed recursively, a page at a time (a streaming generator)."""
    sources = SourceSettings.model_validate_json(sources_json)
    yield from list_pages(uri, sources, extensions, recursive=True)


def _unwrap(exc: ray.exceptions.RayTaskError) -> Exception:
    cause = exc.cause
    return cause if isinstance(cause, Exception) else exc


def discover_objects(uri: str, sources: SourceSettings, extensions: tuple[str, ...],
                     found: Discovery) -> Iterator[ObjectEntry]:
    """Video objects under a URI, streamed: the top level is listed here, each sub-prefix in its own Ray task
    (at most ``sources.list_tasks`` at once, each holding a few pages), and entries are yielded as pages arrive,
    so memory stays flat however many keys a prefix holds. A URI naming one object yields it whatever its
    extension (ffprobe decides). Listing failures raise ``ObjectStoreError``; a prefix with nothing under it is
    recorded in ``found.missing``."""
    single = object_entry(uri, sources)
    if single is not None:
        yield single
        return
    prefixes: list[str] = []
    seen_any = False
    for page in list_pages(uri, sources, extensions, recursive=False):
        prefixes.extend(page.prefixes)
        found.ignored += page.ignored
        seen_any = seen_any or bool(page.entries or page.prefixes or page.ignored)
        yield from page.entries
    if not seen_any:
        found.missing.append(uri)
        return
    lister = ray.remote(num_cpus=0.1, num_returns="streaming", _generator_backpressure_num_objects=4,
                        scheduling_strategy="SPREAD")(_list_prefix)
    sources_json = sources.model_dump_json()
    pending = deque(sorted(prefixes))
    running: deque = deque()
    while pending or running:
        while pending and len(running) < sources.list_tasks:
            running.append(lister.remote(pending.popleft(), sources_json, extensions))
        try:
            for ref in running.popleft():
                page: ListingPage = ray.get(ref)
                found.ignored += page.ignored
                yield from page.entries
        except ray.exceptions.RayTaskError as exc:
            raise _unwrap(exc) from None
