"""Objects in a bucket as ingest inputs: telling URIs from local paths, listing a prefix page by page, and reading
an object's bytes once while hashing them.

Any fsspec protocol works (``s3://`` through s3fs, ``gs://`` through gcsfs where installed); S3 listings stream
1,000 keys a page through s3fs's paginator, so a prefix of 100,000 keys never sits in memory at once. Credentials
come from the provider chain of the SDK underneath; nothing here reads, stores, logs or prints a secret, and error
messages are built from the server's error code and message, never from the request.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from vidsearch.errors import MediaError, VidsearchError
from vidsearch.sources.settings import SourceSettings

LOCAL_SCHEMES = frozenset({"file", "local"})
_S3 = frozenset({"s3", "s3a"})
_MISSING_CODES = frozenset({"NoSuchBucket", "NoSuchKey", "404", "NotFound"})
_DENIED_CODES = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "ExpiredToken",
                           "InvalidToken", "AllAccessDisabled", "AccountProblem"})
_CREDENTIAL_ERRORS = frozenset({"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                                "DefaultCredentialsError", "RefreshError"})
_UNREACHABLE_ERRORS = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError",
                                 "ReadTimeoutError", "ClientConnectorError", "ServerDisconnectedError",
                                 "ConnectionError", "TimeoutError", "gaierror"})
CREDENTIAL_CHAIN = ("credentials come from the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                    "AWS_PROFILE or ~/.aws/credentials, or the instance/pod role; for a public bucket set "
                    "VIDSEARCH_SOURCES__S3_ANONYMOUS=true")


class ObjectStoreError(VidsearchError):
    """A bucket or prefix cannot be listed at all (unreachable, no credentials, access denied)."""

    status = 503
    title = "Object store unavailable"

    def __init__(self, uri: str, reason: str):
        super().__init__(f"{uri}: {reason}")
        self.uri = uri
        self.reason = reason


class UnreadableObject(MediaError):
    """One object that cannot be read; ingest records it by URI and goes on with the rest."""


@dataclass(frozen=True)
class ObjectEntry:
    uri: str
    size: int = 0
    etag: str = ""  # changes with the content; part of the local cache key


@dataclass
class ListingPage:
    entries: list[ObjectEntry] = field(default_factory=list)
    ignored: int = 0  # objects that are not videos by extension
    prefixes: list[str] = field(default_factory=list)  # sub-prefixes (only in a one-level listing)


def is_object_uri(raw: str | os.PathLike) -> bool:
    """``s3://b/k`` and other remote URIs; local paths and ``file://`` URIs are not."""
    text = os.fspath(raw)
    scheme = urlsplit(text).scheme.lower()
    return "://" in text and len(scheme) > 1 and scheme not in LOCAL_SCHEMES


def local_path(raw: str | os.PathLike) -> str:
    """``file:///archive`` → ``/archive``; anything else unchanged."""
    text = os.fspath(raw)
    if urlsplit(text).scheme.lower() in LOCAL_SCHEMES and "://" in text:
        return urlsplit(text).path or "/"
    return text


def protocol_of(uri: str) -> str:
    return urlsplit(uri).scheme.lower()


def _options(protocol: str, sources: SourceSettings) -> dict:
    if protocol not in _S3:
        return {}
    client = {k: v for k, v in {"endpoint_url": sources.s3_endpoint_url, "region_name": sources.s3_region}.items()
              if v}
    config = {"connect_timeout": sources.connect_timeout_s, "read_timeout": sources.read_timeout_s,
              "retries": {"max_attempts": sources.attempts, "mode": "standard"}}
    return {"anon": sources.s3_anonymous, "client_kwargs": client, "config_kwargs": config,
            "skip_instance_cache": True}


@lru_cache(maxsize=8)
def _filesystem(protocol: str, sources_json: str):
    import fsspec

    sources = SourceSettings.model_validate_json(sources_json)
    try:
        return fsspec.filesystem(protocol, **_options(protocol, sources))
    except (ImportError, ValueError) as exc:
        raise ObjectStoreError(f"{protocol}://", f"no filesystem for this protocol ({exc}); s3:// needs s3fs, "
                                                 f"gs:// needs gcsfs (pip install 'vidsearch[gcs]')") from None


def filesystem(uri: str, sources: SourceSettings):
    """The fsspec filesystem for a URI (one per protocol and settings in each process) and the path in it."""
    protocol = protocol_of(uri)
    fs = _filesystem(protocol, sources.model_dump_json())
    return fs, fs._strip_protocol(uri)


def failure_kind(exc: BaseException) -> tuple[str, str]:
    """("missing" | "denied" | "credentials" | "unreachable" | "error", a one-line reason without secrets)."""
    names = {c.__name__ for c in type(exc).__mro__}
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        server = str(response.get("Error", {}).get("Message", "")) or code
    else:
        server = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if names & _CREDENTIAL_ERRORS:
        return "credentials", f"no usable credentials ({type(exc).__name__}); {CREDENTIAL_CHAIN}"
    if code in _DENIED_CODES or isinstance(exc, PermissionError):
        return "denied", f"access denied by the object store: {server}; {CREDENTIAL_CHAIN}"
    if code in _MISSING_CODES or isinstance(exc, FileNotFoundError):
        return "missing", f"no such bucket or object ({server})"
    if names & _UNREACHABLE_ERRORS or isinstance(exc, (ConnectionError, TimeoutError)):
        return "unreachable", f"cannot reach the object store ({type(exc).__name__}: {server})"
    return "error", f"{type(exc).__name__}: {server}"


def _s3_bucket_key(fs, path: str) -> tuple[str, str]:
    bucket, key, _ = fs.split_path(path)
    return bucket, key


