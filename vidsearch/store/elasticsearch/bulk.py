"""Streaming bulk writes that never lose a document.

``helpers.streaming_bulk`` chunks the (lazy) action stream, retries a chunk or the items of it that came back
429/502/503/504 with exponential backoff, and yields one final result per action. On top of it this writer
- keeps only the actions in flight (one chunk per thread), so memory stays flat however long the stream is;
- holds documents still rejected after those retries for final passes, then reports each one that never got in;
- reports permanent per-item failures (a mapping error) by id and reason, never drops them;
- stops at once on a lost cluster or rejected credentials, listing every action that was not acknowledged.
Ids are explicit, so a retried ``index`` overwrites instead of duplicating. An action may carry ``require_alias``
(a write through an alias never auto-creates an index) and an external ``version``: a 409 for such an action
means the target already holds that document at a newer version — the outcome wanted, so it is not a failure.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from elastic_transport import TransportError
from elasticsearch import Elasticsearch
from elasticsearch.helpers import streaming_bulk

from vidsearch.errors import StoreError
from vidsearch.store.base import WriteReport
from vidsearch.store.elasticsearch.client import RETRY_STATUSES, credentials_rejected, describe, forbidden
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

log = logging.getLogger(__name__)

Action = dict[str, Any]
AckCallback = Callable[[str, str], None]  # (op, doc id) once per acknowledged action
ItemCallback = Callable[[str, dict[str, Any]], None]  # (op, bulk response item) once per acknowledged action
_HEADER_KEYS = ("require_alias", "version", "version_type")
_FATAL_STATUSES = (401, 403)


class BulkInterrupted(StoreError):
    """The stream stopped (cluster unreachable, credentials rejected); ``report`` names what did not land."""

    def __init__(self, message: str, report: WriteReport):
        super().__init__(message)
        self.report = report


def item_reason(info: dict[str, Any]) -> str:
    error = info.get("error")
    status = info.get("status", "?")
    if isinstance(error, dict):
        reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        caused = error.get("caused_by")
        if isinstance(caused, dict) and caused.get("reason"):
            reason += f" ({caused.get('type', '')}: {caused['reason']})"
        return f"{status} {reason}"
    return f"{status} {error}"


def expand(action: Action) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Action → (action line, source line) for ``streaming_bulk``; ours are always canonical, so no copying."""
    op = action["_op_type"]
    header = {op: {"_index": action["_index"], "_id": action["_id"],
                   **{k: action[k] for k in _HEADER_KEYS if k in action}}}
    return header, (None if op == "delete" else action["_source"])


class _InFlight:
    """Actions handed to the helper and not yet answered, by id (FIFO for repeats)."""

    def __init__(self) -> None:
        self._by_id: dict[str, deque[Action]] = {}
        self._lock = threading.Lock()

    def track(self, actions: Iterable[Action]) -> Iterator[Action]:
        for action in actions:
            with self._lock:
                self._by_id.setdefault(action["_id"], deque()).append(action)
            yield action

    def settle(self, doc_id: str) -> Action | None:
        with self._lock:
            queue = self._by_id.get(doc_id)
            if not queue:
                return None
            action = queue.popleft()
            if not queue:
                del self._by_id[doc_id]
            return action

    def outstanding(self) -> list[Action]:
        with self._lock:
            return [a for queue in self._by_id.values() for a in queue]


class _Shared:
    """One lazy action stream shared by several bulk threads; ``stop`` ends it for all of them."""

    def __init__(self, source: Iterator[Action]) -> None:
        self._source = source
        self._lock = threading.Lock()
        self.stopped = False

    def __iter__(self) -> _Shared:
        return self

    def __next__(self) -> Action:
        with self._lock:
            if self.stopped:
                raise StopIteration
            return next(self._source)


