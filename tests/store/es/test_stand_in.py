"""The fault server's model of what the reindex relies on, checked against Elasticsearch's documented behaviour
through the real client: if the stand-in were more lenient than a cluster, the reindex tests would prove less."""

from __future__ import annotations

import pytest
from elasticsearch import ApiError, Elasticsearch

from testkit.elasticsearch.fault_server import FaultServer


@pytest.fixture
def es():
    with FaultServer() as srv:
        client = Elasticsearch(srv.url, request_timeout=5, max_retries=0)
        client.indices.create(index="books-v1", body={"settings": {"refresh_interval": "-1",
                                                                   "number_of_replicas": 1},
                                                      "aliases": {"books": {}}})
        yield srv, client
        client.close()


def _item(client: Elasticsearch, action: dict, source: dict | None = None) -> dict:
    lines = [action] + ([source] if source is not None else [])
    return next(iter(client.bulk(operations=lines)["items"][0].values()))


def test_external_versions_only_move_forward_and_deletes_leave_tombstones(es):
    _, client = es
    index = {"index": {"_index": "books-v1", "_id": "a", "version": 5, "version_type": "external"}}
    assert _item(client, index, {"t": 1})["_version"] == 5
    older = _item(client, {"index": {**index["index"], "version": 4}}, {"t": 0})
    assert older["status"] == 409 and older["error"]["type"] == "version_conflict_engine_exception"
    same = _item(client, index, {"t": 1})
    assert same["status"] == 409  # external: strictly greater
    gone = _item(client, {"delete": {"_index": "books-v1", "_id": "a", "version": 7, "version_type": "external"}})
    assert gone["result"] == "deleted"
    late = _item(client, {"index": {**index["index"], "version": 6}}, {"t": 2})
    assert late["status"] == 409  # an older copy arriving after the delete stays out
    internal = _item(client, {"index": {"_index": "books-v1", "_id": "a"}}, {"t": 3})
    assert internal["_version"] == 8  # internal versioning continues after the tombstone


def test_a_delete_of_a_missing_document_still_outranks_an_older_copy(es):
    _, client = es
    missing = _item(client, {"delete": {"_index": "books-v1", "_id": "b", "version": 3, "version_type": "external"}})
    assert missing["status"] == 404 and missing["result"] == "not_found"
    copy = _item(client, {"index": {"_index": "books-v1", "_id": "b", "version": 2, "version_type": "external"}},
                 {"t": 1})
    assert copy["status"] == 409


def test_with_refresh_off_writes_are_invisible_to_searches_until_a_refresh(es):
    _, client = es
    _item(client, {"index": {"_index": "books", "_id": "c", "require_alias": True}}, {"t": 1})
    assert client.count(index="books")["count"] == 0
    assert client.mget(index="books", body={"ids": ["c"]})["docs"][0]["found"]  # get is real-time
    client.indices.refresh(index="books")
    assert client.count(index="books")["count"] == 1


def test_require_alias_refuses_a_concrete_or_missing_name(es):
    srv, client = es
    for target in ("books-v1", "nothing"):
        item = _item(client, {"index": {"_index": target, "_id": "d", "require_alias": True}}, {"t": 1})
        assert item["status"] == 404 and "[require_alias] request flag is [true]" in item["error"]["reason"]
    assert "nothing" not in srv.state.indices


def test_health_is_yellow_with_unallocatable_replicas_and_answers_408_when_waiting_for_green(es):
    srv, client = es
    srv.state.data_nodes = 1
    health = client.options(ignore_status=408).cluster.health(index="books-v1", wait_for_status="green",
                                                                 timeout="1s")
    assert health.meta.status == 408 and health["timed_out"] and health["status"] == "yellow"
    rows = client.cat.shards(index="books-v1", format="json")
    assert [(r["prirep"], r["state"]) for r in rows] == [("p", "STARTED"), ("r", "UNASSIGNED")]
    srv.state.data_nodes = 2
    assert client.cluster.health(index="books-v1", wait_for_status="green")["status"] == "green"
    srv.state.data_nodes = 0  # no node for the primary either: red, and without ignore_status an error
    with pytest.raises(ApiError) as caught:
        client.cluster.health(index="books-v1", wait_for_status="yellow", timeout="1s")
    assert caught.value.meta.status == 408 and caught.value.body["status"] == "red"
