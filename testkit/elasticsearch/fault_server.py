"""A local HTTP server that answers like Elasticsearch at the wire level and injects faults.

It exists to test and measure our client path where no Elasticsearch can run: it speaks the REST surface the
backend uses (the ``X-Elastic-Product`` header the client insists on, ES's error and bulk-response shapes, aliases,
mappings, point-in-time pages) and injects 429s, 503s, slow answers, dropped connections, rejected credentials
and per-item bulk failures. It is not an emulator: it stores documents and applies simple filters (term, terms,
ids, range, bool) so writes can be counted and flows can proceed, but it does no text analysis, BM25 or vector
search — search hits are the filtered documents in id order with score 1.0. Ranking is tested against a real
cluster (the live suite).
"""

from __future__ import annotations

import base64
import gzip
import random
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from testkit.elasticsearch.fault_index import EsError
from testkit.elasticsearch.fault_state import ClusterState


@dataclass
class Faults:
    """What to inject. Rates are probabilities per request (``request_*``, ``drop_*``, ``slow_*``) or per bulk
    item (``item_*``), drawn from one seeded RNG; ``script`` is a queue of statuses for the next requests."""

    item_429_rate: float = 0.0
    item_503_rate: float = 0.0
    request_429_rate: float = 0.0
    request_503_rate: float = 0.0
    request_502_rate: float = 0.0  # a proxy in front of the cluster failing (bad gateway)
    drop_rate: float = 0.0  # close the connection before handling the request
    drop_after_apply_rate: float = 0.0  # handle it, then close without answering (the answer is lost)
    slow_rate: float = 0.0
    slow_s: float = 0.0
    reject_ids: frozenset[str] = frozenset()  # bulk items answered 400 document_parsing_exception
    script: list[int] = field(default_factory=list)  # statuses answered, in order, to the next requests
    search_item_script: list[int | None] = field(default_factory=list)  # per _msearch item: status or None (ok)
    search_item_429_rate: float = 0.0
    paths: tuple[str, ...] = ("/_bulk",)  # request faults apply to paths ending with one of these
    seed: int = 0


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, a list for NDJSON bodies, None without a body


@dataclass
class Counters:
    requests: int = 0
    bulk_requests: int = 0
    bytes_in: int = 0  # request bodies as sent (compressed if gzip)
    bytes_out: int = 0  # response bodies
    paths: Counter = field(default_factory=Counter)  # request path → count
    injected: Counter = field(default_factory=Counter)
    applied: Counter = field(default_factory=Counter)  # doc id → times an index/create/delete was applied


_PRODUCT = {"X-Elastic-Product": "Elasticsearch"}
_ERROR_TYPES = {429: "es_rejected_execution_exception", 503: "unavailable_shards_exception",
                502: "bad_gateway", 504: "gateway_timeout", 500: "internal_server_error",
                401: "security_exception", 403: "security_exception"}


