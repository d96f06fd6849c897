"""The embedded store's durable part: one SQLite database in WAL mode.

Why SQLite: transactions make a crash mid-write harmless (a video's documents land together or not at all), WAL
lets searchers read while an ingest job writes, and several Ray writer processes serialise on its lock. Every
write transaction takes the next sequence number; a searcher that has seen up to ``seq`` asks only for newer
rows, so its in-memory index catches up incrementally.

Each index is a table of (id, seq, video_id, body, terms, one BLOB per vector field). ``terms`` holds the analysed
text (field → {term: frequency}) so opening a store never re-runs the Korean analyser. Deleted ids are kept in a
``gone_<index>`` table with their seq so that searchers learn about deletions too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from vidsearch.errors import StoreError
from vidsearch.schema import IndexName, index_schema

SCHEMA_VERSION = "1"


def vector_columns(index: IndexName) -> list[str]:
    return list(index_schema(index).vectors)


@dataclass(slots=True)
class StoredRow:
    id: str
    seq: int
    video_id: str | None
    body: bytes
    terms: bytes
    vectors: dict[str, bytes | None]


class DocumentJournal:
    def __init__(self, path: Path, busy_timeout_s: float = 60.0) -> None:
        self.path = path
        self._busy_ms = int(busy_timeout_s * 1000)
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.write() as conn:
            self._create(conn)

    # -- connections --------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=self._busy_ms / 1000)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open embedded store {self.path}: {exc}") from exc
            conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes, never corrupt
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken immediately, so concurrent writers queue instead of deadlocking)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _create(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT OR IGNORE INTO meta VALUES('seq', '0')")
        conn.execute("INSERT OR IGNORE INTO meta VALUES('schema_version', ?)", (SCHEMA_VERSION,))
        for index in IndexName:
            vectors = "".join(f", v_{name} BLOB" for name in vector_columns(index))
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS docs_{index}(id TEXT PRIMARY KEY, seq INTEGER NOT NULL, "
                f"video_id TEXT, body BLOB NOT NULL, terms BLOB NOT NULL{vectors})"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS docs_{index}_seq ON docs_{index}(seq)")
            conn.execute(f"CREATE INDEX IF NOT EXISTS docs_{index}_video ON docs_{index}(video_id)")
            conn.execute(f"CREATE TABLE IF NOT EXISTS gone_{index}(id TEXT PRIMARY KEY, seq INTEGER NOT NULL)")
            conn.execute(f"CREATE INDEX IF NOT EXISTS gone_{index}_seq ON gone_{index}(seq)")

    # -- meta -----------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    def seq(self) -> int:
        return int(self.get_meta("seq") or 0)

    @staticmethod
    def next_seq(conn: sqlite3.Connection) -> int:
        """Inside a write transaction: the sequence number every row written by it carries."""
        (value,) = conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='seq' "
                                "RETURNING value").fetchone()
        return int(value)

    # -- rows -----------------------------------------------------------------------------------------------
    def put(self, conn: sqlite3.Connection, index: IndexName, seq: int, rows: Sequence[StoredRow]) -> None:
        columns = vector_columns(index)
        placeholders = ", ".join("?" * (5 + len(columns)))
        names = ", ".join(["id", "seq", "video_id", "body", "terms", *(f"v_{c}" for c in columns)])
        conn.executemany(
            f"INSERT OR REPLACE INTO docs_{index}({names}) VALUES({placeholders})",
            [(r.id, seq, r.video_id, r.body, r.terms, *(r.vectors.get(c) for c in columns)) for r in rows],
        )
        conn.executemany(f"DELETE FROM gone_{index} WHERE id=?", [(r.id,) for r in rows])

    def remove(self, conn: sqlite3.Connection, index: IndexName, seq: int, ids: Sequence[str]) -> int:
        removed = 0
        for doc_id in ids:
            cur = conn.execute(f"DELETE FROM docs_{index} WHERE id=?", (doc_id,))
            if cur.rowcount:
                removed += 1
                conn.execute(f"INSERT OR REPLACE INTO gone_{index} VALUES(?, ?)", (doc_id, seq))
        return removed

    def ids_of_video(self, conn: sqlite3.Connection, index: IndexName, video_id: str) -> list[str]:
        return [r[0] for r in conn.execute(f"SELECT id FROM docs_{index} WHERE video_id=?", (video_id,))]

    def _rows(self, cursor: sqlite3.Cursor, index: IndexName) -> Iterator[StoredRow]:
        columns = vector_columns(index)
        for row in cursor:
            yield StoredRow(row[0], row[1], row[2], row[3], row[4], dict(zip(columns, row[5:], strict=True)))

    def changes(self, index: IndexName, after_seq: int) -> tuple[int, list[StoredRow], list[str]]:
        """(current seq, rows written after ``after_seq``, ids deleted after it), as one consistent read."""
        columns = "".join(f", v_{c}" for c in vector_columns(index))
        with self.read() as conn:
            seq = int(conn.execute("SELECT value FROM meta WHERE key='seq'").fetchone()[0])
            cursor = conn.execute(
                f"SELECT id, seq, video_id, body, terms{columns} FROM docs_{index} WHERE seq > ? ORDER BY seq",
                (after_seq,),
            )
            rows = list(self._rows(cursor, index))
            gone = [r[0] for r in conn.execute(f"SELECT id FROM gone_{index} WHERE seq > ?", (after_seq,))]
        return seq, rows, gone

    def bodies(self, index: IndexName, ids: Sequence[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        conn = self._conn()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for doc_id, body in conn.execute(f"SELECT id, body FROM docs_{index} WHERE id IN ({marks})", chunk):
                out[doc_id] = orjson.loads(body)
        return out

    def count(self, index: IndexName) -> int:
        return int(self._conn().execute(f"SELECT COUNT(*) FROM docs_{index}").fetchone()[0])

    def scan_bodies(self, index: IndexName, batch_size: int = 1000) -> Iterator[list[tuple[str, dict]]]:
        """All documents in id order, in batches, each batch its own short read (keyset pagination)."""
        last = ""
        conn = self._conn()
        while True:
            rows = conn.execute(
                f"SELECT id, body FROM docs_{index} WHERE id > ? ORDER BY id LIMIT ?", (last, batch_size)
            ).fetchall()
            if not rows:
                return
            yield [(doc_id, orjson.loads(body)) for doc_id, body in rows]
            last = rows[-1][0]
