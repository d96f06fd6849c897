"""Content checksums of model folders and files, so a model replaced under the same path is noticed.

Hashing a multi-GB folder on every ``vidsearch index`` would cost seconds to minutes, so a checksum is reused while
every file's (path, size, mtime) is unchanged; any rewrite of a file changes its mtime and forces a rehash. The
reuse table lives in memory and, when a cache folder is given, in ``<data_dir>/models/checksums.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_MEMORY: dict[tuple[str, str], str] = {}
_LOCK = threading.Lock()


def _files(path: Path, exclude: frozenset[str] = frozenset()) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.relative_to(path).parts
                  and p.relative_to(path).as_posix() not in exclude)


def _signature(path: Path, files: list[Path]) -> str:
    rows = []
    for file in files:
        try:
            stat = file.stat()
        except FileNotFoundError:  # removed since it was listed (a lock or temp file): not part of the model
            continue
        rows.append((str(file.relative_to(path)) if file != path else file.name, stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _hash(path: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update((str(file.relative_to(path)) if file != path else file.name).encode() + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()[:32]


def _load_table(table: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads(table.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def path_checksum(path: Path, cache_dir: Path | None = None, exclude: frozenset[str] = frozenset()) -> str:
    """sha256 over the relative names and bytes of every file under ``path`` (or of the one file).

    ``exclude``: relative names of files that are caches derived from the rest (rewriting one must not look like a
    new model).
    """
    path = path.expanduser().resolve()
    files = _files(path, exclude)
    signature = _signature(path, files)
    key = (str(path), signature)
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
        table_path = cache_dir / "checksums.json" if cache_dir else None
        table = _load_table(table_path) if table_path else {}
        row = table.get(str(path))
        if row and row.get("signature") == signature:
            _MEMORY[key] = row["checksum"]
            return row["checksum"]
        checksum = _hash(path, files)
        _MEMORY[key] = checksum
        if table_path is not None:
            table[str(path)] = {"signature": signature, "checksum": checksum}
            try:
                table_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = table_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(table, indent=1), encoding="utf-8")
                tmp.replace(table_path)
            except OSError as exc:  # a read-only data dir only costs a rehash next time
                log.debug("cannot save model checksums to %s: %s", table_path, exc)
        return checksum


def path_signature(source: str) -> str:
    """Cheap stand-in for a checksum (file names, sizes, mtimes) of a local model path, or "" for a hub id: the
    loader cache keys on it, so a model replaced under the same path is loaded afresh. No path ("": a built-in or
    hub model) is "" too — ``Path("")`` would be the working directory, walked whole on every load."""
    if not source:
        return ""
    path = Path(source).expanduser()
    if not path.exists():
        return ""
    resolved = path.resolve()
    return _signature(resolved, _files(resolved))
