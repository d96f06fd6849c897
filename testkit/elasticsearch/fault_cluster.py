"""Cluster-level routes of the fault server: health and shard allocation, force-merge, and ``_reindex`` tasks.

Allocation is modelled by a number of data nodes (``ClusterState.data_nodes``): a primary needs one, each replica
of a shard another, so an index asking for more replicas than the nodes can hold is yellow and its extra copies
are listed as UNASSIGNED by ``_cat/shards``. ``cluster/health`` with ``wait_for_status`` cannot wait here: it
answers at once, with ``timed_out: true`` and HTTP 408 as Elasticsearch does when the status is not reached.

``POST /_reindex?wait_for_completion=false`` starts a task that copies a snapshot of the source (taken at start,
like the scroll a real reindex reads), one batch per slice each time the task is polled, so progress is visible and
a client that dies mid-copy finds the task still there. ``dest.version_type: external`` keeps the source's versions
and, with ``conflicts: proceed``, counts conflicts instead of failing — what a reindex beside live writes needs.
Dropping ``ClusterState.tasks`` models a restarted node (the task is gone).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testkit.elasticsearch.fault_state import ClusterState

_SHARDS = {"total": 1, "successful": 1, "failed": 0}
_task_ids = itertools.count(1)


class _Quiet:
    """Writes a reindex task makes are not subject to the bulk fault plan (ES retries them internally)."""

    @staticmethod
    def item_fault(doc_id: str) -> None:
        return None

    @staticmethod
    def count(what: Any, key: Any = None) -> None:
        return None


def handle(state: ClusterState, method: str, parts: list[str], params: dict[str, str], body: Any
           ) -> tuple[int, Any]:
    from testkit.elasticsearch.fault_index import EsError

    head = parts[0]
    if head == "_cluster" and len(parts) >= 2 and parts[1] == "health":
        return health(state, parts[2] if len(parts) > 2 else "_all", params)
    if head == "_cat" and len(parts) >= 2 and parts[1] == "shards":
        return 200, shard_rows(state, parts[2] if len(parts) > 2 else "_all")
    if parts[-1] == "_forcemerge":
        state.resolve(parts[0])
        return 200, {"_shards": _SHARDS}
    if head == "_reindex" and method == "POST" and len(parts) == 1:
        return start_reindex(state, params, body or {})
    if head == "_tasks" and len(parts) == 2:
        return poll_task(state, parts[1])
    raise EsError(400, "illegal_argument_exception", f"unsupported by the fault server: {'/'.join(parts)}")


def _copies(state: ClusterState, index: Any) -> list[tuple[int, str, bool]]:
    """(shard, p/r, assigned) for every copy of every shard."""
    settings = index.flat_settings()
    shards = int(settings.get("number_of_shards", 1))
    replicas = int(settings.get("number_of_replicas", 1))
    out = []
    for shard in range(shards):
        out.append((shard, "p", state.data_nodes >= 1))
        out += [(shard, "r", state.data_nodes >= 2 + n) for n in range(replicas)]
    return out


def health(state: ClusterState, expr: str, params: dict[str, str]) -> tuple[int, Any]:
    copies = [c for index in state.resolve(expr) for c in _copies(state, index)]
    unassigned = sum(not assigned for _, _, assigned in copies)
    primaries_missing = any(kind == "p" and not assigned for _, kind, assigned in copies)
    status = "red" if primaries_missing else "yellow" if unassigned else "green"
    order = {"red": 0, "yellow": 1, "green": 2}
    wanted = params.get("wait_for_status")
    timed_out = wanted is not None and order[status] < order[wanted]
    answer = {"cluster_name": "vidsearch-fault", "status": status, "timed_out": timed_out,
              "number_of_nodes": state.data_nodes, "number_of_data_nodes": state.data_nodes,
              "active_primary_shards": sum(k == "p" and a for _, k, a in copies),
              "active_shards": sum(a for _, _, a in copies), "relocating_shards": 0, "initializing_shards": 0,
              "unassigned_shards": unassigned}
    return (408 if timed_out else 200), answer


def shard_rows(state: ClusterState, expr: str) -> list[dict[str, Any]]:
    rows = []
    for index in state.resolve(expr):
        for shard, kind, assigned in _copies(state, index):
            rows.append({"index": index.name, "shard": str(shard), "prirep": kind,
                         "state": "STARTED" if assigned else "UNASSIGNED",
                         "unassigned.reason": None if assigned else "INDEX_CREATED"})
    return rows


def start_reindex(state: ClusterState, params: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    from testkit.elasticsearch.fault_index import EsError

    source, dest = body["source"], body["dest"]
    indices = state.resolve(source["index"])
    snapshot = sorted((i.name, d, v, raw) for i in indices for d, (v, raw) in i.searchable().items())
    slices_param = params.get("slices", "1")
    slices = max(1, len(indices)) if slices_param == "auto" else int(slices_param)
    if dest.get("version_type") not in (None, "internal", "external", "external_gte"):
        raise EsError(400, "illegal_argument_exception", f"bad version_type {dest.get('version_type')}")
    task_id = f"fault-node:{next(_task_ids)}"
    task = {"id": task_id, "dest": dest["index"], "version_type": dest.get("version_type"),
            "conflicts": body.get("conflicts", "abort"), "batch": int(source.get("size", 1000)),
            "slices": [snapshot[n::slices] for n in range(slices)], "done": [0] * slices,
            "requests_per_second": params.get("requests_per_second", "-1"),
            "counts": {"total": len(snapshot), "created": 0, "updated": 0, "deleted": 0, "batches": 0,
                       "version_conflicts": 0, "noops": 0}, "failures": []}
    state.tasks[task_id] = task
    if params.get("wait_for_completion", "true") == "true":
        while not _step(state, task):
            pass
        return 200, _response(task)
    return 200, {"task": task_id}


def _step(state: ClusterState, task: dict[str, Any]) -> bool:
    """One batch per slice; True when every slice is done."""
    counts = task["counts"]
    for n, rows in enumerate(task["slices"]):
        start = task["done"][n]
        batch = rows[start: start + task["batch"]]
        if not batch:
            continue
        counts["batches"] += 1
        for _, doc_id, version, raw in batch:
            meta = {"version": version, "version_type": task["version_type"]} if task["version_type"] in (
                "external", "external_gte") else {}
            item = state._bulk_item("index", task["dest"], doc_id, raw, _Quiet(), meta)
            if item.get("status") == 409:
                counts["version_conflicts"] += 1
                if task["conflicts"] != "proceed":
                    task["failures"].append({"index": task["dest"], "id": doc_id, "cause": item["error"],
                                             "status": 409})
            elif "error" in item:
                task["failures"].append({"index": task["dest"], "id": doc_id, "cause": item["error"],
                                         "status": item["status"]})
            else:
                counts["created" if item["result"] == "created" else "updated"] += 1
        task["done"][n] = start + len(batch)
    return all(d >= len(rows) for d, rows in zip(task["done"], task["slices"], strict=True))


def _response(task: dict[str, Any]) -> dict[str, Any]:
    return {"took": 1, "timed_out": False, **task["counts"], "failures": task["failures"],
            "throttled_millis": 0, "requests_per_second": float(task["requests_per_second"])}


def poll_task(state: ClusterState, task_id: str) -> tuple[int, Any]:
    from testkit.elasticsearch.fault_index import EsError

    task = state.tasks.get(task_id)
    if task is None:
        raise EsError(404, "resource_not_found_exception", f"task [{task_id}] isn't running and hasn't stored its "
                      "results")
    completed = _step(state, task)
    status = {**task["counts"], "requests_per_second": float(task["requests_per_second"]),
              "slices": [{"slice_id": n, "total": len(rows), "created": min(task["done"][n], len(rows))}
                         for n, rows in enumerate(task["slices"])]}
    answer: dict[str, Any] = {"completed": completed,
                              "task": {"node": "fault-node", "id": int(task_id.split(":")[1]), "type": "transport",
                                       "action": "indices:data/write/reindex", "status": status,
                                       "description": f"reindex into [{task['dest']}]", "cancellable": True,
                                       "running_time_in_nanos": 1, "start_time_in_millis": 0}}
    if completed:
        answer["response"] = _response(task)
    return 200, answer

