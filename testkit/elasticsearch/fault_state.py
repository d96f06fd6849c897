"""The fault server's cluster state: indices, aliases, documents and the REST routes that reach them.

Enough for the backend's client path to run end to end (see ``fault_server``); deliberately no text analysis,
scoring or vector search. What the reindex relies on is modelled as Elasticsearch does it: document versions
(internal, and ``version_type=external`` with 409 conflicts and delete tombstones kept for ``index.gc_deletes``),
``require_alias`` on bulk actions, near-real-time visibility on an index with ``refresh_interval: -1`` (its writes
reach searches, counts and points in time only after a refresh), shard allocation against a number of data nodes
(``cluster/health`` and ``_cat/shards``), and ``_reindex`` tasks (``fault_cluster``).
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
import time
from typing import TYPE_CHECKING, Any

import orjson

from testkit.elasticsearch import fault_cluster
from testkit.elasticsearch.fault_index import EsError, Index, not_found
from testkit.elasticsearch.fault_query import matches

if TYPE_CHECKING:
    from testkit.elasticsearch.fault_server import FaultServer

_SHARDS = {"total": 1, "successful": 1, "failed": 0}


class ClusterState:
    def __init__(self, store_sources: bool = True) -> None:
        self.indices: dict[str, Index] = {}
        self.store_sources = store_sources
        self._pits: dict[str, list[tuple[str, str, int, bytes | None]]] = {}
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self.data_nodes = 3  # replicas beyond data_nodes - 1 stay unassigned (health yellow)
        self.tasks: dict[str, Any] = {}  # _reindex tasks (fault_cluster)

    # -- names ----------------------------------------------------------------------------------------------
    def resolve(self, expr: str, missing_ok: bool = False) -> list[Index]:
        out: list[Index] = []
        for part in expr.split(","):
            if part in ("_all", "*"):
                out += self.indices.values()
                continue
            hits = [i for i in self.indices.values()
                    if fnmatch.fnmatchcase(i.name, part) or any(fnmatch.fnmatchcase(a, part) for a in i.aliases)]
            if not hits and "*" not in part and not missing_ok:
                raise not_found(part)
            out += hits
        return list({i.name: i for i in out}.values())

    def write_index(self, name: str) -> Index:
        found = self.resolve(name, missing_ok=True)
        if not found:  # ES auto-creates a plain index on first write
            found = [self.indices.setdefault(name, Index(name, {}))]
        if len(found) > 1:
            raise EsError(400, "illegal_argument_exception", f"no write index is defined for alias [{name}]")
        return found[0]

    # -- routing --------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict[str, str], body: Any, server: FaultServer
               ) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        with self._lock:
            if not parts:
                return 200, self._info(server)
            head, last = parts[0], parts[-1]
            if head == "_license":
                return 200, {"license": {"status": "active", "uid": "fault", "type": server.licence}}
            if head in ("_cluster", "_cat", "_reindex", "_tasks") or last == "_forcemerge":
                return fault_cluster.handle(self, method, parts, params, body)
            if head == "_aliases":
                return self._update_aliases(body)
            if head == "_alias":
                return self._get_alias(None, parts[1] if len(parts) > 1 else "*")
            if head == "_pit":
                return 200, {"succeeded": self._pits.pop(body["id"], None) is not None, "num_freed": 1}
            if last == "_bulk":
                return 200, self._bulk(parts[0] if len(parts) == 2 else None, body, server, params)
            if last == "_search":
                return 200, self._search(parts[0] if len(parts) == 2 else None, body or {}, params)
            if last == "_msearch":
                return 200, self._msearch(parts[0] if len(parts) == 2 else None, body, server)
            if head.startswith("_"):
                raise EsError(400, "illegal_argument_exception", f"unsupported by the fault server: {path}")
            return self._index_route(method, parts, params, body)

    def _index_route(self, method: str, parts: list[str], params: dict[str, str], body: Any) -> tuple[int, Any]:
        name = parts[0]
        verb = parts[1] if len(parts) > 1 else None
        if verb is None:
            if method == "PUT":
                return self._create(name, body or {})
            if method == "DELETE":
                for index in self.resolve(name):
                    del self.indices[index.name]
                return 200, {"acknowledged": True}
            found = self.resolve(name, missing_ok=True)
            if not found:
                raise not_found(name)
            return 200, {i.name: {"mappings": i.mappings, "aliases": {a: {} for a in i.aliases}} for i in found}
        if verb == "_alias":
            return self._get_alias(name, parts[2] if len(parts) > 2 else "*")
        if verb == "_mapping":
            if method == "GET":
                return 200, {i.name: {"mappings": i.mappings} for i in self.resolve(name)}
            for index in self.resolve(name):
                self._merge_mapping(index, body or {})
            return 200, {"acknowledged": True}
        if verb == "_settings":
            if method == "GET":
                return 200, {i.name: {"settings": {"index": i.settings}} for i in self.resolve(name)}
            for index in self.resolve(name):
                if index.near_real_time():
                    index.refresh()  # turning the interval back on makes the writes so far visible
                index.settings = {**index.flat_settings(), **(body or {}).get("index", body or {})}
            return 200, {"acknowledged": True}
        if verb == "_refresh":
            for index in self.resolve(name, missing_ok=params.get("ignore_unavailable") == "true"):
                index.refresh()
            return 200, {"_shards": _SHARDS}
        if verb == "_count":
            query = (body or {}).get("query")
            hits = sum(1 for _, doc_id, source in self._docs(name) if matches(query, doc_id, source))
            return 200, {"count": hits, "_shards": _SHARDS}
        if verb == "_mget":
            return 200, self._mget(name, body or {})
        if verb == "_pit":
            pit = f"pit-{next(self._seq)}"
            self._pits[pit] = sorted(((i.name, d, v, raw) for i in self.resolve(name)
                                      for d, (v, raw) in i.searchable().items()), key=lambda t: (t[0], t[1]))
            return 200, {"id": pit}
        if verb == "_delete_by_query":
            query = (body or {}).get("query")
            doomed = [(ix, d) for ix, d, s in self._docs(name) if matches(query, d, s)]
            for index_name, doc_id in doomed:
                index = self.indices[index_name]
                version = index.docs.pop(doc_id)[0] + 1
                index.tombstones[doc_id] = (version, time.monotonic())
            if params.get("refresh") == "true":
                for index in self.resolve(name):
                    index.refresh()
            return 200, {"took": 1, "timed_out": False, "total": len(doomed), "deleted": len(doomed),
                         "batches": 1, "version_conflicts": 0, "noops": 0, "failures": []}
        raise EsError(400, "illegal_argument_exception", f"unsupported by the fault server: {'/'.join(parts)}")

    # -- indices and aliases --------------------------------------------------------------------------------
    def _info(self, server: FaultServer) -> dict[str, Any]:
        return {"name": "fault-server", "cluster_name": "vidsearch-fault", "cluster_uuid": "fault",
                "version": {"number": server.version, "build_flavor": "default", "lucene_version": "10.2.0",
                            "minimum_wire_compatibility_version": "8.19.0",
                            "minimum_index_compatibility_version": "8.0.0"},
                "tagline": "You Know, for Search"}

    def _create(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        if name in self.indices:
            raise EsError(400, "resource_already_exists_exception", f"index [{name}] already exists")
        for alias in body.get("aliases", {}):
            if alias in self.indices:
                raise EsError(400, "invalid_alias_name_exception",
                              f"Invalid alias name [{alias}]: an index or data stream exists with the same name")
        self.indices[name] = Index(name, body)
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _merge_mapping(self, index: Index, body: dict[str, Any]) -> None:
        props = index.mappings.setdefault("properties", {})
        for field, spec in body.get("properties", {}).items():
            old = props.get(field)
            if old is not None and old.get("type", "object") != spec.get("type", "object"):
                raise EsError(400, "illegal_argument_exception",
                              f"mapper [{field}] cannot be changed from type [{old.get('type')}] to "
                              f"[{spec.get('type')}]")
            props[field] = {**(old or {}), **spec}
        if "_meta" in body:
            index.mappings["_meta"] = body["_meta"]

    def _get_alias(self, index_expr: str | None, alias_expr: str) -> tuple[int, Any]:
        pool = self.resolve(index_expr, missing_ok=True) if index_expr else list(self.indices.values())
        out = {}
        for index in pool:
            names = {a for a in index.aliases if fnmatch.fnmatchcase(a, alias_expr)}
            if names or index_expr:
                out[index.name] = {"aliases": {a: {} for a in names}}
        if not any(v["aliases"] for v in out.values()) and "*" not in alias_expr:
            return 404, {"error": f"alias [{alias_expr}] missing", "status": 404}
        return 200, out

    def _update_aliases(self, body: dict[str, Any]) -> tuple[int, Any]:
        plan = []
        for action in body["actions"]:
            op, spec = next(iter(action.items()))
            for index in self.resolve(spec["index"]):
                if op == "remove" and spec.get("must_exist") and spec["alias"] not in index.aliases:
                    raise EsError(404, "aliases_not_found_exception", f"aliases [{spec['alias']}] missing")
                if op == "add" and spec["alias"] in self.indices:
                    raise EsError(400, "invalid_alias_name_exception", f"Invalid alias name [{spec['alias']}]")
                plan.append((op, index, spec["alias"]))
        for op, index, alias in plan:  # validated first, then applied: atomic
            (index.aliases.add if op == "add" else index.aliases.discard)(alias)
        return 200, {"acknowledged": True, "errors": False}

    # -- documents ------------------------------------------------------------------------------------------
    def _docs(self, expr: str, realtime: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
        """Documents as searches see them (after the last refresh), or as a GET does (``realtime``)."""
        return [(i.name, d, orjson.loads(raw) if raw else {}) for i in self.resolve(expr)
                for d, (_, raw) in sorted((i.docs if realtime else i.searchable()).items())]

    def is_alias(self, name: str) -> bool:
        return any(name in i.aliases for i in self.indices.values())

    def _bulk(self, default_index: str | None, lines: list[Any], server: FaultServer,
              params: dict[str, str] | None = None) -> dict[str, Any]:
        require_alias = (params or {}).get("require_alias") == "true"
        items, errors, pos = [], False, 0
        while pos < len(lines):
            action = lines[pos] if isinstance(lines[pos], dict) else orjson.loads(lines[pos])
            op, meta = next(iter(action.items()))
            raw = None
            if op != "delete":
                pos += 1
                raw = lines[pos] if isinstance(lines[pos], bytes) else orjson.dumps(lines[pos])
            pos += 1
            doc_id = str(meta.get("_id"))
            target = meta.get("_index") or default_index or ""
            if meta.get("require_alias", require_alias) and not self.is_alias(target):
                reason = (f"no such index [{target}] and [require_alias] request flag is [true] and [{target}] is "
                          "not an alias")
                item = {"_index": target, "_id": doc_id, "status": 404,
                        "error": {"type": "index_not_found_exception", "reason": reason}}
            else:
                item = self._bulk_item(op, target, doc_id, raw, server, meta)
            errors = errors or "error" in item
            items.append({op: item})
        return {"took": 1, "errors": errors, "items": items}

    def _bulk_item(self, op: str, target: str, doc_id: str, raw: bytes | None, server: FaultServer,
                   meta: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            index = self.write_index(target)
        except EsError as exc:
            return {"_index": target, "_id": doc_id, "status": exc.status,
                    "error": {"type": exc.kind, "reason": exc.reason}}
        fault = server.item_fault(doc_id)
        if fault is not None:
            server.count(f"item_{fault}")
            kind = {400: "document_parsing_exception", 429: "es_rejected_execution_exception",
                    503: "unavailable_shards_exception"}[fault]
            return {"_index": index.name, "_id": doc_id, "status": fault,
                    "error": {"type": kind, "reason": f"injected {fault} for [{doc_id}]"}}
        server.count("applied", doc_id)
        seq = next(self._seq)
        base = {"_index": index.name, "_id": doc_id, "_shards": _SHARDS, "_seq_no": seq, "_primary_term": 1}
        old = index.docs.get(doc_id)
        current = old[0] if old else index.tombstone(doc_id)
        external = (meta or {}).get("version_type") in ("external", "external_gte")
        if external:
            version = int(meta["version"])
            stale = current is not None and (version < current or (version == current
                                                                      and meta["version_type"] == "external"))
            if stale:
                reason = (f"[{doc_id}]: version conflict, current version [{current}] is higher or equal to the "
                          f"one provided [{version}]")
                return {"_index": index.name, "_id": doc_id, "status": 409,
                        "error": {"type": "version_conflict_engine_exception", "reason": reason}}
        else:
            version = (current or 0) + 1
        if op == "delete":
            index.tombstones[doc_id] = (version, time.monotonic())
            if old is None:
                return {**base, "_version": version, "result": "not_found", "status": 404}
            del index.docs[doc_id]
            return {**base, "_version": version, "result": "deleted", "status": 200}
        if op == "create" and old is not None:
            return {**base, "status": 409, "error": {"type": "version_conflict_engine_exception",
                                                     "reason": f"[{doc_id}]: version conflict, document already exists"}}
        index.tombstones.pop(doc_id, None)
        index.docs[doc_id] = (version, raw if self.store_sources else None)
        index.count += old is None
        return {**base, "_version": version, "result": "updated" if old else "created",
                "status": 200 if old else 201}

    @staticmethod
    def _filtered_source(source: dict[str, Any], spec: Any) -> dict[str, Any] | None:
        if spec is False:
            return None
        if isinstance(spec, dict) and spec.get("excludes"):
            excludes = spec["excludes"] if isinstance(spec["excludes"], list) else [spec["excludes"]]
            return {k: v for k, v in source.items() if k not in excludes}
        return source

    def _mget(self, expr: str, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("docs") or [{"_id": i} for i in body.get("ids", [])]
        found = {d: (ix, s) for ix, d, s in self._docs(expr, realtime=True)}
        out = []
        for spec in wanted:
            hit = found.get(spec["_id"])
            if hit is None:
                out.append({"_index": expr, "_id": spec["_id"], "found": False})
            else:
                doc = {"_index": hit[0], "_id": spec["_id"], "_version": 1, "found": True}
                source = self._filtered_source(hit[1], spec.get("_source", True))
                if source is not None:
                    doc["_source"] = source
                out.append(doc)
        return {"docs": out}

    def _search(self, expr: str | None, body: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        query = body.get("query")
        knn = body.get("knn")
        filters = (knn or {}).get("filter") if isinstance(knn, dict) else None
        size = int(body.get("size", 10) if knn is None else knn.get("k", 10))
        pit = body.get("pit")
        if pit is not None:
            snapshot = self._pits.get(pit["id"])
            if snapshot is None:
                raise EsError(404, "search_context_missing_exception",
                              f"No search context found for [{pit['id']}]")
            versions = {(ix, d): v for ix, d, v, _ in snapshot}
            rows = [(ix, d, orjson.loads(raw) if raw else {}, n) for n, (ix, d, _, raw) in enumerate(snapshot)]
            start = int(body.get("search_after", [-1])[0]) + 1
            rows = rows[start:]
        else:
            rows = [(ix, d, s, n) for n, (ix, d, s) in enumerate(self._docs(expr or "_all"))]
        clauses = [query] + (filters if isinstance(filters, list) else [filters] if filters else [])
        hits = []
        for ix, doc_id, source, n in rows:
            if all(matches(q, doc_id, source) for q in clauses if q):
                hit: dict[str, Any] = {"_index": ix, "_id": doc_id, "_score": 1.0}
                filtered = self._filtered_source(source, body.get("_source", True))
                if filtered is not None:
                    hit["_source"] = filtered
                if pit is not None:
                    hit["sort"] = [n]
                    if body.get("version"):
                        hit["_version"] = versions[(ix, doc_id)]
                hits.append(hit)
                if len(hits) >= size:
                    break
        answer = {"took": 1, "timed_out": False, "_shards": _SHARDS,
                  "hits": {"total": {"value": len(hits), "relation": "gte"}, "max_score": 1.0, "hits": hits}}
        if pit is not None:
            answer["pit_id"] = pit["id"]
        return answer

    def _msearch(self, expr: str | None, lines: list[Any], server: FaultServer) -> dict[str, Any]:
        responses: list[dict[str, Any]] = []
        for header, body in zip(lines[::2], lines[1::2], strict=True):
            target = header.get("index", expr) if isinstance(header, dict) else expr
            fault = server.search_item_fault()
            if fault is not None:  # one search of the batch rejected, as a busy shard does
                server.count(f"search_item_{fault}")
                kind = {429: "es_rejected_execution_exception", 503: "search_phase_execution_exception",
                        400: "parsing_exception"}.get(fault, "exception")
                responses.append({"error": {"type": kind, "reason": f"injected {fault}"}, "status": fault})
                continue
            try:
                responses.append({**self._search(target, body, {}), "status": 200})
            except EsError as exc:
                responses.append({"error": {"type": exc.kind, "reason": exc.reason}, "status": exc.status})
        return {"took": 1, "responses": responses}
