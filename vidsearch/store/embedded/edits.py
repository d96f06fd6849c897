"""The embedded store's edit log: one SQLite table beside the document tables, in the same database file.

It is not a document index: ``delete_video``, ``commit_video`` and snapshots never touch it. The unique
(target, target_id, version) key makes the second of two concurrent writes of the same version fail, which the
edit layer turns into a 409 with the current version.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from vidsearch.store.base import EditRecordTaken, edit_seq
from vidsearch.store.embedded.journal import DocumentJournal

_MARKABLE = frozenset({"review", "machine_now", "note"})


class EmbeddedEditLog:
    def __init__(self, journal: DocumentJournal) -> None:
        self.journal = journal
        with journal.write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS edits(id TEXT PRIMARY KEY, target TEXT NOT NULL, target_id TEXT NOT NULL, "
                "version INTEGER NOT NULL, video_id TEXT, who TEXT, kind TEXT, seq INTEGER NOT NULL, "
                "body BLOB NOT NULL, UNIQUE(target, target_id, version))")
            conn.execute("CREATE INDEX IF NOT EXISTS edits_video ON edits(video_id)")
            conn.execute("CREATE INDEX IF NOT EXISTS edits_seq ON edits(seq)")

    def append(self, record: Mapping[str, Any]) -> None:
        try:
            with self.journal.write() as conn:
                conn.execute(
                    "INSERT INTO edits(id, target, target_id, version, video_id, who, kind, seq, body) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (record["id"], record["target"], record["target_id"], int(record["version"]),
                     record.get("video_id"), record.get("who"), record.get("kind"), int(record["seq"]),
                     orjson.dumps(record)))
        except sqlite3.IntegrityError:
            raise EditRecordTaken(record["target"], record["target_id"], int(record["version"])) from None

    def _select(self, where: str, params: Sequence[Any], order: str = "seq", limit: int | None = None
                ) -> list[dict[str, Any]]:
        sql = f"SELECT body FROM edits WHERE {where} ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit else "")
        return [orjson.loads(row[0]) for row in self.journal._conn().execute(sql, list(params))]

    def of_targets(self, target: str, target_ids: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        ids = list(dict.fromkeys(target_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out += self._select(f"target=? AND target_id IN ({marks})", [target, *chunk])
        return out

    def of_video(self, video_id: str) -> list[dict[str, Any]]:
        return self._select("video_id=?", [video_id])

    def of_target_kind(self, target: str) -> list[dict[str, Any]]:
        return self._select("target=?", [target])

    def query(self, who: str | None = None, kind: str | None = None, target: str | None = None,
              since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 100
              ) -> list[dict[str, Any]]:
        clauses, params = ["1=1"], []
        for column, value in (("who", who), ("kind", kind), ("target", target)):
            if value is not None:
                clauses.append(f"{column}=?")
                params.append(value)
        if since is not None:
            clauses.append("seq >= ?")
            params.append(edit_seq(since))
        if until is not None:
            clauses.append("seq <= ?")
            params.append(edit_seq(until))
        return self._select(" AND ".join(clauses), params, order="seq DESC", limit=limit)

    def mark(self, record_id: str, fields: Mapping[str, Any]) -> None:
        unknown = set(fields) - _MARKABLE
        if unknown:
            raise ValueError(f"only {sorted(_MARKABLE)} of an edit record may change, not {sorted(unknown)}")
        with self.journal.write() as conn:
            row = conn.execute("SELECT body FROM edits WHERE id=?", (record_id,)).fetchone()
            if row is None:
                return
            body = {**orjson.loads(row[0]), **fields}
            conn.execute("UPDATE edits SET body=? WHERE id=?", (orjson.dumps(body), record_id))
