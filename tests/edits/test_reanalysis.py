"""Re-analysis never loses an edit: the video's next bundle goes through the overlay (as the ingest sink does) and
the edit wins; a changed machine value under it is flagged; role-title mappings reach new credits too."""

from __future__ import annotations

from tests.edits.conftest import CAPTIONS, CREDITS, video_bundle
from tests.edits.test_edit_layer import found
from vidsearch.edits.layer import EditLayer
from vidsearch.edits.overlay import overlay_bundle
from vidsearch.edits.records import EditTarget
from vidsearch.edits.roles import RoleTitles
from vidsearch.schema import IndexName


def reanalyse(store, settings, captions=CAPTIONS, credits=CREDITS):
    bundle = video_bundle(settings, captions=captions, credits=credits)
    report = overlay_bundle(store, settings, bundle)
    assert not store.commit_video(bundle).failed
    return report


def test_edit_survives_a_rerun_and_a_changed_machine_value_is_flagged(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    layer.edit(EditTarget.SEGMENT, "vid1.s0000", {"caption": "해운대 해수욕장"}, who="alice")
    layer.edit(EditTarget.CREDIT, "vid1.c0003", {"deleted": True}, who="alice")

    report = reanalyse(store, settings)  # same machine output: nothing to review
    assert report.flagged == [] and report.removed == 1
    assert found(store, "해운대") == ["vid1.s0000"]
    assert "vid1.c0003" not in store.get(IndexName.CREDITS, ["vid1.c0003"])

    new_machine = ["해운데 해수욕장 (new model)", *CAPTIONS[1:]]
    report = reanalyse(store, settings, captions=new_machine)
    assert report.flagged == ["segment vid1.s0000: caption"]
    state = layer.state(EditTarget.SEGMENT, "vid1.s0000")
    assert state.values["caption"] == "해운대 해수욕장" and state.review == ["caption"]
    assert state.machine["caption"] == new_machine[0]
    assert layer.revert(EditTarget.SEGMENT, "vid1.s0000", 0, who="alice").values["caption"] == new_machine[0]
    reanalyse(store, settings, captions=["해운대 (third model)", *CAPTIONS[1:]])  # reverted: the machine leads
    state = layer.state(EditTarget.SEGMENT, "vid1.s0000")
    assert state.values["caption"] == "해운대 (third model)" and state.review == [] and state.edited == []

    report = reanalyse(store, settings, captions=CAPTIONS[1:])  # the edited segment is gone after this run
    assert report.orphaned == []  # its edit was reverted: nothing active to lose
    layer.edit(EditTarget.SEGMENT, "vid1.s0001", {"caption": "palace"}, who="alice")
    report = reanalyse(store, settings, captions=CAPTIONS[:1])
    assert report.orphaned == ["segment vid1.s0001"]


def test_role_title_mapping_codes_every_credit_with_the_title_now_and_after_reanalysis(archive):
    settings, store = archive
    titles = RoleTitles(EditLayer(store, settings))
    queue = titles.queue(suggest=False)
    assert [(q.title, q.credits) for q in queue] == [("음향효과맨", 2), ("조명기사", 1)]  # most frequent first
    mapping = titles.map("음향 효과맨", "23.8", who="alice", reason="foley")
    assert mapping.credits_updated == 2 and mapping.code == "23.8"
    codes = {i: b.get("role_code") for i, b in store.scan(IndexName.CREDITS)}
    assert codes["vid1.c0001"] == codes["vid1.c0002"] == "23.8"
    assert [q.title for q in titles.queue(suggest=False)] == ["조명기사"]
    assert "23.8\t음향 효과맨" in titles.site_titles_path().read_text(encoding="utf-8")

    reanalyse(store, settings, credits=[*CREDITS, ("음향효과맨", "정수빈", None)])
    assert store.get(IndexName.CREDITS, ["vid1.c0004"])["vid1.c0004"]["role_code"] == "23.8"

    titles.map("음향효과맨", None, who="alice", reason="wrong code")
    assert store.get(IndexName.CREDITS, ["vid1.c0001"])["vid1.c0001"].get("role_code") is None


def test_one_edit_of_two_fields_flags_only_the_field_whose_machine_value_changed(archive):
    settings, store = archive
    layer = EditLayer(store, settings)
    layer.edit(EditTarget.SEGMENT, "vid1.s0001", {"caption": "palace lanterns", "title": "궁궐 야경"}, who="alice")
    report = reanalyse(store, settings, captions=[CAPTIONS[0], "a palace at night (new model)", CAPTIONS[2]])
    assert report.flagged == ["segment vid1.s0001: caption"]
    state = layer.state(EditTarget.SEGMENT, "vid1.s0001")
    assert state.review == ["caption"] and state.edited == ["caption", "title"]  # the title's machine value held