class BulkWriter:
    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings, url: str,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client.options(request_timeout=settings.bulk_timeout_s)
        self._settings = settings
        self._url = url
        self._sleep = sleep

    def _stream(self, actions: Iterable[Action]) -> Iterator[tuple[bool, dict[str, Any]]]:
        s = self._settings
        return streaming_bulk(
            self._client, actions, chunk_size=s.bulk_chunk_size, max_chunk_bytes=s.bulk_max_bytes,
            max_retries=s.max_retries, initial_backoff=s.initial_backoff_s, max_backoff=s.max_backoff_s,
            retry_on_status=RETRY_STATUSES, raise_on_error=False, raise_on_exception=False, yield_ok=True,
            expand_action_callback=expand,
        )

    def write(self, actions: Iterable[Action], on_ack: AckCallback | None = None,
              on_item: ItemCallback | None = None) -> WriteReport:
        """Send every action; the report counts what ES acknowledged and lists each failure by id."""
        report = WriteReport()
        deferred: list[tuple[Action, str]] = []
        source = iter(actions)
        self._pass(source, report, deferred, on_ack, on_item)
        s = self._settings
        for attempt in range(s.final_retry_passes):
            if not deferred:
                break
            wait = min(s.max_backoff_s, s.initial_backoff_s * 2 ** s.max_retries)
            log.warning("bulk: %d documents still rejected; waiting %.1fs for final pass %d", len(deferred), wait,
                        attempt + 1)
            self._sleep(wait)
            retry, deferred = [a for a, _ in deferred], []
            self._pass(iter(retry), report, deferred, on_ack, on_item)
        for action, reason in deferred:
            report.failed.append((action["_id"], f"still rejected after retries: {reason}"))
        if report.failed:
            log.warning("bulk: %d written, %d failed (first: %s)", report.written, len(report.failed),
                        report.failed[0])
        return report

    def _pass(self, source: Iterator[Action], report: WriteReport, deferred: list[tuple[Action, str]],
              on_ack: AckCallback | None, on_item: ItemCallback | None = None) -> None:
        in_flight = _InFlight()
        shared = _Shared(in_flight.track(source))
        lock = threading.Lock()
        errors: list[BaseException] = []

        def settle(ok: bool, item: dict[str, Any]) -> None:
            op, info = next(iter(item.items()))
            doc_id = str(info.get("_id"))
            action = in_flight.settle(doc_id)
            status = int(info.get("status", 500) or 500)
            if ok:
                if op == "delete":
                    report.deleted += info.get("result") == "deleted"
                else:
                    report.written += 1
                if on_item is not None:
                    on_item(op, info)
                if on_ack is not None:
                    on_ack(op, doc_id)
            elif op == "delete" and status == 404:
                pass  # already gone: what a delete wants
            elif status == 409 and action is not None and "version_type" in action:
                pass  # the target already holds a newer version of this document: nothing to do
            elif status in _FATAL_STATUSES:
                problem = describe_status(status, info, self._url)
                report.failed.append((doc_id, f"not acknowledged: {problem}"))
                raise problem
            elif status in RETRY_STATUSES and action is not None and len(deferred) < self._settings.max_deferred:
                deferred.append((action, item_reason(info)))
            else:
                report.failed.append((doc_id, item_reason(info)))

        def work() -> None:
            try:
                for ok, item in self._stream(shared):
                    with lock:
                        settle(ok, item)
            except BaseException as exc:  # noqa: BLE001 - re-raised by the caller below
                errors.append(exc)
                shared.stopped = True

        threads = self._settings.bulk_threads
        if threads == 1:
            work()
        else:
            workers = [threading.Thread(target=work, name=f"es-bulk-{i}", daemon=True) for i in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        if errors:
            self._interrupted(errors[0], in_flight, source, report)

    def _interrupted(self, error: BaseException, in_flight: _InFlight, source: Iterator[Action],
                     report: WriteReport) -> None:
        if isinstance(error, StoreError):
            problem = error
        elif isinstance(error, TransportError):
            problem = describe(error, self._url, "writing documents")
        else:
            raise error
        for action in in_flight.outstanding():
            report.failed.append((action["_id"], f"not acknowledged: {problem}"))
        for action in source:
            report.failed.append((action["_id"], f"not sent: {problem}"))
        raise BulkInterrupted(f"{problem} ({report.written} documents written, {len(report.failed)} not)",
                              report) from error


def describe_status(status: int, info: dict[str, Any], url: str) -> StoreError:
    if status == 401:
        return credentials_rejected(url, "writing documents")
    return forbidden(url, "writing documents", item_reason(info))
