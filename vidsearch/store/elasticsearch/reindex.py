"""Blue/green reindexing for the Elasticsearch store, safe while ingest and deletes continue.

``begin`` creates the next version of each index (bulk-friendly settings, no alias, a reindex id in its ``_meta``)
and points this store's writes at it. From then on every writer mirrors what it writes through the alias into it
(``mirror``), so the copy never races ingest: ``copy_live`` (documents re-checked in Python, for a transform or
new encoders) or ``copy_server_side`` (Elasticsearch's own sliced, throttled ``_reindex`` task, when only
mappings/settings change) write with the live versions as external versions. ``finish`` applies the build-mode
ledger after the one refresh, restores serving settings, waits for green and swaps every alias; ``rollback``
swaps one back. A copy that did not complete is never swapped in (unless forced); ``--resume`` copies again
(idempotent: versions decide) or re-attaches to the server-side task.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from elasticsearch import NotFoundError
from elasticsearch.exceptions import GeneralAvailabilityWarning

from vidsearch.errors import StoreError
from vidsearch.schema import IndexName
from vidsearch.store.base import WriteReport
from vidsearch.store.elasticsearch import mirror, queries
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from vidsearch.store.elasticsearch.client import translated
from vidsearch.store.elasticsearch.indices import IndexVersion
from vidsearch.store.elasticsearch.mappings import create_body

log = logging.getLogger(__name__)

Transform = Callable[[str, dict[str, Any]], dict[str, Any] | None]  # (id, body) → new body, or None to drop
Progress = Callable[[str], None]


class ReindexRunning(StoreError):
    """Another reindex is building a version of this index."""


def building(store: ElasticsearchStore, index: IndexName) -> IndexVersion | None:
    found = [v for v in store.versions.list(index) if v.state == "building"]
    return found[-1] if found else None


def _ensure_ledger(store: ElasticsearchStore) -> None:
    name = mirror.ledger_name(store.settings)
    body = {"settings": {"number_of_shards": 1}, "mappings": mirror.LEDGER_MAPPING}
    store.versions.create(name, body)  # False when it exists: fine


def begin(store: ElasticsearchStore, encoders: Mapping[str, Mapping[str, Any]],
          indices: Iterable[IndexName] = tuple(IndexName), copy: str = "pending") -> dict[IndexName, IndexVersion]:
    """New versions, recording ``encoders``; this store's writes go to them from now on. Refuses while another
    reindex builds one (naming it) or while an alias points nowhere."""
    store.cluster_info()
    chosen = list(map(IndexName, indices))
    for index in chosen:
        running = building(store, index)
        if running is not None:
            raise ReindexRunning(
                f"reindex {running.meta.get('reindex_id', '?')} is already building {running.name} (started "
                f"{running.meta.get('created_at', '?')} by {running.meta.get('started_by', '?')}): let it finish, "
                "rerun with --resume to continue it, or --restart to drop it and start over")
        versions = store.versions.list(index)
        if versions and not any(v.live for v in versions):
            raise StoreError(f"{store.read_target(index)} points at no index ({', '.join(v.name for v in versions)} "
                             f"exist): restore it first with vidsearch es rollback --index {index.value} --to N")
    _ensure_ledger(store)
    reindex_id = uuid.uuid4().hex[:12]
    started: dict[IndexName, IndexVersion] = {}
    for index in chosen:
        def body_for(index: IndexName = index) -> dict[str, Any]:
            body = create_body(index, encoders, store.settings, building=True)
            body["mappings"]["_meta"]["vidsearch"].update(
                reindex_id=reindex_id, started_by=f"{socket.gethostname()} pid {os.getpid()}", copy=copy)
            return body
        version = store.versions.begin(index, body_for)
        store.settings.write_versions[index.value] = version.version
        started[index] = version
        log.info("reindex %s: building %s (writes are mirrored there; searches stay on %s)", reindex_id,
                 version.name, store.read_target(index))
    store.forget_meta()
    store.watch.forget()
    return started


def resume(store: ElasticsearchStore, index: IndexName) -> IndexVersion:
    """Point this store's writes at the version a killed reindex left building."""
    found = building(store, index)
    if found is None:
        raise StoreError(f"no version of {store.read_target(index)} is being built: nothing to resume")
    store.settings.write_versions[index.value] = found.version
    store.forget_meta()
    return found


