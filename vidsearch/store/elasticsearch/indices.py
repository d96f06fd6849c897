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
from collections.abc import Callable, Mapping
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
               prepare: Callable[[IndexVersion], None] | None = None) -> tuple[str | None, str]:
        """Serve the building version (or ``version``): ``prepare`` it (the one refresh, stale removal), restore
        serving settings, wait for ``es.swap_wait_for`` health, check it is not missing documents, swap.
        (old, new). A swap whose answer was lost (the alias already moved) is completed, not repeated."""
        versions = self.list(index)
        live = next((v for v in versions if v.live), None)
        target = self._pick(index, versions, version, lambda v: v.state == "building")
        if live is not None and live.name == target.name:
            previous = [v for v in versions if v.state == "live" and v.name != target.name]
            for old in previous:
                self.set_meta(old.name, {**old.meta, "state": "retired"})
            self.set_meta(target.name, {**target.meta, "state": "live"})
            log.info("%s already serves %s: completed the interrupted swap", self.alias(index), target.name)
            return (previous[-1].name if previous else None), target.name
        if live is None and any(v.state == "live" for v in versions) and not force:
            raise StoreError(f"{self.alias(index)} points at no index although "
                             f"{', '.join(v.name for v in versions if v.state == 'live')} served it: restore the "
                             f"alias first (vidsearch es rollback --index {index.value} --to N); alias not moved")
        if target.meta.get("copy") == "copying" and not force:
            raise StoreError(f"the copy into {target.name} (reindex {target.meta.get('reindex_id', '?')}) did not "
                             "complete: rerun `vidsearch es reindex --resume` (or --restart); alias not moved")
        if prepare is not None:
            prepare(target)
        live_settings = target.meta.get("live_settings", {})
        restore: dict[str, Any] = {k: live_settings[k] for k in ("refresh_interval", "number_of_replicas")
                                   if k in live_settings}
        restore["gc_deletes"] = "60s"  # ES's default, once no copy can arrive late
        with translated(self.url, f"preparing {target.name} to serve"):
            self.client.indices.put_settings(index=target.name, body={"index": restore})
        self.wait_for_health(target.name)
        if live is not None and not force:
            old_count, new_count = self.doc_count(live.name), self.doc_count(target.name)
            if new_count < self._settings.min_swap_ratio * old_count:
                raise StoreError(f"{target.name} holds {new_count} documents, {live.name} {old_count} "
                                 f"(< {self._settings.min_swap_ratio:.0%}): alias not moved; finish the reindex "
                                 "or pass --force")
        self.swap(index, target, live)
        return (live.name if live else None), target.name

    def wait_for_health(self, name: str) -> None:
        """Wait for ``es.swap_wait_for`` (green by default: every replica allocated); else name what is not."""
        wanted, timeout = self._settings.swap_wait_for, self._settings.swap_health_timeout_s
        client = self.client.options(request_timeout=timeout + 30, ignore_status=408)
        with translated(self.url, f"waiting for {name} to become {wanted}"):
            health = client.cluster.health(index=name, wait_for_status=wanted, timeout=f"{int(timeout)}s")
        status = health.get("status")
        if not health.get("timed_out") and status in ("green", wanted):
            return
        with translated(self.url, f"listing the shards of {name}"):
            rows = self.client.cat.shards(index=name, format="json", h="index,shard,prirep,state,unassigned.reason")
        missing = [f"{r['index']} shard {r['shard']} {'primary' if r['prirep'] == 'p' else 'replica'} "
                   f"{r['state']} ({r.get('unassigned.reason') or '?'})" for r in rows if r["state"] != "STARTED"]
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise StoreError(f"{name} is {status}, not {wanted}, after {timeout:g}s; not allocated: "
                         f"{'; '.join(missing[:10]) or 'none listed'}{more}. Alias not moved. Add data nodes or lower "
                         "VIDSEARCH_ES__NUMBER_OF_REPLICAS (each replica needs its own node), or swap without them "
                         "with VIDSEARCH_ES__SWAP_WAIT_FOR=yellow")

    def rollback(self, index: IndexName, version: int | None = None) -> tuple[str | None, str]:
        """Point the alias back at the previous version (or ``version``; also restores a missing alias)."""
        versions = self.list(index)
        live = next((v for v in versions if v.live), None)
        if live is None and version is None:
            raise NotFound(f"{self.alias(index)} points at no index: name the version to restore it to (--to N)")
        older = [v for v in versions if live is not None and v.version < live.version and v.state != "building"]
        if version is None and not older:
            raise NotFound(f"no version of {self.alias(index)} older than v{live.version} is left to roll back to")
        target = self._pick(index, versions, version, lambda v: v in older)
        self.swap(index, target, live)
        return (live.name if live else None), target.name

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
