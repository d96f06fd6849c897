"""The embedded store: the IndexBackend for one machine and every test. One folder on disk, no server.

Writes go to the SQLite journal in one transaction per call (analysis happens before the lock is taken).
Searches go to an in-memory ``IndexView`` per index that catches up with the journal before each search, so a
searcher sees what a concurrently running ingest job has committed. ``compact()`` writes a snapshot of the views
so the next process opens them with a file load instead of rebuilding.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from vidsearch.analyzers import analyze_many
from vidsearch.config import StoreSettings
from vidsearch.errors import DocumentRejected, EncoderMismatch, InvalidQuery
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.base import (
    Candidate,
    Retriever,
    SearchFilters,
    StoreStats,
    TextRetriever,
    VectorRetriever,
    VideoBundle,
    WriteReport,
    check_document,
    check_query_encoder,
)
from vidsearch.store.embedded.journal import DocumentJournal, StoredRow
from vidsearch.store.embedded.view import IndexView

log = logging.getLogger(__name__)

_DELTA_FOR_SNAPSHOT = 2_000  # documents changed since the last snapshot before compact() writes a new one
_DEAD_FOR_REBUILD = 0.5  # share of dead slots that makes compact() rebuild from the journal


def _text_of(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value if v is not None)
    return str(value)


class EmbeddedStore:
    backend = "embedded"

    def __init__(self, directory: Path, settings: StoreSettings | None = None) -> None:
        self.directory = Path(directory)
        self.settings = settings or StoreSettings()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.journal = DocumentJournal(self.directory / "store.sqlite", self.settings.busy_timeout_s)
        self._views: dict[IndexName, IndexView] = {}
        self._view_lock = threading.RLock()
        self._query_cache: dict[tuple[str, str], list[str]] = {}
        self._edit_log = None

    # -- encoders -------------------------------------------------------------------------------------------
    def encoders(self) -> dict[str, dict[str, Any]]:
        raw = self.journal.get_meta("encoders")
        return orjson.loads(raw) if raw else {}

    def ensure_indices(self, encoders: Mapping[str, Mapping[str, Any]]) -> None:
        """Record encoders (role → {"id", "dims"}); refuse a different encoder for a role already recorded."""
        with self.journal.write() as conn:
            raw = conn.execute("SELECT value FROM meta WHERE key='encoders'").fetchone()
            recorded = orjson.loads(raw[0]) if raw else {}
            for role, info in encoders.items():
                old = recorded.get(role)
                if old is not None and (old["id"] != info["id"] or old["dims"] != info["dims"]):
                    raise EncoderMismatch(
                        f"the {role} vectors in {self.directory} were built by {old['id']} ({old['dims']}-d); "
                        f"the configured encoder is {info['id']} ({info['dims']}-d). Reindex into a new data "
                        "folder or configure the original encoder."
                    )
                recorded[role] = {"id": info["id"], "dims": int(info["dims"])}
            self.journal.set_meta(conn, "encoders", orjson.dumps(recorded).decode())

    def _dims(self, index: IndexName) -> dict[str, int]:
        recorded = self.encoders()
        return {name: recorded[f.encoder]["dims"] for name, f in index_schema(index).vectors.items()
                if f.encoder in recorded}

    # -- writes ---------------------------------------------------------------------------------------------
    def _prepare(self, index: IndexName, docs: Sequence[tuple[str, Mapping[str, Any]]], report: WriteReport
                 ) -> list[StoredRow]:
        schema = index_schema(index)
        dims = self._dims(index)
        checked: list[tuple[str, dict[str, Any]]] = []
        for doc_id, body in docs:
            try:
                checked.append((doc_id, check_document(index, doc_id, body, dims, require_dims=True)))
            except DocumentRejected as exc:
                report.failed.append((doc_id, exc.reason))
        # Analyse each text field with its analyzer, batched per analyzer (Kiwi's batch call is much faster).
        terms: list[dict[str, dict[str, int]]] = [{} for _ in checked]
        by_analyzer: dict[str, list[tuple[int, str, str]]] = {}
        for row, (_, body) in enumerate(checked):
            for field, analyzer_name in schema.analyzers.items():
                value = body.get(field.split(".")[0])
                if value is not None and value != "" and value != []:
                    by_analyzer.setdefault(analyzer_name, []).append((row, field, _text_of(value)))
        for analyzer_name, items in by_analyzer.items():
            unique = list(dict.fromkeys(text for _, _, text in items))
            tokens = dict(zip(unique, analyze_many(analyzer_name, unique), strict=True))
            for row, field, text in items:
                if tokens[text]:
                    terms[row][field] = dict(Counter(tokens[text]))
        rows = []
        for (doc_id, body), doc_terms in zip(checked, terms, strict=True):
            vectors = {name: np.ascontiguousarray(body.pop(name), np.float32).tobytes()
                       for name in list(body) if name in schema.vectors and body[name] is not None}
            for name in schema.vectors:
                body.pop(name, None)
            video_id = doc_id if index is IndexName.VIDEOS else body.get("video_id")
            rows.append(StoredRow(doc_id, 0, video_id, orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
                                  orjson.dumps(doc_terms), vectors))
        return rows

    def upsert(self, index: IndexName, docs: Sequence[tuple[str, Mapping[str, Any]]]) -> WriteReport:
        index = IndexName(index)
        report = WriteReport()
        rows = self._prepare(index, docs, report)
        if rows:
            with self.journal.write() as conn:
                seq = self.journal.next_seq(conn)
                self.journal.put(conn, index, seq, rows)
            report.written = len(rows)
        return report

    def delete(self, index: IndexName, ids: Sequence[str]) -> int:
        with self.journal.write() as conn:
            seq = self.journal.next_seq(conn)
            return self.journal.remove(conn, IndexName(index), seq, ids)

    def commit_video(self, bundle: VideoBundle) -> WriteReport:
        """All of one video's documents in one transaction, replacing stale ones in the indices it owns."""
        report = WriteReport()
        prepared = {index: self._prepare(index, docs, report) for index, docs in bundle.docs.items()}
        if report.failed:
            return report  # a partial video must not be checkpointed as done
        video_rows = self._prepare(IndexName.VIDEOS, [(bundle.video_id, bundle.video)], report)
        if report.failed:
            return report
        with self.journal.write() as conn:
            seq = self.journal.next_seq(conn)
            for index in bundle.replace:
                keep = {row.id for row in prepared.get(index, [])}
                stale = [i for i in self.journal.ids_of_video(conn, index, bundle.video_id) if i not in keep]
                report.deleted += self.journal.remove(conn, index, seq, stale)
            for index, rows in prepared.items():
                self.journal.put(conn, index, seq, rows)
                report.written += len(rows)
            self.journal.put(conn, IndexName.VIDEOS, seq, video_rows)
            report.written += 1
        return report

    def delete_video(self, video_id: str) -> int:
        removed = 0
        with self.journal.write() as conn:
            seq = self.journal.next_seq(conn)
            for index in IndexName:
                ids = [video_id] if index is IndexName.VIDEOS else self.journal.ids_of_video(conn, index, video_id)
                removed += self.journal.remove(conn, index, seq, ids)
        return removed

    # -- reads ----------------------------------------------------------------------------------------------
    def get(self, index: IndexName, ids: Sequence[str], with_vectors: bool = False) -> dict[str, dict[str, Any]]:
        index = IndexName(index)
        bodies = self.journal.bodies(index, ids)
        if with_vectors and index_schema(index).vectors:
            view = self.view(index)
            for doc_id, body in bodies.items():
                slot = view.slot_of.get(doc_id)
                for name, field in view.vectors.items():
                    if slot is not None and slot < len(field.present) and field.present.view()[slot]:
                        body[name] = field.matrix.view()[slot].tolist()
        return bodies

    def count(self, index: IndexName, filters: SearchFilters | None = None) -> int:
        index = IndexName(index)
        if filters is None or filters.is_empty():
            return self.journal.count(index)
        return int(self._allowed(index, filters).sum())

    def scan(self, index: IndexName, filters: SearchFilters | None = None, batch_size: int = 1000,
             with_vectors: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
        index = IndexName(index)
        if (filters is None or filters.is_empty()) and not with_vectors:
            for batch in self.journal.scan_bodies(index, batch_size):
                yield from batch
            return
        view = self.view(index)
        if filters is None or filters.is_empty():
            ids = sorted(view.slot_of)
        else:
            ids = sorted(view.ids[s] for s in np.flatnonzero(self._allowed(index, filters)))
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            bodies = self.get(index, chunk, with_vectors=with_vectors)
            yield from ((i, bodies[i]) for i in chunk if i in bodies)

    # -- search ---------------------------------------------------------------------------------------------
    def view(self, index: IndexName) -> IndexView:
        """The index's view, caught up with every committed write."""
        index = IndexName(index)
        with self._view_lock:
            view = self._views.get(index)
            if view is None:
                view = self._open_view(index)
                self._views[index] = view
            if self.journal.seq() != view.seq:
                seq, rows, gone = self.journal.changes(index, view.seq)
                view.apply(seq, rows, gone)
            return view

    def _new_view(self, index: IndexName) -> IndexView:
        s = self.settings
        return IndexView(index, self._dims(index), s.ann_threshold, s.ann_connectivity, s.ann_expansion_search)

    def _open_view(self, index: IndexName) -> IndexView:
        view = self._new_view(index)
        snapshot = self._latest_snapshot(index)
        if snapshot is not None:
            try:
                view.load(snapshot)
            except (OSError, ValueError, KeyError) as exc:  # a damaged snapshot is only a cache
                log.warning("ignoring unreadable snapshot %s (%s); rebuilding from the journal", snapshot, exc)
                view = self._new_view(index)
        return view

    def _allowed(self, index: IndexName, filters: SearchFilters | None, view: IndexView | None = None
                 ) -> np.ndarray:
        view = view or self.view(index)
        try:
            terms, ranges = (filters or SearchFilters()).clauses(index)
        except ValueError as exc:
            raise InvalidQuery(str(exc)) from None
        return view.mask(terms, ranges)

    def _analysed(self, analyzer_name: str, text: str) -> list[str]:
        key = (analyzer_name, text)
        tokens = self._query_cache.get(key)
        if tokens is None:
            tokens = analyze_many(analyzer_name, [text])[0]
            if len(self._query_cache) > 10_000:
                self._query_cache.clear()
            self._query_cache[key] = tokens
        return tokens

    def search(self, index: IndexName, retrievers: Sequence[Retriever], filters: SearchFilters | None = None
               ) -> dict[str, list[Candidate]]:
        index = IndexName(index)
        recorded = self.encoders()
        with self._view_lock:  # one consistent view for the mask and every retriever
            view = self.view(index)
            allowed = self._allowed(index, filters, view)
            return self._search_view(view, retrievers, allowed, recorded)

    def _search_view(self, view: IndexView, retrievers: Sequence[Retriever], allowed: np.ndarray,
                     recorded: Mapping[str, Any]) -> dict[str, list[Candidate]]:
        index = view.index
        schema = view.schema
        results: dict[str, list[Candidate]] = {}
        for retriever in retrievers:
            if isinstance(retriever, TextRetriever):
                unknown = [f for f in retriever.fields if f not in schema.analyzers]
                if unknown:
                    raise InvalidQuery(f"index {index!s} has no text fields {unknown}")
                analysed = {f: self._analysed(schema.analyzers[f], retriever.query) for f in retriever.fields}
                slots, scores = view.bm25(analysed, retriever.boosts, allowed, retriever.k)
            elif isinstance(retriever, VectorRetriever):
                field = schema.vectors.get(retriever.field)
                if field is None:
                    raise InvalidQuery(f"index {index!s} has no vector field {retriever.field!r}")
                check_query_encoder(retriever, field.encoder, recorded)
                if retriever.field not in view.vectors:
                    results[retriever.name] = []
                    continue
                slots, scores = view.knn(retriever.field, retriever.vector, retriever.k, allowed,
                                         retriever.num_candidates)
            else:  # pragma: no cover - the Retriever union is closed
                raise TypeError(retriever)
            results[retriever.name] = [Candidate(view.ids[s], float(v)) for s, v in zip(slots, scores, strict=True)]
        return results

    # -- maintenance ----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        for index in list(self._views):
            self.view(index)

    def _snapshot_root(self, index: IndexName) -> Path:
        return self.directory / "snapshots" / index.value

    def _latest_snapshot(self, index: IndexName) -> Path | None:
        root = self._snapshot_root(index)
        if not root.is_dir():
            return None
        done = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and
                      (p / "meta.json").is_file())
        return done[-1] if done else None

    def compact(self, force: bool = False) -> dict[str, int]:
        """Write fresh snapshots where enough changed; rebuild views that are mostly dead slots."""
        written: dict[str, int] = {}
        for index in IndexName:
            view = self.view(index)
            if len(view) and (len(view) - view.live_count) / len(view) > _DEAD_FOR_REBUILD:
                view = self._new_view(index)
                seq, rows, gone = self.journal.changes(index, 0)
                view.apply(seq, rows, gone)
                with self._view_lock:
                    self._views[index] = view
            latest = self._latest_snapshot(index)
            if not len(view) or (latest is not None and int(latest.name) == view.seq):
                continue
            if force or latest is None or view.unsaved_changes >= _DELTA_FOR_SNAPSHOT:
                for field in view.vectors.values():
                    field.sync_ann(view.live.padded(len(view)))
                self._write_snapshot(index, view)
                written[index.value] = view.live_count
        return written

    def _write_snapshot(self, index: IndexName, view: IndexView) -> None:
        root = self._snapshot_root(index)
        root.mkdir(parents=True, exist_ok=True)
        final = root / f"{view.seq:012d}"
        if final.exists():
            return
        tmp = root / f".tmp-{view.seq:012d}-{threading.get_ident()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        view.save(tmp)
        view.unsaved_changes = 0
        try:
            tmp.rename(final)  # atomic: a reader sees a whole snapshot or none
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        for old in root.iterdir():
            if old != final and not old.name.startswith(".tmp"):
                shutil.rmtree(old, ignore_errors=True)

    def stats(self) -> StoreStats:
        return StoreStats(
            backend=self.backend,
            location=str(self.directory),
            counts={index.value: self.journal.count(index) for index in IndexName},
            encoders=self.encoders(),
            extra={"seq": self.journal.seq()},
        )

    def edit_log(self):
        """Human edits live in their own table of the same database (``vidsearch.store.embedded.edits``)."""
        if self._edit_log is None:
            from vidsearch.store.embedded.edits import EmbeddedEditLog

            self._edit_log = EmbeddedEditLog(self.journal)
        return self._edit_log

    def close(self) -> None:
        self.journal.close()