def drop(store: ElasticsearchStore, index: IndexName) -> str | None:
    """Delete the version a reindex left building (never a live one)."""
    found = building(store, index)
    if found is None or found.live:
        return None
    with translated(store.url, f"deleting {found.name}"):
        store.client.indices.delete(index=found.name)
    store.settings.write_versions.pop(index.value, None)
    store.watch.forget()
    return found.name


def _set_copy(store: ElasticsearchStore, index: IndexName, **fields: Any) -> IndexVersion:
    target = building(store, index)
    if target is None:
        raise StoreError(f"no version of {store.read_target(index)} is being built: run begin first")
    store.versions.set_meta(target.name, {**target.meta, **fields})
    return target


def wait_for_writers(store: ElasticsearchStore, target: IndexVersion, sleep: Callable[[float], None] = time.sleep
                     ) -> None:
    """Every writer re-reads the versions within ``es.build_check_s``: after this, all of them mirror."""
    created = dt.datetime.fromisoformat(target.meta.get("created_at", "1970-01-01T00:00:00+00:00"))
    grace = 2 * store.settings.build_check_s + 1.0
    left = grace - (dt.datetime.now(dt.UTC) - created).total_seconds()
    if left > 0:
        log.info("reindex: waiting %.1fs until every writer mirrors into %s", left, target.name)
        sleep(left)


def _live_pages(store: ElasticsearchStore, index: IndexName, batch_size: int
                ) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(id, body with vectors, live version) of every serving document, through a point in time."""
    live = store.read_target(index)
    reader = store._reader
    source = queries.source_filter(index, True, store._with_vectors_flag())
    keep_alive = store.settings.scan_keep_alive
    with translated(store.url, f"opening a point in time on {live}"):
        reader.indices.refresh(index=live)  # every write acknowledged so far is in the copy
        pit_id = reader.open_point_in_time(index=live, keep_alive=keep_alive)["id"]
    try:
        after = None
        while True:
            body = {**queries.page_body([], pit_id, keep_alive, batch_size, after, source), "version": True}
            with translated(store.url, f"copying {live}"):
                response = reader.search(body=body)
            pit_id = response.get("pit_id", pit_id)
            hits = response["hits"]["hits"]
            for hit in hits:
                yield hit["_id"], hit.get("_source", {}), int(hit["_version"])
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]
    finally:
        try:
            store.client.close_point_in_time(body={"id": pit_id})
        except Exception as exc:  # noqa: BLE001 - it expires after keep_alive anyway
            log.debug("closing point in time failed: %s", exc)


def copy_live(store: ElasticsearchStore, index: IndexName, transform: Transform | None = None,
              batch_size: int = 1000) -> WriteReport:
    """Every serving document into the version being built, through Python (vectors included), each at its live
    version: a mirrored newer write or delete in the new version wins over the copy."""
    index = IndexName(index)
    if index.value not in store.settings.write_versions:
        raise StoreError(f"no version of {store.read_target(index)} is being built: run begin first")
    target = _set_copy(store, index, copy="copying", copy_path="client")
    wait_for_writers(store, target)
    report = WriteReport()
    versions: dict[str, int] = {}

    def documents() -> Iterator[tuple[str, dict[str, Any]]]:
        for doc_id, body, version in _live_pages(store, index, batch_size):
            new = transform(doc_id, body) if transform is not None else body
            if new is not None:
                versions[doc_id] = version
                yield doc_id, new

    actions = ({"_op_type": "index", "_index": target.name, "_id": doc_id, "_source": body,
                "version": versions.pop(doc_id), "version_type": "external"}
               for doc_id, body in store._checked(index, documents(), report))
    report.merge(store._write(actions, report))
    if not report.failed:
        _set_copy(store, index, copy="copied")
    return report


def copy_server_side(store: ElasticsearchStore, index: IndexName, progress: Progress | None = None,
                     sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Elasticsearch copies the serving version itself (``_reindex``: sliced, throttled, external versions),
    while this polls the task; the task id is kept in the new version's ``_meta``, so a rerun after a client
    crash re-attaches to it (or starts it again if the cluster lost it). For documents that need no change."""
    index = IndexName(index)
    target = building(store, index)
    if target is None or index.value not in store.settings.write_versions:
        raise StoreError(f"no version of {store.read_target(index)} is being built: run begin first")
    live = store.versions.live(index)
    if live is None:
        raise StoreError(f"{store.read_target(index)} points at no index: nothing to copy")
    task_id = target.meta.get("copy_task")
    if task_id is None:
        wait_for_writers(store, target)
        task_id = _start_task(store, live.name, target.name)
        target = _set_copy(store, index, copy="copying", copy_path="server", copy_task=task_id)
    s = store.settings
    while True:
        with translated(store.url, f"polling reindex task {task_id}"):
            try:
                with warnings.catch_warnings():  # the task API is GA on the server; the client still says preview
                    warnings.simplefilter("ignore", GeneralAvailabilityWarning)
                    answer = store._reader.tasks.get(task_id=task_id)
            except NotFoundError:  # the node running it restarted: start again (versions make it idempotent)
                log.warning("reindex task %s is gone; starting the copy into %s again", task_id, target.name)
                task_id = _start_task(store, live.name, target.name)
                target = _set_copy(store, index, copy_task=task_id)
                continue
        status = answer.get("task", {}).get("status", {})
        done = sum(int(status.get(k, 0)) for k in ("created", "updated", "version_conflicts"))
        if progress is not None:
            progress(f"{target.name}: {done}/{status.get('total', '?')} documents ({task_id})")
        if answer.get("completed"):
            break
        sleep(s.reindex_poll_s)
    response = answer.get("response", {})
    failures = response.get("failures") or answer.get("error")
    if failures:
        raise StoreError(f"reindex task {task_id} into {target.name} failed: {str(failures)[:500]}; alias not moved")
    _set_copy(store, index, copy="copied", copy_task=None)
    return response


