"""A bounded, per-node cache for objects a decoder needs as files on disk.

ffprobe and the frame decoders read files, so an object is streamed (and hashed) into the cache once per node and
held while a probe task or a stage actor works on it. A holder keeps a shared ``flock`` on the entry, so other
processes on the node never evict a file in use; when a new object would push the cache past its byte budget the
least recently used free entries go first. The last holder of a video removes it (``remove_after``), so a finished
ingest leaves the cache empty.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import posixpath
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vidsearch.sources.objects import ObjectEntry, UnreadableObject, download
from vidsearch.sources.settings import SourceSettings

log = logging.getLogger(__name__)
_DIGEST = ".sha256"  # written last: an entry without it is incomplete
_ETAG = ".etag"  # the listing's version of the object: a cached copy of another version is fetched again


@dataclass(frozen=True)
class CachedObject:
    path: Path  # the local file, named like the object so titles and sidecars still work
    sha256: str


def _local_name(uri: str) -> str:
    base = posixpath.basename(uri.rstrip("/")) or "object"
    if len(base.encode()) > 200:  # keep the extension; file systems allow 255 bytes
        stem, ext = posixpath.splitext(base)
        base = hashlib.sha1(stem.encode()).hexdigest()[:16] + ext[:16]
    return base


class ObjectCache:
    def __init__(self, root: Path, budget_bytes: int) -> None:
        self.root = root
        self.budget = budget_bytes
        root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_settings(cls, sources: SourceSettings, data_dir: Path) -> ObjectCache:
        return cls(sources.cache_dir or data_dir / "cache" / "objects", sources.cache_bytes)

    def _key(self, entry: ObjectEntry) -> str:
        return hashlib.sha256(f"{entry.uri}\0{entry.size}".encode()).hexdigest()[:32]

    def _lock(self, key: str, mode: int) -> int | None:
        """An open, locked descriptor on the entry's lock file, or None (non-blocking and busy). The lock file
        may be removed by an evicting process between open and flock: then the lock is on a dead inode, so retry."""
        path = self.root / f"{key}.lock"
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                os.close(fd)
                return None
            try:
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            os.close(fd)

    def bytes_used(self) -> int:
        return sum(f.stat().st_size for d in self.root.iterdir() if d.is_dir() for f in d.iterdir() if f.is_file())

    def _evict(self, key: str) -> None:
        shutil.rmtree(self.root / key, ignore_errors=True)
        (self.root / f"{key}.lock").unlink(missing_ok=True)

    def _make_room(self, needed: int, keep: str) -> None:
        used = self.bytes_used()
        if used + needed <= self.budget:
            return
        entries = sorted((d for d in self.root.iterdir() if d.is_dir() and d.name != keep),
                         key=lambda d: d.stat().st_mtime)
        for entry in entries:
            fd = self._lock(entry.name, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if fd is None:  # held by another probe or actor
                continue
            try:
                size = sum(f.stat().st_size for f in entry.iterdir() if f.is_file()) if entry.exists() else 0
                self._evict(entry.name)
                used -= size
            finally:
                os.close(fd)
            if used + needed <= self.budget:
                return
        log.warning("object cache %s holds %d bytes in use; adding %d goes past its budget of %d",
                    self.root, used, needed, self.budget)

    @contextmanager
    def hold(self, entry: ObjectEntry, sources: SourceSettings, *, expected_sha256: str | None = None,
             remove_after: bool = False) -> Iterator[CachedObject]:
        """The object as a local file for the duration of the block (downloaded unless already cached)."""
        if entry.size > self.budget:
            raise UnreadableObject(entry.uri, f"{entry.size} bytes is more than the local object cache holds "
                                              f"(sources.cache_bytes={self.budget})")
        key = self._key(entry)
        folder = self.root / key
        fd = self._lock(key, fcntl.LOCK_EX)
        assert fd is not None
        try:
            digest_file, etag_file = folder / _DIGEST, folder / _ETAG
            target = folder / _local_name(entry.uri)
            stale = bool(entry.etag) and etag_file.is_file() and etag_file.read_text() != entry.etag
            if stale or not (digest_file.is_file() and target.is_file()):
                self._make_room(entry.size, keep=key)
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True, exist_ok=True)
                try:
                    sha256 = download(entry.uri, target, sources)
                except UnreadableObject:
                    self._evict(key)
                    raise
                etag_file.write_text(entry.etag)
                digest_file.write_text(sha256)
            sha256 = digest_file.read_text().strip()
            os.utime(folder)  # most recently used
            if expected_sha256 is not None and sha256 != expected_sha256:
                self._evict(key)
                raise UnreadableObject(entry.uri, "object changed after it was listed (its content hash differs "
                                                  "from the one planned); rerun to index the new version")
            fcntl.flock(fd, fcntl.LOCK_SH)  # others may read it now, nobody may evict it
            yield CachedObject(target, sha256)
        finally:
            if remove_after:
                fcntl.flock(fd, fcntl.LOCK_UN)
                mine = self._lock(key, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if mine is not None:
                    self._evict(key)
                    os.close(mine)
            os.close(fd)

    def discard(self, entry: ObjectEntry) -> None:
        """Remove an entry nobody holds (a file that failed its probe)."""
        key = self._key(entry)
        fd = self._lock(key, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd is not None:
            self._evict(key)
            os.close(fd)

    def fetch_beside(self, held: CachedObject, uri: str, sources: SourceSettings) -> Path | None:
        """Copy a small object that lives beside a cached one (a metadata sidecar) into its folder, if it exists."""
        target = held.path.parent / _local_name(uri)
        try:
            download(uri, target, sources)
        except UnreadableObject:
            return None
        return target
