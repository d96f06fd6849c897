"""The edit layer on the embedded store: what a search finds after an edit, a revert and an undo; versions,
conflicts and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from vidsearch.edits.layer import EditLayer
from vidsearch.edits.records import EditRejected, EditTarget, StaleVersion, UndoBlocked
from vidsearch.errors import NotFound
from vidsearch.schema import IndexName
from vidsearch.store.base import TextRetriever

SEG = EditTarget.SEGMENT


def found(store, word: str) -> list[str]:
    hits = store.search(IndexName.SEGMENTS, [TextRetriever("t", word, ("caption", "caption.ko", "keywords"))])
    return [c.id for c in hits["t"]]


def test_caption_edit_is_searchable_at_once_and_revert_takes_it_back(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    before = np.asarray(store.get(IndexName.SEGMENTS, ["vid1.s0000"], with_vectors=True)["vid1.s0000"]["text_vec"])
    assert found(store, "해운대") == []
    state = layer.edit(SEG, "vid1.s0000", {"caption": "해운대 해수욕장의 여름 풍경"}, who="alice",
                       reason="OCR misread 운 as 문")
    assert state.version == 1 and state.edited == ["caption"]
    assert state.machine["caption"] == "해문대 해수욕장의 여름 풍경"
    assert found(store, "해운대") == ["vid1.s0000"]
    after = np.asarray(store.get(IndexName.SEGMENTS, ["vid1.s0000"], with_vectors=True)["vid1.s0000"]["text_vec"])
    assert not np.allclose(before, after)  # the text vector follows the edited caption

    layer.edit(SEG, "vid1.s0000", {"keywords": ["부산", "beach"]}, who="bob", version=1)
    assert found(store, "부산") == ["vid1.s0000"]
    reverted = layer.revert(SEG, "vid1.s0000", 0, who="alice", reason="wrong segment")
    assert reverted.version == 3 and reverted.edited == [] and reverted.values["caption"].startswith("해문대")
    assert found(store, "해운대") == [] and found(store, "부산") == []
    restored = np.asarray(store.get(IndexName.SEGMENTS, ["vid1.s0000"], with_vectors=True)["vid1.s0000"]["text_vec"])
    assert np.allclose(before, restored, atol=1e-5)
    history = layer.state(SEG, "vid1.s0000").history
    assert [(r.version, r.kind, r.who) for r in history] == [(3, "revert", "alice"), (2, "edit", "bob"),
                                                             (1, "edit", "alice")]
    assert history[-1].reason == "OCR misread 운 as 문"

    again = layer.revert(SEG, "vid1.s0000", 2, who="alice")  # any version, not only the machine one
    assert again.values["keywords"] == ["부산", "beach"] and found(store, "해운대") == ["vid1.s0000"]


def test_stale_version_is_refused_with_the_current_one(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    layer.edit(SEG, "vid1.s0001", {"caption": "palace"}, who="alice", version=0)
    with pytest.raises(StaleVersion) as err:
        layer.edit(SEG, "vid1.s0001", {"caption": "castle"}, who="bob", version=0)
    assert err.value.status == 409 and err.value.current == 1 and "version 1" in str(err.value)
    assert layer.state(SEG, "vid1.s0001").values["caption"] == "palace"


def test_undo_refused_while_a_later_edit_depends_on_it(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    first = layer.edit(SEG, "vid1.s0002", {"caption": "kimchi jjigae"}, who="alice").history[0]
    second = layer.edit(SEG, "vid1.s0002", {"caption": "kimchi jjigae, spicy"}, who="bob").history[0]
    with pytest.raises(UndoBlocked) as err:
        layer.undo(SEG, "vid1.s0002", first.id, who="alice")
    assert second.id in str(err.value) and "bob" in str(err.value)
    layer.undo(SEG, "vid1.s0002", second.id, who="bob")
    state = layer.undo(SEG, "vid1.s0002", first.id, who="alice")
    assert state.values["caption"] == "kimchi stew in a small kitchen" and state.edited == []


def test_bad_input_is_refused_and_stored_text_stays_text(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    with pytest.raises(EditRejected, match="cannot be edited"):
        layer.edit(SEG, "vid1.s0000", {"start_s": 3}, who="alice")
    with pytest.raises(EditRejected, match="limit"):
        layer.edit(SEG, "vid1.s0000", {"caption": "x" * (settings.edits.max_text_chars + 1)}, who="alice")
    with pytest.raises(NotFound):
        layer.edit(SEG, "vid1.s9999", {"caption": "nothing here"}, who="alice")
    script = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    state = layer.edit(SEG, "vid1.s0000", {"caption": script}, who="alice")
    assert state.values["caption"] == script  # stored verbatim as text; the page escapes it
    assert layer.state(SEG, "vid1.s0000").version == 1


def test_credit_edits_role_code_checks_and_delete_with_restore(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    with pytest.raises(EditRejected, match="unknown role code") as err:
        layer.edit(EditTarget.CREDIT, "vid1.c0001", {"role_code": "99.99"}, who="alice")
    assert "role-codes" in str(err.value)
    state = layer.edit(EditTarget.CREDIT, "vid1.c0001", {"role_code": "6.1", "name": "이영희 "}, who="alice")
    body = store.get(IndexName.CREDITS, ["vid1.c0001"])["vid1.c0001"]
    assert body["role_code"] == "6.1" and body["role_label"] and state.values["name"] == "이영희"
    layer.edit(EditTarget.CREDIT, "vid1.c0003", {"deleted": True}, who="alice", reason="not a credit")
    assert "vid1.c0003" not in store.get(IndexName.CREDITS, ["vid1.c0003"])
    assert layer.state(EditTarget.CREDIT, "vid1.c0003").deleted
    layer.revert(EditTarget.CREDIT, "vid1.c0003", 0, who="alice")
    assert store.get(IndexName.CREDITS, ["vid1.c0003"])["vid1.c0003"]["name"] == "최지훈"
