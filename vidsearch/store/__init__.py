"""Index backends behind one protocol (``base.IndexBackend``): the embedded store and Elasticsearch."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidsearch.config import Settings
    from vidsearch.store.base import IndexBackend


def open_store(settings: Settings) -> IndexBackend:
    """The configured backend: Elasticsearch when ``es_url`` is set (or forced), else the embedded store."""
    from vidsearch.config import StoreBackend

    if settings.store_backend is StoreBackend.ELASTICSEARCH:
        from vidsearch.store.elasticsearch.backend import ElasticsearchStore

        return ElasticsearchStore(settings)
    from vidsearch.store.embedded.store import EmbeddedStore

    return EmbeddedStore(settings.store_dir, settings.store)