def _start_task(store: ElasticsearchStore, source: str, dest: str) -> str:
    s = store.settings
    body = {"source": {"index": source, "size": s.reindex_batch_size},
            "dest": {"index": dest, "version_type": "external"}, "conflicts": "proceed"}
    with translated(store.url, f"starting _reindex {source} → {dest}"):
        store.client.indices.refresh(index=source)
        answer = store.client.reindex(body=body, wait_for_completion=False, slices=s.reindex_slices,
                                      requests_per_second=s.reindex_requests_per_second)
    log.info("reindex: task %s copies %s into %s", answer["task"], source, dest)
    return str(answer["task"])


def _prepare(store: ElasticsearchStore) -> Callable[[IndexVersion], None]:
    """Before a swap: the build's one refresh, the build-mode ledger applied, an optional force-merge."""
    def prepare(target: IndexVersion) -> None:
        ledger = mirror.ledger_name(store.settings)
        with translated(store.url, f"refreshing {target.name}"):
            store.client.indices.refresh(index=f"{target.name},{ledger}", ignore_unavailable=True)
        entries = mirror.ledger_entries(store.client, store.url, store.settings, target.name)
        if entries:
            mirror.apply_ledger(store.client, store.url, store.settings, target.name, entries)
        if store.settings.force_merge_segments is not None:
            with translated(store.url, f"force-merging {target.name}"):
                store.client.options(request_timeout=3600).indices.forcemerge(
                    index=target.name, max_num_segments=store.settings.force_merge_segments)
    return prepare


def finish(store: ElasticsearchStore, indices: Iterable[IndexName] | None = None, force: bool = False
           ) -> dict[IndexName, tuple[str | None, str]]:
    """Serve the building versions: prepared, settings restored, green, checked, aliases swapped (one by one,
    each atomic; a refusal leaves that index and the ones after it on their old version)."""
    store.cluster_info()
    chosen = list(map(IndexName, indices)) if indices is not None else [
        IndexName(name) for name in store.settings.write_versions
    ] or [i for i in IndexName if building(store, i) is not None]
    swapped: dict[IndexName, tuple[str | None, str]] = {}
    for index in chosen:
        version = store.settings.write_versions.get(index.value)
        swapped[index] = store.versions.finish(index, version, force=force, prepare=_prepare(store))
        store.settings.write_versions.pop(index.value, None)
    store.forget_meta()
    store.watch.forget()
    return swapped


def rollback(store: ElasticsearchStore, index: IndexName, version: int | None = None) -> tuple[str | None, str]:
    store.cluster_info()
    moved = store.versions.rollback(IndexName(index), version)
    store.forget_meta()
    store.watch.forget()
    return moved
