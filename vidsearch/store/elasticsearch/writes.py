"""The Elasticsearch store's write path: checked documents in bulk, mirrored to a version being built.

A write through the alias carries ``require_alias`` (a missing alias is an error, never an auto-created plain
index), and what it wrote is repeated in every newer version being built (``mirror``). A write aimed at a version
being built (``es.write_versions``) is build-mode: no refresh and no delete-by-query per video; stale documents
are left to the ledger that ``finish`` applies once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from vidsearch.errors import DocumentRejected, StoreError
from vidsearch.schema import IndexName, index_schema
from vidsearch.store.base import VideoBundle, WriteReport, check_document
from vidsearch.store.elasticsearch import mirror, queries
from vidsearch.store.elasticsearch.bulk import AckCallback, Action, BulkInterrupted

log = logging.getLogger(__name__)

Item = tuple[str, dict[str, Any]]  # (op, bulk response item)


class WritePath:
    """Mixed into ``ElasticsearchStore`` (which provides client, settings, versions, writer, watch)."""

    # -- targets --------------------------------------------------------------------------------------------
    def _through_alias(self, index: IndexName) -> bool:
        return index.value not in self.settings.write_versions

    def _build_mode(self, index: IndexName) -> bool:
        """Writes go straight into a version that is still being built (not yet swapped in)."""
        return not self._through_alias(index) and self.watch.building(index, self.write_target(index))

    def _index_of(self, name: str) -> IndexName | None:
        """The index behind an alias or versioned index name (None for anything else, e.g. the ledger)."""
        return next((i for i in IndexName if name == self.versions.alias(i)
                     or self.versions.version_of(i, name) is not None), None)

    def _dims_of(self, index: IndexName, target: str) -> dict[str, int]:
        recorded = self._recorded(target).get("encoders", {})
        return {name: int(recorded[f.encoder]["dims"]) for name, f in index_schema(index).vectors.items()
                if f.encoder in recorded}

    # -- checks and actions ---------------------------------------------------------------------------------
    def _checked(self, index: IndexName, docs: Iterable[tuple[str, Mapping[str, Any]]], report: WriteReport
                 ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The embedded store's checks, lazily: rejected documents are reported and never sent."""
        dims = self._dims(index)
        for doc_id, body in docs:
            try:
                yield doc_id, check_document(index, doc_id, body, dims, require_dims=True)
            except DocumentRejected as exc:
                report.failed.append((doc_id, exc.reason))

    def _index_actions(self, index: IndexName, docs: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[Action]:
        target = self.write_target(index)
        alias = self._through_alias(index)
        for doc_id, body in docs:
            action: Action = {"_op_type": "index", "_index": target, "_id": doc_id, "_source": body}
            if alias:
                action["require_alias"] = True
            yield action

    def _delete_actions(self, index: IndexName, ids: Iterable[str]) -> list[Action]:
        target = self.write_target(index)
        return [{"_op_type": "delete", "_index": target, "_id": str(i)} for i in ids]

    # -- sending --------------------------------------------------------------------------------------------
    def _write(self, actions: Iterable[Action], report: WriteReport, on_ack: AckCallback | None = None
               ) -> WriteReport:
        """Bulk-write; if the stream is interrupted, its report also names the documents rejected before."""
        try:
            return self.writer.write(actions, on_ack)
        except BulkInterrupted as exc:
            exc.report.failed[:0] = report.failed
            raise

    def _send(self, actions: list[Action], report: WriteReport, on_ack: AckCallback | None = None
              ) -> WriteReport:
        """Write, then mirror what was acknowledged into newer versions (also when the stream broke off)."""
        acked: list[Item] = []
        try:
            out = self.writer.write(actions, on_ack, on_item=lambda op, info: acked.append((op, info)))
        except BulkInterrupted as exc:
            exc.report.failed[:0] = report.failed
            try:
                exc.report.merge(self._mirror(actions, acked))
            except StoreError as lost:
                log.warning("mirroring after an interrupted write failed too: %s", lost)
            raise
        return out.merge(self._mirror(actions, acked))

    def _mirror(self, actions: list[Action], acked: list[Item]) -> WriteReport:
        """Repeat acknowledged writes in each newer version being built, at the live version (external)."""
        report = WriteReport()
        if not acked:
            return report
        sources = {(self._index_of(a["_index"]), a["_id"], a["_op_type"]): a.get("_source") for a in actions}
        copies: dict[str, list[Action]] = {}
        targets: dict[str, tuple[IndexName | None, list[str]]] = {}
        for op, info in acked:
            landed = str(info.get("_index", ""))
            if landed not in targets:
                index = self._index_of(landed)
                targets[landed] = (index, self.watch.targets(index, landed) if index is not None else [])
            index, newer = targets[landed]
            for target in newer:
                action: Action = {"_op_type": op, "_index": target, "_id": info["_id"],
                                  "version": int(info["_version"]), "version_type": "external"}
                if op != "delete":
                    body = sources.get((index, info["_id"], op))
                    try:
                        action["_source"] = check_document(index, info["_id"], body or {},
                                                           self._dims_of(index, target), require_dims=True)
                    except DocumentRejected as exc:  # another encoder in the new version: a re-ingest fills it
                        log.warning("not mirrored into %s: %s", target, exc.reason)
                        continue
                copies.setdefault(target, []).append(action)
        for target, batch in copies.items():
            written = self.writer.write(batch)
            report.failed += [(doc_id, f"written to the live index but not to {target}, which a reindex is "
                                       f"building: {reason}") for doc_id, reason in written.failed]
        return report

    # -- the IndexBackend writes ----------------------------------------------------------------------------
    def upsert(self, index: IndexName, docs: Iterable[tuple[str, Mapping[str, Any]]],
               on_ack: AckCallback | None = None) -> WriteReport:
        """Stream documents in bulk (any iterable: memory stays flat — through the alias, ``es.mirror_window``
        documents at a time, kept to mirror them). Rejected and failed ids are reported."""
        index = IndexName(index)
        report = WriteReport()
        self.cluster_info()
        checked = self._checked(index, docs, report)
        if not self._through_alias(index):
            return report.merge(self._write(self._index_actions(index, checked), report, on_ack))
        while window := list(itertools.islice(checked, self.settings.mirror_window)):
            try:
                report.merge(self._send(list(self._index_actions(index, window)), report, on_ack))
            except BulkInterrupted as exc:
                exc.report.failed += [(doc_id, "not sent: the write was interrupted") for doc_id, _ in checked]
                raise
        return report

    def delete(self, index: IndexName, ids: Sequence[str]) -> int:
        index = IndexName(index)
        self.cluster_info()
        actions = self._delete_actions(index, ids)
        report = self._send(actions, WriteReport()) if self._through_alias(index) else self.writer.write(actions)
        if report.failed:
            raise StoreError(f"could not delete {len(report.failed)} documents from {self.write_target(index)}: "
                             f"{report.failed[0]}")
        return report.deleted

    def commit_video(self, bundle: VideoBundle) -> WriteReport:
        """The video's documents, then the removal of its stale ones, then the video document (the checkpoint).
        Anything rejected or failed stops the commit before the checkpoint, so the video is redone."""
        report = WriteReport()
        self.cluster_info()
        checked = {IndexName(index): list(self._checked(IndexName(index), docs, report))
                   for index, docs in bundle.docs.items()}
        video = list(self._checked(IndexName.VIDEOS, [(bundle.video_id, bundle.video)], report))
        if report.failed:
            return report
        actions = [a for index, docs in checked.items() for a in self._index_actions(index, docs)]
        replace = [IndexName(i) for i in bundle.replace]
        deferred = [i for i in replace if self._build_mode(i)]
        actions += [mirror.ledger_action(self.settings, self.write_target(i), i, bundle.video_id,
                                         [doc_id for doc_id, _ in checked.get(i, [])]) for i in deferred]
        report.merge(self._send(actions, report))
        if report.failed:
            return report
        for index in (i for i in replace if i not in deferred):
            keep = [doc_id for doc_id, _ in checked.get(index, [])]
            stale = mirror.stale_ids(self._reader, self.url, self.write_target(index),
                                     queries.owned_ids_query(bundle.video_id, keep))
            if stale:
                removed = self._send(self._delete_actions(index, stale), report)
                report.deleted += removed.deleted
                if removed.failed:
                    report.failed.extend((bundle.video_id, f"removing stale {index!s}: {doc_id}: {reason}")
                                         for doc_id, reason in removed.failed[:10])
                    return report
        report.merge(self._send(list(self._index_actions(IndexName.VIDEOS, video)), report))
        return report

    def delete_video(self, video_id: str) -> int:
        self.cluster_info()
        removed = self.delete(IndexName.VIDEOS, [video_id])  # the checkpoint first: a partial delete is redone
        for index in (IndexName.SEGMENTS, IndexName.PERSONS, IndexName.CREDITS):
            target = self.write_target(index)
            if self._build_mode(index):
                ledger = self.writer.write([mirror.ledger_action(self.settings, target, index, video_id, [])])
                if ledger.failed:
                    raise StoreError(f"removing video {video_id!r} from {target}: {ledger.failed[0][1]}")
                continue
            stale = mirror.stale_ids(self._reader, self.url, target, queries.video_term(video_id))
            if stale:
                removed += self.delete(index, stale)
        return removed
