"""Blue/green reindexing for the Elasticsearch store.

``begin`` creates the next version of each index (bulk-friendly settings, no alias) and points the store's writes
at it; an ingest job in another process does the same with ``VIDSEARCH_ES__WRITE_VERSIONS``. ``copy_live`` fills
it from the serving version through a point in time (for a mapping, analysis or ``index_options`` change: the
documents are re-checked against the new version, so vectors from another encoder are reported, not copied).
``finish`` restores serving settings and swaps every alias; ``rollback`` swaps one back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vidsearch.errors import StoreError
from vidsearch.schema import IndexName
from vidsearch.store.base import WriteReport
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from vidsearch.store.elasticsearch.indices import IndexVersion
from vidsearch.store.elasticsearch.mappings import create_body

log = logging.getLogger(__name__)

Transform = Callable[[str, dict[str, Any]], dict[str, Any] | None]  # (id, body) → new body, or None to drop


def begin(store: ElasticsearchStore, encoders: Mapping[str, Mapping[str, Any]],
          indices: Iterable[IndexName] = tuple(IndexName)) -> dict[IndexName, IndexVersion]:
    """New versions, recording ``encoders``; this store's writes go to them from now on."""
    store.cluster_info()
    started: dict[IndexName, IndexVersion] = {}
    for index in map(IndexName, indices):
        building = [v for v in store.versions.list(index) if v.state == "building"]
        if building:
            raise StoreError(f"{building[-1].name} is already being built: finish it (vidsearch es reindex-swap) "
                             "or delete it first")
        version = store.versions.begin(index, lambda index=index: create_body(index, encoders, store.settings,
                                                                               building=True))
        store.settings.write_versions[index.value] = version.version
        started[index] = version
        log.info("reindex: building %s (writes go there; searches stay on %s)", version.name,
                 store.read_target(index))
    store.forget_meta()
    return started


def copy_live(store: ElasticsearchStore, index: IndexName, transform: Transform | None = None,
              batch_size: int = 1000) -> WriteReport:
    """Every document of the serving version into the building one (vectors included)."""
    index = IndexName(index)
    if index.value not in store.settings.write_versions:
        raise StoreError(f"no version of {store.read_target(index)} is being built: run begin first")

    def documents() -> Iterable[tuple[str, dict[str, Any]]]:
        for doc_id, body in store.scan(index, batch_size=batch_size, with_vectors=True):
            new = transform(doc_id, body) if transform is not None else body
            if new is not None:
                yield doc_id, new

    return store.upsert(index, documents())


def finish(store: ElasticsearchStore, indices: Iterable[IndexName] | None = None, force: bool = False
           ) -> dict[IndexName, tuple[str | None, str]]:
    """Serve the building versions: settings restored, refreshed, checked, aliases swapped (one by one, each
    atomic; a refusal leaves that index and the ones after it on their old version)."""
    store.cluster_info()
    chosen = list(map(IndexName, indices)) if indices is not None else [
        IndexName(name) for name in store.settings.write_versions
    ] or [i for i in IndexName if any(v.state == "building" for v in store.versions.list(i))]
    swapped: dict[IndexName, tuple[str | None, str]] = {}
    for index in chosen:
        version = store.settings.write_versions.get(index.value)
        swapped[index] = store.versions.finish(index, version, force=force)
        store.settings.write_versions.pop(index.value, None)
    store.forget_meta()
    return swapped


def rollback(store: ElasticsearchStore, index: IndexName, version: int | None = None) -> tuple[str, str]:
    store.cluster_info()
    moved = store.versions.rollback(IndexName(index), version)
    store.forget_meta()
    return moved