async def _take(agen, count: int) -> tuple[list[dict], bool]:
    items: list[dict] = []
    try:
        while len(items) < count:
            items.append(await agen.__anext__())
    except StopAsyncIteration:
        return items, True
    return items, False


def _s3_infos(fs, path: str, delimiter: str, page_keys: int) -> Iterator[list[dict]]:
    """S3 listing pages as they arrive: the paginator underneath asks for 1,000 keys at a time."""
    from fsspec.asyn import sync

    bucket, key = _s3_bucket_key(fs, path)
    prefix = key.rstrip("/") + "/" if key else ""
    agen = fs._iterdir(bucket, prefix=prefix, delimiter=delimiter)
    done = False
    try:
        while not done:
            items, done = sync(fs.loop, _take, agen, page_keys)
            if items:
                yield items
    finally:
        if not done:
            sync(fs.loop, agen.aclose)


def _generic_infos(fs, path: str, recursive: bool) -> Iterator[list[dict]]:
    if not recursive:
        yield fs.ls(path, detail=True)
        return
    for _root, _dirs, files in fs.walk(path, detail=True):
        yield list(files.values())


def is_video_name(name: str, extensions: tuple[str, ...]) -> bool:
    base = posixpath.basename(name.rstrip("/"))
    return not base.startswith(".") and posixpath.splitext(base)[1].lower() in {e.lower() for e in extensions}


def list_pages(uri: str, sources: SourceSettings, extensions: tuple[str, ...], *,
               recursive: bool = True) -> Iterator[ListingPage]:
    """Video objects under a prefix, one page at a time. ``recursive=False`` lists one level and also returns
    the sub-prefixes, which the ingest job lists in parallel tasks. Raises ``ObjectStoreError``."""
    fs, path = filesystem(uri, sources)
    protocol = protocol_of(uri)
    infos = (_s3_infos(fs, path, "" if recursive else "/", sources.list_page_keys) if protocol in _S3
             else _generic_infos(fs, path, recursive))
    try:
        for batch in infos:
            page = ListingPage()
            for info in batch:
                name = info.get("name") or info.get("Key", "")
                full = f"{protocol}://{name}"
                if info.get("type") == "directory":
                    page.prefixes.append(full + "/")
                elif is_video_name(name, extensions):
                    etag = str(info.get("ETag") or info.get("etag") or info.get("mtime") or "").strip('"')
                    page.entries.append(ObjectEntry(full, int(info.get("size") or 0), etag))
                else:
                    page.ignored += 1
            yield page
    except Exception as exc:  # a store's refusal becomes one clear line naming the URI; a bug stays a bug
        kind, reason = failure_kind(exc)
        if kind == "error":
            raise
        raise ObjectStoreError(uri, reason) from None


def sidecar_uris(uri: str, suffix: str) -> list[str]:
    """Where a metadata sidecar of an object may live, in the order a local file's are looked for:
    ``<stem><suffix>`` then ``<file name><suffix>``."""
    name = uri.rsplit("/", 1)[-1]
    stem = uri.rsplit(".", 1)[0] if "." in name else uri
    return list(dict.fromkeys([stem + suffix, uri + suffix]))


def read_small(uri: str, sources: SourceSettings) -> bytes | None:
    """The bytes of a small object (a metadata sidecar) in one request; None when there is no such object.
    Raises ``UnreadableObject`` when the store refuses or cannot be reached."""
    fs, path = filesystem(uri, sources)
    try:
        return fs.cat_file(path)
    except Exception as exc:  # a store's refusal becomes one clear line naming the URI; a bug stays a bug
        kind, reason = failure_kind(exc)
        if kind == "missing":
            return None
        if kind == "error":
            raise
        raise UnreadableObject(uri, reason) from None


def exists(uri: str, sources: SourceSettings, extensions: tuple[str, ...]) -> bool:
    """Whether anything lives at a URI (an object, or keys under the prefix): one listing request, made before a
    job starts so an unreachable store or bad credentials fail in seconds. Raises ``ObjectStoreError``."""
    if object_entry(uri, sources) is not None:
        return True
    for page in list_pages(uri, sources, extensions, recursive=False):
        if page.entries or page.prefixes or page.ignored:
            return True
    return False


def object_entry(uri: str, sources: SourceSettings) -> ObjectEntry | None:
    """The entry for a URI that names one object, or None when it names a prefix (or nothing)."""
    fs, path = filesystem(uri, sources)
    if uri.endswith("/"):
        return None
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return None
    except Exception as exc:
        kind, reason = failure_kind(exc)
        if kind == "error":
            raise
        raise ObjectStoreError(uri, reason) from None
    if info.get("type") != "file":
        return None
    etag = str(info.get("ETag") or info.get("etag") or info.get("mtime") or "").strip('"')
    return ObjectEntry(uri, int(info.get("size") or 0), etag)


def download(uri: str, target: Path, sources: SourceSettings) -> str:
    """Stream an object to ``target`` (via a temporary name, so a half-written file is never seen) and return
    the SHA-256 of its bytes, computed as they arrive. Raises ``UnreadableObject`` naming the URI."""
    fs, path = filesystem(uri, sources)
    digest = hashlib.sha256()
    partial = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        with fs.open(path, "rb", block_size=sources.read_block_bytes) as source, partial.open("wb") as out:
            while chunk := source.read(sources.read_block_bytes):
                digest.update(chunk)
                out.write(chunk)
        os.replace(partial, target)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        kind, reason = failure_kind(exc)
        if kind == "missing":
            reason = "object no longer exists (deleted after it was listed?)"
        raise UnreadableObject(uri, reason) from None
    return digest.hexdigest()
