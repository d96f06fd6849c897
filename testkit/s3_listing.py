"""S3 HTTP servers on 127.0.0.1 holding a bucket of many empty keys, for listing benchmarks and tests.

Putting 100,000 objects through moto's HTTP API takes ~40 minutes here (~45 puts/s), and moto then answers each
ListObjectsV2 page by sorting the whole bucket (~3 s a page at 100,000 keys, ~5 minutes for one listing). Two
servers, each a child process the caller owns (so their memory never counts in the client's figures):

- ``moto``: moto's own S3 implementation, keys put through its backend in the server process before it serves;
  the reference for what a listing answers.
- ``pages``: a ListObjectsV2 endpoint written here that keeps the sorted key list in memory and answers each
  page with a bisect (prefix, delimiter, max-keys, start-after, continuation tokens, encoding-type=url), so a
  listing of 100,000 keys takes seconds. ``tests/sources/test_listing_server.py`` checks that the product's
  listing reads the same keys, sizes and sub-prefixes from it as from moto.

Signatures are not checked by either (any key pair is accepted).

    python -m testkit.s3_listing --kind pages --port 9000 --keys 100000   # prints "ready ..."
"""

from __future__ import annotations

import argparse
import base64
import bisect
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape

from testkit.s3 import REGION, free_port

EMPTY_ETAG = "d41d8cd98f00b204e9800998ecf8427e"  # MD5 of no bytes
LAST_MODIFIED = "2026-01-01T00:00:00.000Z"


def key_names(keys: int, prefixes: int) -> list[str]:
    """``archive/<i % prefixes>/programme_<i>.mp4`` and every seventh a sidecar ``.json`` beside it: sub-prefixes
    for a sharded listing and non-video keys the listing must skip."""
    names = []
    for i in range(keys):
        suffix = ".json" if i % 7 == 3 else ".mp4"
        names.append(f"archive/{i % prefixes}/programme_{i:07d}{suffix}")
    return names


# --- moto, filled through its backend -----------------------------------------------------------------------

def serve_moto(port: int, bucket: str, names: list[str]) -> None:
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.server import ThreadedMotoServer

    backend = get_backend("s3")[DEFAULT_ACCOUNT_ID]["global"]
    backend.create_bucket(bucket, REGION)
    for name in names:
        backend.put_object(bucket, name, b"")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _ready_then_wait(port, len(names))
    server.stop()


# --- a ListObjectsV2 endpoint over a sorted list ------------------------------------------------------------

