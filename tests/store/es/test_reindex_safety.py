"""The reindex's safety net, tried as an operator meets it: build-mode request counts, a reindex started twice,
killed mid-copy, a server-side task outliving its client, the alias gone, the cluster gone during the swap,
replicas that cannot be allocated, and busy searches inside one ``_msearch``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.store.es.sample import ENCODERS, es_settings, segment, stored_ids, unit_vectors, video_body
from testkit.elasticsearch.fault_server import FaultServer
from vidsearch.cli.es import app
from vidsearch.errors import StoreError
from vidsearch.schema import IndexName
from vidsearch.store.base import TextRetriever, VectorRetriever, VideoBundle
from vidsearch.store.elasticsearch import reindex
from vidsearch.store.elasticsearch.backend import ElasticsearchStore

SEG = IndexName.SEGMENTS


@pytest.fixture
def live(tmp_path):
    """A recording fault server whose segments v1 holds 40 documents (4 videos) behind the alias."""
    with FaultServer(record=True) as srv:
        store = ElasticsearchStore(es_settings(srv.url, tmp_path))
        store.ensure_indices(ENCODERS)
        vectors = unit_vectors(10)
        for v in range(4):
            store.commit_video(VideoBundle(f"v{v}", video_body(f"v{v}"), {
                SEG: [segment(i, f"v{v}", vector=vectors[i]) for i in range(10)]}, frozenset({SEG})))
        yield srv, store
        store.close()


def _aliases(srv: FaultServer) -> dict[str, set[str]]:
    return {name: set(index.aliases) for name, index in srv.state.indices.items() if index.aliases}


def _cli(srv: FaultServer, tmp_path, *args: str):
    env = {"VIDSEARCH_ES_URL": srv.url, "VIDSEARCH_DATA_DIR": str(tmp_path / "cli"), "VIDSEARCH_LOG_LEVEL": "WARNING",
           "VIDSEARCH_ES__INITIAL_BACKOFF_S": "0.005", "VIDSEARCH_ES__BUILD_CHECK_S": "0.05",
           "VIDSEARCH_ES__REINDEX_POLL_S": "0.01"}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_build_mode_writes_refresh_once_per_build_and_still_drop_stale_documents(live, tmp_path):
    srv, operator = live
    reindex.begin(operator, ENCODERS, list(IndexName))
    job = ElasticsearchStore(es_settings(srv.url, tmp_path, write_versions={i.value: 2 for i in IndexName}))
    vectors = unit_vectors(10)
    srv.clear_requests()
    for v in range(20):  # an ingest job re-analysing 20 videos into the new versions
        job.commit_video(VideoBundle(f"v{v}", video_body(f"v{v}"), {
            SEG: [segment(i, f"v{v}", vector=vectors[i]) for i in range(10)]}, frozenset({SEG})))
    for v in range(4):  # re-done with fewer segments: 6 of each go stale
        job.commit_video(VideoBundle(f"v{v}", video_body(f"v{v}"), {
            SEG: [segment(i, f"v{v}", vector=vectors[i]) for i in range(4)]}, frozenset({SEG})))
    during = [r.path for r in srv.requests]
    assert not [p for p in during if p.endswith(("/_refresh", "/_delete_by_query"))], during
    assert sum(p == "/_bulk" for p in during) == 2 * 24  # documents (+ ledger entry), then the checkpoint
    srv.clear_requests()
    reindex.finish(operator)
    job.close()
    refreshes = [r for r in srv.requests if r.path.endswith("/_refresh")]
    for index in IndexName:  # the one refresh per build; the segments build also removes the stale ones once
        name = f"vidsearch-{index.value}-v2"
        assert sum(name in r.path.split("/")[1].split(",") for r in refreshes) == 1, [r.path for r in refreshes]
    removals = [r for r in srv.requests if r.path == "/vidsearch-segments-v2/_delete_by_query"]
    assert len(removals) == 1 and removals[0].params.get("refresh") == "true"
    segments = stored_ids(srv, SEG)
    assert len(segments) == 16 * 10 + 4 * 4
    assert {f"v0.s{i:05d}" for i in range(4)} <= segments and "v0.s00004" not in segments


def test_every_write_through_the_alias_requires_the_alias(live):
    srv, store = live
    srv.clear_requests()
    store.upsert(SEG, [segment(100)])
    store.commit_video(VideoBundle("v9", video_body("v9"), {SEG: [segment(0, "v9")]}, frozenset({SEG})))
    actions = [line for r in srv.requests if r.path == "/_bulk" for line in r.body
               if isinstance(line.get("index"), dict) and "_id" in line["index"]]
    assert actions and all(a["index"]["require_alias"] is True for a in actions)


def test_a_missing_alias_fails_writes_clearly_and_creates_nothing(live, tmp_path):
    srv, store = live
    srv.state.indices["vidsearch-segments-v1"].aliases.clear()  # an operator deleted the alias
    report = store.upsert(SEG, [segment(100)])
    assert report.failed and "[require_alias] request flag is [true]" in report.failed[0][1]
    assert "vidsearch-segments" not in srv.state.indices  # never auto-created as a plain index
    with pytest.raises(StoreError, match="points at no index .* vidsearch es rollback --index segments --to N"):
        reindex.begin(store, ENCODERS, [SEG])
    result = _cli(srv, tmp_path, "rollback", "--index", "segments", "--to", "1")
    assert "vidsearch-segments: — → vidsearch-segments-v1" in result.output
    assert not store.upsert(SEG, [segment(100)]).failed


def test_a_reindex_killed_mid_copy_never_swaps_and_resumes_or_restarts(live, tmp_path):
    srv, store = live
    reindex.begin(store, ENCODERS, [SEG])
    store.settings.bulk_chunk_size = 5
    srv.inject(script=[None] + ["drop"] * 40, paths=("/_bulk",))  # the copy dies after its first chunk
    with pytest.raises(StoreError):
        reindex.copy_live(store, SEG, batch_size=5)
    srv.inject()
    first = store.versions.list(SEG)[-1]
    assert first.meta["copy"] == "copying"
    result = _cli(srv, tmp_path, "reindex-swap", "--index", "segments")
    assert result.exit_code == 2 and "did not complete" in result.output
    result = _cli(srv, tmp_path, "reindex", "--index", "segments")
    assert result.exit_code == 2 and f"reindex {first.meta['reindex_id']} is already building" in result.output
    assert _aliases(srv)["vidsearch-segments-v1"] == {"vidsearch-segments"}
    result = _cli(srv, tmp_path, "reindex", "--index", "segments", "--resume", "--copy", "client")
    assert result.exit_code == 0, result.output
    assert "vidsearch-segments-v1 → vidsearch-segments-v2" in result.output
    assert store.versions.doc_count("vidsearch-segments-v2") == 40
    reindex.begin(store, ENCODERS, [SEG])  # killed again, this time started over
    result = _cli(srv, tmp_path, "reindex", "--index", "segments", "--restart", "--copy", "client")
    assert "dropped vidsearch-segments-v3" in result.output and "v2 → vidsearch-segments-v3" in result.output
    assert store.versions.doc_count("vidsearch-segments-v3") == 40


def test_a_server_side_copy_outlives_its_client_and_restarts_if_the_cluster_lost_it(live, tmp_path):
    srv, store = live
    reindex.begin(store, ENCODERS, [SEG])
    store.settings.reindex_batch_size = 3
    polls: list[str] = []

    def crash(line: str) -> None:
        polls.append(line)
        raise KeyboardInterrupt  # the operator's terminal closed

    with pytest.raises(KeyboardInterrupt):
        reindex.copy_server_side(store, SEG, progress=crash)
    task = store.versions.list(SEG)[-1].meta["copy_task"]
    assert task in srv.state.tasks and "3/40 documents" in polls[0]
    again = ElasticsearchStore(es_settings(srv.url, tmp_path))
    reindex.resume(again, SEG)
    result = reindex.copy_server_side(again, SEG)  # re-attached: no second task
    assert result["created"] == 40 and sum(r.path == "/_reindex" for r in srv.requests) == 1
    reindex.finish(again)
    assert _aliases(srv)["vidsearch-segments-v2"] == {"vidsearch-segments"}

    reindex.begin(again, ENCODERS, [SEG])
    again.settings.reindex_batch_size = 3
    with pytest.raises(KeyboardInterrupt):
        reindex.copy_server_side(again, SEG, progress=crash)
    srv.state.tasks.clear()  # the node running the task restarted
    result = reindex.copy_server_side(again, SEG)
    assert (result["created"], result["version_conflicts"]) == (37, 3)  # the 3 copied before: already there
    assert sum(r.path == "/_reindex" for r in srv.requests) == 3
    assert len(srv.state.indices["vidsearch-segments-v3"].docs) == 40
    again.close()


def test_the_cluster_going_away_during_the_swap_leaves_a_state_the_rerun_completes(live, tmp_path):
    srv, store = live
    reindex.begin(store, ENCODERS, [SEG])
    reindex.copy_live(store, SEG)
    srv.inject(script=["drop"] * 20, paths=("/_aliases",))  # gone before the swap is applied
    with pytest.raises(StoreError, match="unreachable while moving vidsearch-segments"):
        reindex.finish(store)
    assert _aliases(srv)["vidsearch-segments-v1"] == {"vidsearch-segments"}
    srv.inject(script=["drop_after"] * 20, paths=("/_aliases",))  # applied, then the answer is lost
    with pytest.raises(StoreError):
        reindex.finish(store)
    assert _aliases(srv)["vidsearch-segments-v2"] == {"vidsearch-segments"}  # moved, atomically, once
    assert "vidsearch-segments-v1" not in _aliases(srv)
    srv.inject()
    result = _cli(srv, tmp_path, "reindex-swap", "--index", "segments")
    assert "vidsearch-segments-v1 → vidsearch-segments-v2" in result.output
    assert {v.name: v.state for v in store.versions.list(SEG)} == {
        "vidsearch-segments-v1": "retired", "vidsearch-segments-v2": "live"}


def test_the_swap_waits_for_green_and_names_the_unassigned_shards(live, tmp_path):
    srv, store = live
    srv.state.data_nodes = 1  # one replica per shard cannot be placed
    reindex.begin(store, ENCODERS, [SEG])
    reindex.copy_live(store, SEG)
    with pytest.raises(StoreError, match=r"vidsearch-segments-v2 is yellow, not green, after 300s; not allocated: "
                                         r"vidsearch-segments-v2 shard 0 replica UNASSIGNED \(INDEX_CREATED\)"):
        reindex.finish(store)
    assert _aliases(srv)["vidsearch-segments-v1"] == {"vidsearch-segments"}
    health = [r for r in srv.requests if r.path.startswith("/_cluster/health")][-1]
    assert health.params["wait_for_status"] == "green"
    store.settings.swap_wait_for = "yellow"  # the operator accepts serving without replicas for now
    reindex.finish(store)
    assert _aliases(srv)["vidsearch-segments-v2"] == {"vidsearch-segments"}


def test_busy_searches_inside_one_msearch_are_retried_and_a_bad_one_is_not(live):
    srv, store = live
    retrievers = [TextRetriever("bm25", "scene", ("ocr_text.en",), k=5),
                  VectorRetriever("vec", "text_vec", unit_vectors(10)[0], k=5)]
    srv.inject(search_item_script=[429, 503, None, 429])
    found = store.search(SEG, retrievers)
    assert len(found["bm25"]) == 5 and len(found["vec"]) == 5
    assert srv.counters.injected["search_item_429"] == 2 and srv.counters.injected["search_item_503"] == 1
    msearches = [r for r in srv.requests if r.path.endswith("/_msearch")]
    assert [len(r.body) // 2 for r in msearches[-3:]] == [2, 2, 1]  # only the busy searches are sent again
    srv.inject(search_item_script=[400])
    with pytest.raises(StoreError, match="retriever 'bm25' failed"):
        store.search(SEG, retrievers)
