"""Edits applied to a stored document body: the one function both the edit layer (at once, on the item edited)
and the re-analysis overlay (on every document a rerun produces) use, so the two can never disagree."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from vidsearch.credits.roles.text import compact_key, normalise_role_text
from vidsearch.edits.fields import role_fields
from vidsearch.edits.records import EditTarget, ItemEdits

if TYPE_CHECKING:
    from vidsearch.config import Settings

log = logging.getLogger(__name__)

# the fields the text vector embeds (vidsearch.stages.text_vectors.segment_text)
_EMBEDDED = ("ocr_text", "credits_text", "caption", "title")


def title_key(role_text: str | None) -> str:
    return compact_key(normalise_role_text(role_text or ""))


def apply_edits(settings: Settings, target: EditTarget, body: dict[str, Any], edits: ItemEdits | None,
                titles: dict[str, str] | None = None) -> dict[str, Any] | None:
    """``body`` (machine values) with the item's edits and, for credits, the archive's role-title mappings
    applied. None when the item is deleted by an edit."""
    out = dict(body)
    role_code_edited = False
    if edits is not None:
        active = edits.active()
        if active.get("deleted"):
            return None
        for name, (_, change) in edits.latest.items():
            if name == "deleted":
                continue
            value = change.new if not change.follows_machine else body.get(name)  # body: the machine values
            if name == "role_code":  # label and department follow the code
                role_code_edited = not change.follows_machine
                out.update(role_fields(settings, value))
                continue
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
    if target is EditTarget.CREDIT and titles and not role_code_edited:
        code = titles.get(title_key(out.get("role_text")))
        if code is not None:
            out.update(role_fields(settings, code))
    return {k: v for k, v in out.items() if v is not None}


def embedded_text_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(before.get(f) != after.get(f) for f in _EMBEDDED)


def refresh_text_vector(settings: Settings, body: dict[str, Any], recorded: dict[str, Any]) -> None:
    """Recompute a segment's ``text_vec`` from its (edited) text with the encoder the index was built by. Left
    as it is when the index records no text encoder or the configured one differs (the vector would be refused)."""
    from vidsearch.documents import Segment
    from vidsearch.stages.text_vectors import segment_text

    info = recorded.get("text")
    if info is None:
        return
    encoder = text_encoder(settings)
    if encoder.identity != info["id"]:
        log.warning("text vector not recomputed: the index was built by %s, the configured encoder is %s",
                    info["id"], encoder.identity)
        return
    fields = {k: v for k, v in body.items() if k in Segment.model_fields and not k.endswith("_vec")}
    text = segment_text(Segment.model_construct(**fields))
    if not text:
        body.pop("text_vec", None)
        return
    body["text_vec"] = np.asarray(encoder.encode_documents([text])[0], np.float32).tolist()


def text_encoder(settings: Settings):
    """The document encoder the text-vector stage uses (loaded once per process, on the first text edit)."""
    from vidsearch.encoders.text import load_text_encoder

    return load_text_encoder(settings.models.text, settings.models.local_files_only)
