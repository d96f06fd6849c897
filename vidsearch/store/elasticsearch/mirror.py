"""Writes that reach the live alias also reach a version being built: how a reindex loses nothing.

Every writer (an ingest job, the API, the CLI) writes through the alias and, once the write is acknowledged, asks
``BuildWatch`` which newer versions of that index are being built (or were just swapped in) and repeats the
write there with ``version_type=external`` and the version the live index gave it. The reindex copy writes the
same way, with the versions its point in time read. So whatever order copy and mirror arrive in, each document in
the new version ends at its newest live version, and a delete leaves a tombstone (kept for ``es.build_gc_deletes``)
that outranks an older copy arriving later — no lost write, no resurrected document.

Why the check after the write suffices: a reindex waits ``2 × es.build_check_s + 1 s`` after creating its version
before it refreshes the live index and opens the point in time it copies from. A write applied before that refresh
is in the copy; a write applied after it is acknowledged later still, when the writer's view of the versions
(at most ``build_check_s`` old) was read after the version existed — so the writer mirrors it.

Stale-document removal needs ids to mirror, so it deletes by id (``_search`` for the ids, then bulk deletes) on the
live alias. Writes aimed straight at a version being built (``es.write_versions``: an ingest job re-analysing into
it) do no refresh or delete-by-query per video; they leave a ledger entry (video, index, ids kept) that ``finish``
applies in one pass before the swap.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from vidsearch.schema import IndexName
from vidsearch.store.elasticsearch import queries
from vidsearch.store.elasticsearch.client import translated
from vidsearch.store.elasticsearch.indices import IndexVersions
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

log = logging.getLogger(__name__)

LEDGER_MAPPING = {"properties": {"target": {"type": "keyword"}, "index": {"type": "keyword"},
                                 "video_id": {"type": "keyword"}, "keep": {"type": "keyword", "index": False,
                                                                           "doc_values": False}}}
_MAX_IDS_PAGE = 10_000  # index.max_result_window's default


class BuildWatch:
    """Per index: the versions writes must be mirrored to, read at most ``es.build_check_s`` ago."""

    def __init__(self, versions: IndexVersions, settings: ElasticsearchSettings) -> None:
        self.versions = versions
        self.settings = settings
        self._seen: dict[IndexName, tuple[float, list[tuple[int, str, str]]]] = {}
        self._lock = threading.Lock()

    def _states(self, index: IndexName) -> list[tuple[int, str, str]]:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(index)
        if seen is not None and now - seen[0] <= self.settings.build_check_s:
            return seen[1]
        states = [(v.version, v.name, "live" if v.live else v.state) for v in self.versions.list(index)]
        with self._lock:
            self._seen[index] = (now, states)
        return states

    def targets(self, index: IndexName, landed: str) -> list[str]:
        """Versions newer than the one a write landed on that are being built or now serve the alias."""
        landed_version = self.versions.version_of(index, landed)
        if landed_version is None:
            return []
        return [name for version, name, state in self._states(index)
                if version > landed_version and state in ("building", "live")]

    def building(self, index: IndexName, name: str) -> bool:
        return any(n == name and state == "building" for _, n, state in self._states(index))

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()


def stale_ids(client: Elasticsearch, url: str, target: str, query: dict[str, Any]) -> list[str]:
    """Ids matching ``query`` in ``target`` after a refresh: one search, or a point in time when there are more
    than a page (a whole video's segments)."""
    doing = f"finding documents to remove in {target}"
    with translated(url, doing):
        client.indices.refresh(index=target)
        body = {"size": _MAX_IDS_PAGE, "_source": False, "track_total_hits": False, "query": query}
        try:
            hits = client.search(index=target, body=body)["hits"]["hits"]
        except NotFoundError:
            return []
        if len(hits) < _MAX_IDS_PAGE:
            return [h["_id"] for h in hits]
        pit_id = client.open_point_in_time(index=target, keep_alive="1m")["id"]
    ids: list[str] = []
    after: list[Any] | None = None
    try:
        while True:
            page = queries.page_body([query], pit_id, "1m", _MAX_IDS_PAGE, after, False)
            with translated(url, doing):
                response = client.search(body=page)
            pit_id = response.get("pit_id", pit_id)
            hits = response["hits"]["hits"]
            ids += [h["_id"] for h in hits]
            if len(hits) < _MAX_IDS_PAGE:
                return ids
            after = hits[-1]["sort"]
    finally:
        try:
            client.close_point_in_time(body={"id": pit_id})
        except Exception as exc:  # noqa: BLE001 - it expires on its own
            log.debug("closing point in time failed: %s", exc)


def ledger_name(settings: ElasticsearchSettings) -> str:
    return f"{settings.index_prefix}-reindex-ledger"


def ledger_action(settings: ElasticsearchSettings, target: str, index: IndexName, video_id: str,
                  keep: list[str]) -> dict[str, Any]:
    """One bulk action: 'of ``video_id`` in ``target``, only ``keep`` stays' (the latest entry wins)."""
    return {"_op_type": "index", "_index": ledger_name(settings), "_id": f"{target}:{video_id}",
            "_source": {"target": target, "index": index.value, "video_id": video_id, "keep": keep}}


def ledger_entries(client: Elasticsearch, url: str, settings: ElasticsearchSettings, target: str
                   ) -> list[dict[str, Any]]:
    """Every ledger entry for ``target`` (the ledger must have been refreshed)."""
    name = ledger_name(settings)
    entries: list[dict[str, Any]] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": _MAX_IDS_PAGE, "track_total_hits": False,
                                "query": {"bool": {"filter": [{"term": {"target": {"value": target}}}]}},
                                "sort": ["video_id"]}
        if after is not None:
            body["search_after"] = after
        with translated(url, f"reading the reindex ledger {name}"):
            try:
                hits = client.search(index=name, body=body)["hits"]["hits"]
            except NotFoundError:
                return entries
        entries += [dict(h["_source"], _id=h["_id"]) for h in hits]
        if len(hits) < _MAX_IDS_PAGE:
            return entries
        after = hits[-1]["sort"]


def apply_ledger(client: Elasticsearch, url: str, settings: ElasticsearchSettings, target: str,
                 entries: list[dict[str, Any]], batch: int = 200) -> int:
    """Remove, in ``target``, each entry's video documents outside its ``keep``; the last batch refreshes."""
    deleted = 0
    for start in range(0, len(entries), batch):
        chunk = entries[start: start + batch]
        query = {"bool": {"should": [queries.owned_ids_query(e["video_id"], e.get("keep") or []) for e in chunk],
                          "minimum_should_match": 1}}
        last = start + batch >= len(entries)
        with translated(url, f"removing stale documents from {target}"):
            response = client.delete_by_query(index=target, body={"query": query}, conflicts="proceed",
                                              refresh=last)
        deleted += int(response.get("deleted", 0))
    name = ledger_name(settings)
    with translated(url, f"clearing the reindex ledger for {target}"):
        try:
            client.delete_by_query(index=name, body={"query": {"term": {"target": {"value": target}}}},
                                   conflicts="proceed")
        except NotFoundError:
            pass
    log.info("reindex: %d stale documents removed from %s (%d ledger entries)", deleted, target, len(entries))
    return deleted