class FaultServer:
    def __init__(self, *, version: str = "9.1.0", licence: str = "basic", api_key: str | None = None,
                 basic_auth: tuple[str, str] | None = None, product_header: bool = True, record: bool = True,
                 store_sources: bool = True, tls: tuple[str, str] | None = None) -> None:
        self.faults = Faults()
        self.counters = Counters()
        self.requests: list[RecordedRequest] = []
        self.state = ClusterState(store_sources=store_sources)
        self.version = version
        self.licence = licence
        self.product_header = product_header
        self.record = record
        self._auth = self._expected_auth(api_key, basic_auth)
        self.tls = tls  # (certificate chain PEM, key PEM): serve https
        self._lock = threading.Lock()
        self._rng = random.Random(0)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _expected_auth(api_key: str | None, basic: tuple[str, str] | None) -> str | None:
        if api_key is not None:
            return f"ApiKey {api_key}"
        if basic is not None:
            return "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        return None

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> FaultServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="es-fault-server",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def inject(self, **faults: Any) -> None:
        """Replace the fault plan (and reseed its RNG)."""
        with self._lock:
            self.faults = Faults(**faults)
            self._rng = random.Random(self.faults.seed)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- fault draws ----------------------------------------------------------------------------------------
    def _draw(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def _request_fault(self, path: str) -> str | int | None:
        f = self.faults
        if not path.endswith(f.paths) and not any(p in path for p in f.paths):
            return None
        with self._lock:
            if f.script:
                return f.script.pop(0)
        for name, rate in (("drop", f.drop_rate), ("slow", f.slow_rate), (429, f.request_429_rate),
                           (503, f.request_503_rate), (502, f.request_502_rate),
                           ("drop_after", f.drop_after_apply_rate)):
            if self._draw(rate):
                return name
        return None

    def item_fault(self, doc_id: str) -> int | None:
        f = self.faults
        if doc_id in f.reject_ids:
            return 400
        if self._draw(f.item_429_rate):
            return 429
        if self._draw(f.item_503_rate):
            return 503
        return None

    def search_item_fault(self) -> int | None:
        with self._lock:
            if self.faults.search_item_script:
                return self.faults.search_item_script.pop(0)
        return 429 if self._draw(self.faults.search_item_429_rate) else None

    def count(self, what: str | int, key: str | None = None) -> None:
        with self._lock:
            self.counters.injected[what] += 1
            if key is not None:
                self.counters.applied[key] += 1


class _Handler(BaseHTTPRequestHandler):
    owner: FaultServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out together, no delayed-ACK stalls
    wbufsize = 1 << 16

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):  # the client hung up (a timeout, a test ending)
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve("HEAD")

    # -- plumbing -------------------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with self.owner._lock:
            self.owner.counters.bytes_in += len(raw)
        if raw and self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return raw

    def _send(self, status: int, body: Any = None, raw: bytes | None = None) -> None:
        payload = b"" if self.command == "HEAD" else (raw if raw is not None else orjson.dumps(body))
        with self.owner._lock:
            self.owner.counters.bytes_out += len(payload)
        self.send_response(status)
        if self.owner.product_header:
            for k, v in _PRODUCT.items():
                self.send_header(k, v)
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.wfile.flush()

    def _error(self, status: int, kind: str, reason: str) -> None:
        cause = {"type": kind, "reason": reason}
        self._send(status, {"error": {"root_cause": [cause], **cause}, "status": status})

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _serve(self, method: str) -> None:
        owner = self.owner
        split = urlsplit(self.path)
        path = unquote(split.path)
        params = {k: v[-1] for k, v in parse_qs(split.query).items()}
        raw = self._read_body()
        with owner._lock:
            owner.counters.requests += 1
            owner.counters.paths[path] += 1
            if path.endswith("/_bulk"):
                owner.counters.bulk_requests += 1
        if owner._auth is not None and self.headers.get("Authorization") != owner._auth:
            self._error(401, "security_exception", "unable to authenticate user for REST request [" + path + "]")
            return
        fault = owner._request_fault(path)
        if fault == "drop":
            owner.count("drop")
            self._drop()
            return
        if fault == "slow":
            owner.count("slow")
            time.sleep(owner.faults.slow_s)
        elif isinstance(fault, int):
            owner.count(fault)
            self._error(fault, _ERROR_TYPES.get(fault, "error"), f"injected {fault}")
            return
        try:
            body = self._parse(path, raw, owner.record)
        except ValueError as exc:
            self._error(400, "parse_exception", f"request body is not valid JSON: {exc}")
            return
        if owner.record:
            with owner._lock:
                owner.requests.append(RecordedRequest(method, path, params,
                                                     {k.lower(): v for k, v in self.headers.items()}, body))
        try:
            status, answer = owner.state.handle(method, path, params, body, owner)
        except EsError as exc:
            self._error(exc.status, exc.kind, exc.reason)
            return
        if fault == "drop_after":
            owner.count("drop_after")
            self._drop()
            return
        try:
            self._send(status, answer)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout) first
            self.close_connection = True

    @staticmethod
    def _parse(path: str, raw: bytes, record: bool) -> Any:
        """JSON, or a list of NDJSON lines; unrecorded bulk bodies stay bytes (parsed as needed, fast)."""
        if not raw:
            return None
        if path.endswith(("/_bulk", "/_msearch")):
            lines = [line for line in raw.split(b"\n") if line.strip()]
            if path.endswith("/_bulk") and not record:
                return lines
            return [orjson.loads(line) for line in lines]
        return orjson.loads(raw)


def ids_of_bulk(lines: list[dict[str, Any]]) -> list[str]:
    """The document ids of a recorded bulk body's action lines (for assertions)."""
    out = []
    it = iter(lines)
    for action in it:
        op, meta = next(iter(action.items()))
        out.append(meta.get("_id"))
        if op != "delete":
            next(it, None)
    return out

