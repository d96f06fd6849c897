"""Versioned indices behind one alias per index: blue/green reindexing with rollback.

Searches and ordinary writes use the alias ``<prefix>-<index>``; the data lives in ``<prefix>-<index>-v<N>``.
A reindex creates ``v<N+1>`` with bulk-friendly settings (no refresh, no replicas) and fills it while the alias
keeps serving ``v<N>``; ``finish`` restores the serving settings, refreshes, waits for the shards, checks the new
index is not missing documents, and moves the alias in one atomic ``_aliases`` call. The old version stays until
pruned, so ``rollback`` is another atomic alias move. Each version's state and serving settings are kept in its
mapping ``_meta``, so another process (the CLI) can finish or roll back what a job started.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError

from vidsearch.errors import NotFound, StoreError
from vidsearch.schema import IndexName
from vidsearch.store.elasticsearch.client import translated
from vidsearch.store.elasticsearch.mappings import META_KEY, recorded_meta
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexVersion:
    index: IndexName
    version: int
    name: str
    live: bool
    state: str
    meta: dict[str, Any]


class IndexVersions:
    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings, url: str) -> None:
        self.client = client
        self._settings = settings
        self.url = url

    # -- names ----------------------------------------------------------------------------------------------
    def alias(self, index: IndexName) -> str:
        return f"{self._settings.index_prefix}-{index.value}"

    def concrete(self, index: IndexName, version: int) -> str:
        return f"{self.alias(index)}-v{version}"

    def version_of(self, index: IndexName, name: str) -> int | None:
        match = re.fullmatch(re.escape(self.alias(index)) + r"-v(\d+)", name)
        return int(match.group(1)) if match else None

    # -- reads ----------------------------------------------------------------------------------------------
    def describe(self, target: str) -> tuple[str, dict[str, Any]] | None:
        """(concrete index, its mapping) behind an alias or index name; None when there is none."""
        with translated(self.url, f"reading the mapping of {target}"):
            try:
                found = self.client.indices.get_mapping(index=target).body
            except NotFoundError:
                return None
        if len(found) != 1:
            raise StoreError(f"{target} resolves to {len(found)} indices ({', '.join(sorted(found))}); "
                             "a vidsearch alias points at exactly one")
        name, mapping = next(iter(found.items()))
        return name, mapping.get("mappings", {})

    def list(self, index: IndexName) -> list[IndexVersion]:
        """Every version of one index, oldest first, with its state and whether the alias points at it."""
        alias = self.alias(index)
        with translated(self.url, f"listing the versions of {alias}"):
            found = self.client.indices.get_mapping(index=f"{alias}-v*").body
            aliases = self.client.indices.get_alias(index=f"{alias}-v*").body if found else {}
        out = []
        for name, mapping in found.items():
            version = self.version_of(index, name)
            if version is None:
                continue
            meta = recorded_meta(mapping)
            live = alias in aliases.get(name, {}).get("aliases", {})
            out.append(IndexVersion(index, version, name, live, meta.get("state", "unknown"), meta))
        return sorted(out, key=lambda v: v.version)

    def live(self, index: IndexName) -> IndexVersion | None:
        return next((v for v in self.list(index) if v.live), None)

    def doc_count(self, name: str) -> int:
        with translated(self.url, f"counting {name}"):
            return int(self.client.count(index=name, body={"query": {"match_all": {}}})["count"])

    # -- writes ---------------------------------------------------------------------------------------------
    def create(self, name: str, body: Mapping[str, Any]) -> bool:
        """Create an index; False when it already exists (another process won the race)."""
        with translated(self.url, f"creating {name}"):
            try:
                self.client.indices.create(index=name, body=dict(body))
            except BadRequestError as exc:
                if exc.error == "resource_already_exists_exception":
                    return False
                raise
        log.info("created index %s", name)
        return True

    def set_meta(self, name: str, meta: Mapping[str, Any]) -> None:
        with translated(self.url, f"updating _meta of {name}"):
            self.client.indices.put_mapping(index=name, body={"_meta": {META_KEY: dict(meta)}})

    def begin(self, index: IndexName, body_for: Any) -> IndexVersion:
        """Create the next version with build settings; ``body_for(alias=None)`` gives its create body."""
        versions = self.list(index)
        version = (versions[-1].version if versions else 0) + 1
        name = self.concrete(index, version)
        body = body_for()
        if not self.create(name, body):
            raise StoreError(f"{name} appeared while creating it: another reindex is running")
        meta = recorded_meta(body)
        return IndexVersion(index, version, name, False, meta.get("state", "building"), meta)

    def finish(self, index: IndexName, version: int | None = None, force: bool = False,
               health_timeout: str = "60s") -> tuple[str | None, str]:
        """Serve the building version (or ``version``): restore settings, refresh, check, swap. (old, new)."""
        versions = self.list(index)
        target = self._pick(index, versions, version, lambda v: v.state == "building")
        live = next((v for v in versions if v.live), None)
        live_settings = target.meta.get("live_settings", {})
        restore = {k: live_settings[k] for k in ("refresh_interval", "number_of_replicas") if k in live_settings}
        with translated(self.url, f"preparing {target.name} to serve"):
            if restore:
                self.client.indices.put_settings(index=target.name, body={"index": restore})
            self.client.indices.refresh(index=target.name)
            health = self.client.cluster.health(index=target.name, wait_for_status="yellow",
                                                 timeout=health_timeout)
        if health.get("timed_out") or health.get("status") == "red":
            raise StoreError(f"{target.name} did not become available ({health.get('status')}); alias not moved")
        if live is not None and not force:
            old_count, new_count = self.doc_count(live.name), self.doc_count(target.name)
            if new_count < self._settings.min_swap_ratio * old_count:
                raise StoreError(f"{target.name} holds {new_count} documents, {live.name} {old_count} "
                                 f"(< {self._settings.min_swap_ratio:.0%}): alias not moved; finish the reindex "
                                 "or pass --force")
        self.swap(index, target, live)
        return (live.name if live else None), target.name

    def rollback(self, index: IndexName, version: int | None = None) -> tuple[str, str]:
        """Point the alias back at the previous version (or ``version``). (from, to)."""
        versions = self.list(index)
        live = next((v for v in versions if v.live), None)
        if live is None:
            raise NotFound(f"{self.alias(index)} points at no index: nothing to roll back")
        older = [v for v in versions if v.version < live.version and v.state != "building"]
        if version is None and not older:
            raise NotFound(f"no version of {self.alias(index)} older than v{live.version} is left to roll back to")
        target = self._pick(index, versions, version, lambda v: v in older)
        self.swap(index, target, live)
        return live.name, target.name

    def swap(self, index: IndexName, target: IndexVersion, live: IndexVersion | None) -> None:
        """One atomic ``_aliases`` call; ``must_exist`` makes a concurrent swap fail instead of doubling up."""
        alias = self.alias(index)
        actions: list[dict[str, Any]] = []
        if live is not None and live.name != target.name:
            actions.append({"remove": {"index": live.name, "alias": alias, "must_exist": True}})
        actions.append({"add": {"index": target.name, "alias": alias}})
        with translated(self.url, f"moving {alias} to {target.name}"):
            self.client.indices.update_aliases(body={"actions": actions})
        self.set_meta(target.name, {**target.meta, "state": "live"})
        if live is not None and live.name != target.name:
            self.set_meta(live.name, {**live.meta, "state": "retired"})
        log.info("alias %s now points at %s (was %s)", alias, target.name, live.name if live else None)

    def prune(self, index: IndexName, keep: int) -> list[str]:
        """Delete old versions: the live one, any being built and the newest ``keep - 1`` others stay."""
        versions = self.list(index)
        protected = {v.name for v in versions if v.live or v.state == "building"}
        others = [v.name for v in versions if v.name not in protected]
        doomed = others[: max(0, len(others) - (keep - 1))]
        for name in doomed:
            with translated(self.url, f"deleting {name}"):
                self.client.indices.delete(index=name)
        return doomed

    def _pick(self, index: IndexName, versions: list[IndexVersion], version: int | None, default: Any
              ) -> IndexVersion:
        if version is not None:
            match = next((v for v in versions if v.version == version), None)
            if match is None:
                raise NotFound(f"{self.concrete(index, version)} does not exist")
            return match
        candidates = [v for v in versions if default(v)]
        if not candidates:
            raise NotFound(f"no version of {self.alias(index)} is waiting to be served; start a reindex first")
        return candidates[-1]
