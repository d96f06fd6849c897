"""The Elasticsearch edit log: one plain index ``<prefix>-edits`` (mapping ``es_mappings/v1/edits.json``).

It is deliberately outside the aliased, versioned indices that ``reindex`` rebuilds blue/green: a rebuild never
creates, copies or drops it, so edits outlive every rebuild, and the overlay applies them to what the rebuild
writes. Record ids are ``target:target_id:v<version>`` written with ``op_type=create``, so of two concurrent
writers of the same version Elasticsearch accepts one and answers the other 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import es_mappings
from vidsearch.errors import StoreError
from vidsearch.store.base import EditRecordTaken, edit_seq
from vidsearch.store.elasticsearch.client import translated

if TYPE_CHECKING:
    from vidsearch.store.elasticsearch.backend import ElasticsearchStore

_MARKABLE = frozenset({"review", "machine_now", "note"})
_PAGE = 10_000  # the most records one query returns (index.max_result_window)


def edits_index_body(settings) -> dict[str, Any]:
    body = es_mappings.index_body("edits")
    if settings.number_of_replicas is not None:
        body["settings"]["number_of_replicas"] = settings.number_of_replicas
    return body


def _term(name: str, value: Any) -> dict[str, Any]:
    return {"term": {name: {"value": value}}}


class ElasticsearchEditLog:
    def __init__(self, store: ElasticsearchStore) -> None:
        self.store = store
        self.client = store.client
        self.index = f"{store.settings.index_prefix}-edits"
        self._ensured = False

    def _ensure(self) -> None:
        if self._ensured:
            return
        self.store.cluster_info()
        with translated(self.store.url, f"creating {self.index}"):
            if not self.client.indices.exists(index=self.index):
                self.client.indices.create(index=self.index, body=edits_index_body(self.store.settings))
        self._ensured = True

    def append(self, record: Mapping[str, Any]) -> None:
        self._ensure()
        doc_id = f"{record['target']}:{record['target_id']}:v{int(record['version'])}"
        action = {"create": {"_index": self.index, "_id": doc_id}}
        with translated(self.store.url, f"writing an edit to {self.index}"):
            response = self.client.bulk(operations=[action, dict(record)], refresh="wait_for")
        item = response["items"][0]["create"]
        if item.get("status") == 409:
            raise EditRecordTaken(record["target"], record["target_id"], int(record["version"]))
        if "error" in item:
            raise StoreError(f"{self.index} refused edit {record['id']}: {item['error'].get('reason', item['error'])}")

    def _search(self, clauses: list[dict[str, Any]], size: int = _PAGE, newest_first: bool = False
                ) -> list[dict[str, Any]]:
        self._ensure()
        body = {"query": {"bool": {"filter": clauses}}, "size": size,
                "sort": [{"seq": {"order": "desc" if newest_first else "asc"}}]}
        with translated(self.store.url, f"reading {self.index}"):
            hits = self.client.search(index=self.index, body=body)["hits"]["hits"]
        records = [hit["_source"] for hit in hits]
        return sorted(records, key=lambda r: r["seq"], reverse=newest_first)  # whatever order the server kept

    def of_targets(self, target: str, target_ids: Sequence[str]) -> list[dict[str, Any]]:
        ids = list(dict.fromkeys(target_ids))
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), 1000):
            out += self._search([_term("target", target), {"terms": {"target_id": ids[start:start + 1000]}}])
        return out

    def of_video(self, video_id: str) -> list[dict[str, Any]]:
        return self._search([_term("video_id", video_id)])

    def of_target_kind(self, target: str) -> list[dict[str, Any]]:
        return self._search([_term("target", target)])

    def query(self, who: str | None = None, kind: str | None = None, target: str | None = None,
              since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 100
              ) -> list[dict[str, Any]]:
        clauses: list[dict[str, Any]] = [_term(name, value) for name, value in
                                         (("who", who), ("kind", kind), ("target", target)) if value is not None]
        bounds = {}
        if since is not None:
            bounds["gte"] = edit_seq(since)
        if until is not None:
            bounds["lte"] = edit_seq(until)
        if bounds:
            clauses.append({"range": {"seq": bounds}})
        return self._search(clauses, size=min(limit, _PAGE), newest_first=True)

    def mark(self, record_id: str, fields: Mapping[str, Any]) -> None:
        unknown = set(fields) - _MARKABLE
        if unknown:
            raise ValueError(f"only {sorted(_MARKABLE)} of an edit record may change, not {sorted(unknown)}")
        found = self._search([_term("id", record_id)], size=1)
        if not found:
            return
        record = {**found[0], **fields}
        doc_id = f"{record['target']}:{record['target_id']}:v{int(record['version'])}"
        with translated(self.store.url, f"updating edit {record_id}"):
            self.client.bulk(operations=[{"index": {"_index": self.index, "_id": doc_id}}, record],
                             refresh="wait_for")
