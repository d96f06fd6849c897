"""Re-analysis never loses a human edit: before a video's documents are committed (a rerun, a new model, a
reindex into a new index version), the video's edits and the archive's role-title mappings are applied to them.
Where the machine value under an edit changed, the edit still wins and its record is flagged for review; edits
whose item the new analysis no longer produces are kept and flagged too (they apply again if it returns)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vidsearch.edits.documents import apply_edits, embedded_text_changed, refresh_text_vector
from vidsearch.edits.fields import TARGET_INDEX
from vidsearch.edits.records import EditTarget, ItemEdits, fold
from vidsearch.edits.roles import title_mappings
from vidsearch.store.base import IndexBackend, VideoBundle

if TYPE_CHECKING:
    from vidsearch.config import Settings

log = logging.getLogger(__name__)


@dataclass
class OverlayReport:
    applied: int = 0  # documents changed by edits
    removed: int = 0  # documents deleted by edits
    flagged: list[str] = field(default_factory=list)  # "target id: field" whose machine value changed
    orphaned: list[str] = field(default_factory=list)  # edited items this analysis no longer produces


def _flag(edit_log, edits: ItemEdits, body: dict, report: OverlayReport) -> None:
    """Record the machine values re-analysis produced under the item's edits; flag those that changed."""
    updates: dict[str, dict] = {}
    for name, (record, change) in edits.latest.items():
        if name == "deleted":
            continue
        incoming = body.get(name)
        if incoming == edits.machine(name):
            continue
        entry = updates.setdefault(record.id, {"record": record, "machine_now": dict(record.machine_now),
                                               "review": record.review})
        entry["machine_now"][name] = incoming
        if not change.follows_machine:
            entry["review"] = True
            report.flagged.append(f"{edits.target} {edits.target_id}: {name}")
    for record_id, entry in updates.items():
        note = "the machine value under this edit changed on re-analysis" if entry["review"] else None
        edit_log.mark(record_id, {"machine_now": entry["machine_now"], "review": entry["review"],
                                  "note": note or entry["record"].note})


def overlay_bundle(store: IndexBackend, settings: Settings, bundle: VideoBundle) -> OverlayReport:
    """Apply the video's edits to ``bundle`` in place, before ``commit_video``."""
    report = OverlayReport()
    edit_log = store.edit_log()
    items = fold(edit_log.of_video(bundle.video_id))
    titles = title_mappings(edit_log) if TARGET_INDEX[EditTarget.CREDIT] in bundle.docs else {}
    if not items and not titles:
        return report
    recorded = None
    for target, index in TARGET_INDEX.items():
        docs = bundle.docs.get(index)
        if docs is None:
            continue
        out = []
        for doc_id, body in docs:
            edits = items.get((target.value, doc_id))
            if edits is None and not (titles and target is EditTarget.CREDIT):
                out.append((doc_id, body))
                continue
            if edits is not None:
                _flag(edit_log, edits, body, report)
            new = apply_edits(settings, target, body, edits, titles)
            if new is None:
                report.removed += 1
                continue
            if target is EditTarget.SEGMENT and embedded_text_changed(body, new):
                recorded = recorded if recorded is not None else store.encoders()
                refresh_text_vector(settings, new, recorded)
            report.applied += new != body
            out.append((doc_id, new))
        bundle.docs[index] = out
        if index in bundle.replace:
            present = {doc_id for doc_id, _ in docs}
            for (kind, item_id), edits in items.items():
                if kind == target.value and item_id not in present and edits.active():
                    report.orphaned.append(f"{target} {item_id}")
                    latest = edits.records[-1]
                    edit_log.mark(latest.id, {"review": True, "note": "re-analysis no longer produces this item; "
                                              "the edit is kept and applies again if it returns"})
    if report.flagged or report.orphaned:
        log.warning("video %s: %d edited field(s) whose machine value changed, %d edited item(s) gone — flagged "
                    "for review (vidsearch edits review)", bundle.video_id, len(report.flagged),
                    len(report.orphaned))
    return report
