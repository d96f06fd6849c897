"""Blue/green reindexing: a new version fills while the alias serves the old one, then one atomic swap.

Run through the real client path against the fault server, which keeps aliases, settings and ``_meta`` like a
cluster does (it applies an ``_aliases`` call all-or-nothing and honours ``must_exist``).
"""

from __future__ import annotations

import pytest

from tests.store.es.sample import ENCODERS, es_settings, segment, stored_ids, unit_vectors
from vidsearch.errors import NotFound, StoreError
from vidsearch.schema import IndexName
from vidsearch.store.elasticsearch import reindex
from vidsearch.store.elasticsearch.backend import ElasticsearchStore
from testkit.elasticsearch.fault_server import FaultServer

SEG = IndexName.SEGMENTS


@pytest.fixture
def live(tmp_path):
    """A store whose segments v1 holds 20 documents with vectors, behind the alias."""
    with FaultServer() as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path))
        store.ensure_indices(ENCODERS)
        vectors = unit_vectors(20)
        store.upsert(SEG, [segment(i, vector=vectors[i]) for i in range(20)])
        yield srv, store
        store.close()


def _aliases(srv: FaultServer) -> dict[str, set[str]]:
    return {name: index.aliases for name, index in srv.state.indices.items() if index.aliases}


def test_a_new_version_fills_with_bulk_settings_while_the_alias_serves_the_old(live, tmp_path):
    srv, store = live
    started = reindex.begin(store, ENCODERS, [SEG])
    v2 = srv.state.indices["vidsearch-segments-v2"]
    assert started[SEG].name == "vidsearch-segments-v2"
    assert v2.settings["refresh_interval"] == "-1" and v2.settings["number_of_replicas"] == 0
    assert v2.mappings["_meta"]["vidsearch"]["state"] == "building"
    assert _aliases(srv)["vidsearch-segments-v1"] == {"vidsearch-segments"} and not v2.aliases

    store.upsert(SEG, [segment(100)])  # this store writes to v2 now; searches still read v1
    worker = ElasticsearchStore(es_settings(srv.url, tmp_path, write_versions={"segments": 2}))
    worker.upsert(SEG, [segment(101)])  # an ingest job pointed at the new version
    assert set(v2.docs) == {"v1.s00100", "v1.s00101"}
    assert store.count(SEG) == 20


def test_finish_restores_serving_settings_and_swaps_in_one_atomic_call(live):
    srv, store = live
    reindex.begin(store, ENCODERS, [SEG])
    report = reindex.copy_live(store, SEG)
    assert report.written == 20 and not report.failed
    srv.clear_requests()
    swapped = reindex.finish(store)
    assert swapped == {SEG: ("vidsearch-segments-v1", "vidsearch-segments-v2")}
    v2 = srv.state.indices["vidsearch-segments-v2"]
    assert v2.settings["refresh_interval"] == "1s" and v2.settings["number_of_replicas"] == 1
    alias_calls = [r.body for r in srv.requests if r.path == "/_aliases"]
    assert alias_calls == [{"actions": [
        {"remove": {"index": "vidsearch-segments-v1", "alias": "vidsearch-segments", "must_exist": True}},
        {"add": {"index": "vidsearch-segments-v2", "alias": "vidsearch-segments"}},
    ]}]
    untouched = [i.value for i in IndexName if i is not SEG]  # every other index stays on v1
    assert _aliases(srv) == {f"vidsearch-{i}-v1": {f"vidsearch-{i}"} for i in untouched} | {
        "vidsearch-segments-v2": {"vidsearch-segments"}}
    states = {v.name: v.state for v in store.versions.list(SEG)}
    assert states == {"vidsearch-segments-v1": "retired", "vidsearch-segments-v2": "live"}
    assert store.count(SEG) == 20 and "text_vec" in store.get(SEG, ["v1.s00003"], with_vectors=True)["v1.s00003"]
    store.upsert(SEG, [segment(200)])  # writes follow the alias again
    assert "v1.s00200" in v2.docs


def test_a_new_version_missing_documents_is_not_swapped_unless_forced(live):
    srv, store = live
    reindex.begin(store, ENCODERS, [SEG])
    store.upsert(SEG, [segment(i) for i in range(10)])  # half of what is serving
    with pytest.raises(StoreError, match=r"10 documents, vidsearch-segments-v1 20 \(< 90%\): alias not moved"):
        reindex.finish(store)
    assert _aliases(srv)["vidsearch-segments-v1"] == {"vidsearch-segments"}
    reindex.finish(store, force=True)
    assert _aliases(srv)["vidsearch-segments-v2"] == {"vidsearch-segments"}


def test_rollback_moves_the_alias_back_atomically(live):
    srv, store = live
    reindex.begin(store, ENCODERS, [SEG])
    reindex.copy_live(store, SEG)
    reindex.finish(store)
    assert reindex.rollback(store, SEG) == ("vidsearch-segments-v2", "vidsearch-segments-v1")
    assert _aliases(srv)["vidsearch-segments-v1"] == {"vidsearch-segments"}
    assert "vidsearch-segments-v2" not in _aliases(srv)
    with pytest.raises(NotFound, match="no version of vidsearch-segments older than v1"):
        reindex.rollback(store, SEG)
    assert reindex.rollback(store, SEG, version=2) == ("vidsearch-segments-v1", "vidsearch-segments-v2")


def test_prune_never_deletes_the_live_version(live):
    srv, store = live
    for _ in range(2):
        reindex.begin(store, ENCODERS, [SEG])
        reindex.copy_live(store, SEG)
        reindex.finish(store)
    assert [v.name for v in store.versions.list(SEG)] == [f"vidsearch-segments-v{n}" for n in (1, 2, 3)]
    assert store.versions.prune(SEG, keep=2) == ["vidsearch-segments-v1"]
    assert store.versions.prune(SEG, keep=1) == ["vidsearch-segments-v2"]
    assert store.versions.prune(SEG, keep=1) == []
    assert stored_ids(srv, SEG) and store.count(SEG) == 20


def test_a_second_reindex_is_refused_while_one_is_building(live):
    _, store = live
    reindex.begin(store, ENCODERS, [SEG])
    with pytest.raises(StoreError, match=r"reindex [0-9a-f]{12} is already building vidsearch-segments-v2 \(started "
                                         r".* by .* pid \d+\)"):
        reindex.begin(store, ENCODERS, [SEG])


def test_copying_into_a_version_with_other_encoders_reports_every_incompatible_document(live):
    srv, store = live
    store.upsert(SEG, [segment(50)])  # no vector: copies fine
    reindex.begin(store, {"text": {"id": "wider-encoder", "dims": 16}}, [SEG])
    report = reindex.copy_live(store, SEG)
    assert report.written == 1
    assert len(report.failed) == 20 and all("expected (16,)" in reason for _, reason in report.failed)


def test_a_swap_raced_by_another_process_fails_instead_of_doubling_the_alias(live):
    srv, store = live
    stale_live = store.versions.live(SEG)  # this process saw v1 serving...
    reindex.begin(store, ENCODERS, [SEG])
    reindex.copy_live(store, SEG)
    reindex.finish(store)  # ...while another moved the alias to v2
    reindex.begin(store, ENCODERS, [SEG])
    v3 = store.versions.list(SEG)[-1]
    with pytest.raises(StoreError, match="aliases_not_found_exception"):
        store.versions.swap(SEG, v3, stale_live)
    assert _aliases(srv)["vidsearch-segments-v2"] == {"vidsearch-segments"}
    assert not srv.state.indices["vidsearch-segments-v3"].aliases
