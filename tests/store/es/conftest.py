"""Fixtures for the Elasticsearch backend's client-path tests: a fault server on 127.0.0.1 and a store on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.store.es.sample import ENCODERS, es_settings
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from testkit.elasticsearch.fault_server import FaultServer


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A fault server that keeps no request log (the contract tests use their own, recording one)."""
    with FaultServer(record=False) as srv:
        yield srv


@pytest.fixture
def recording_server() -> Iterator[FaultServer]:
    with FaultServer(record=True) as srv:
        yield srv


@pytest.fixture
def store_on(tmp_path):
    """store_on(server, **es_settings) → an ElasticsearchStore with the test encoder recorded."""
    opened: list[ElasticsearchStore] = []

    def make(srv: FaultServer, ensure: bool = True, **es: Any) -> ElasticsearchStore:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path, **es))
        opened.append(store)
        if ensure:
            store.ensure_indices(ENCODERS)
        return store

    yield make
    for store in opened:
        store.close()