def _after(text: str) -> str:
    """The smallest string above every string that starts with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def list_page(names: list[str], prefix: str, delimiter: str, start_after: str,
              max_keys: int) -> tuple[list[str], list[str], str | None]:
    """(keys, common prefixes, the last item returned when more follow) of one ListObjectsV2 page over the
    sorted ``names``: keys under ``prefix`` after ``start_after``, rolled up at ``delimiter``."""
    keys: list[str] = []
    common: list[str] = []
    at = bisect.bisect_right(names, start_after) if start_after else 0
    if delimiter and start_after.endswith(delimiter):  # resuming after a rolled-up prefix: skip all of it
        at = bisect.bisect_left(names, _after(start_after))
    at = max(at, bisect.bisect_left(names, prefix))
    last = None
    while at < len(names) and names[at].startswith(prefix):
        if len(keys) + len(common) == max_keys:
            return keys, common, last
        name = names[at]
        cut = name.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            rolled = name[:cut + len(delimiter)]
            common.append(rolled)
            last = rolled
            at = bisect.bisect_left(names, _after(rolled))
        else:
            keys.append(name)
            last = name
            at += 1
    return keys, common, None


class _ListingHandler(BaseHTTPRequestHandler):
    server: _ListingServer

    def log_message(self, *args) -> None:  # quiet: a listing is a hundred requests
        pass

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amz-request-id", "listing")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                           f"<Message>{escape(message)}</Message></Error>")

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        bucket = url.path.strip("/")
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if bucket != self.server.bucket:
            self._error(404, "NoSuchBucket", f"no bucket {bucket!r}")
            return
        if query.get("list-type") != "2":
            self._error(501, "NotImplemented", "this server answers ListObjectsV2 only")
            return
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        max_keys = min(int(query.get("max-keys", "1000")), 1000)
        token = query.get("continuation-token")
        start_after = base64.urlsafe_b64decode(token).decode() if token else query.get("start-after", "")
        keys, common, last = list_page(self.server.names, prefix, delimiter, start_after, max_keys)
        encode = query.get("encoding-type") == "url"

        def text(value: str) -> str:
            return quote(value, safe="/") if encode else escape(value)

        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
                 f"<Name>{bucket}</Name><Prefix>{text(prefix)}</Prefix><MaxKeys>{max_keys}</MaxKeys>",
                 f"<KeyCount>{len(keys) + len(common)}</KeyCount>",
                 f"<IsTruncated>{'true' if last else 'false'}</IsTruncated>"]
        if delimiter:
            parts.append(f"<Delimiter>{text(delimiter)}</Delimiter>")
        if encode:
            parts.append("<EncodingType>url</EncodingType>")
        if token:
            parts.append(f"<ContinuationToken>{token}</ContinuationToken>")
        if last:
            parts.append(f"<NextContinuationToken>{base64.urlsafe_b64encode(last.encode()).decode()}"
                         "</NextContinuationToken>")
        parts.extend(f"<Contents><Key>{text(k)}</Key><LastModified>{LAST_MODIFIED}</LastModified>"
                     f"<ETag>&quot;{EMPTY_ETAG}&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass>"
                     "</Contents>" for k in keys)
        parts.extend(f"<CommonPrefixes><Prefix>{text(c)}</Prefix></CommonPrefixes>" for c in common)
        parts.append("</ListBucketResult>")
        self._send(200, "".join(parts))


class _ListingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, bucket: str, names: list[str]) -> None:
        super().__init__(("127.0.0.1", port), _ListingHandler)
        self.bucket, self.names = bucket, sorted(names)


def serve_pages(port: int, bucket: str, names: list[str]) -> None:
    import threading

    server = _ListingServer(port, bucket, names)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ready_then_wait(port, len(names))
    server.shutdown()


def _ready_then_wait(port: int, keys: int) -> None:
    print(f"ready http://127.0.0.1:{port} {keys} keys", flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or dies)


# --- the caller's side --------------------------------------------------------------------------------------

class ListingS3:
    """One of the servers above as a child process: ``with ListingS3("pages", keys=100_000) as s3: s3.url``."""

    def __init__(self, kind: str, keys: int, *, bucket: str = "listing", prefixes: int = 10,
                 timeout_s: float = 300) -> None:
        self.kind, self.bucket, self.keys, self.port = kind, bucket, keys, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "testkit.s3_listing", "--kind", kind, "--port", str(self.port), "--bucket",
             bucket, "--keys", str(keys), "--prefixes", str(prefixes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()  # blocks until filled (or the child died: empty line)
        if not line.startswith("ready") or time.monotonic() - started > timeout_s:
            self.stop()
            raise RuntimeError(f"listing S3 server ({kind}) did not start: {line!r}")
        self.start_s = time.monotonic() - started

    def env(self) -> dict[str, str]:
        """Standard AWS variables (any key is accepted) and the endpoint setting."""
        return {"AWS_ACCESS_KEY_ID": "listing-bench", "AWS_SECRET_ACCESS_KEY": "listing-bench",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": REGION,
                "VIDSEARCH_SOURCES__S3_ENDPOINT_URL": self.url}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()

    def __enter__(self) -> ListingS3:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=("moto", "pages"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bucket", default="listing")
    parser.add_argument("--keys", type=int, required=True)
    parser.add_argument("--prefixes", type=int, default=10)
    args = parser.parse_args()
    names = key_names(args.keys, args.prefixes)
    (serve_moto if args.kind == "moto" else serve_pages)(args.port, args.bucket, names)


if __name__ == "__main__":
    main()
