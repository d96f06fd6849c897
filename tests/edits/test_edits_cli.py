"""``vidsearch edits`` and ``vidsearch relevance export`` as a user runs them, over an embedded archive."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.edits.test_edit_layer import found
from ranking.evaluation.judgments import load_judgments
from vidsearch.edits.desk import EditDesk
from vidsearch.edits.judgments import query_id

pytestmark = pytest.mark.slow  # each command is a fresh Python process (~15 s of imports on this machine)


def test_set_show_log_revert_and_map_a_role_title(archive):
    settings, store = archive
    data = ["--data-dir", str(settings.data_dir)]
    done = run_cli("edits", "set", "segment", "vid1.s0000", "caption=해운대 해수욕장", "keywords=부산,beach",
                   "--who", "carol", "--reason", "OCR", *data)
    assert done.returncode == 0, done.stderr
    assert found(store, "해운대") == ["vid1.s0000"]
    shown = json.loads(run_cli("edits", "show", "segment", "vid1.s0000", "--json", *data).stdout)
    assert shown["version"] == 1 and shown["values"]["keywords"] == ["부산", "beach"]
    stale = run_cli("edits", "set", "segment", "vid1.s0000", "caption=x", "--version", "0", *data)
    assert stale.returncode != 0 and "version 1" in stale.stderr + stale.stdout
    log = json.loads(run_cli("edits", "log", "--who", "carol", "--json", *data).stdout)
    assert [r["kind"] for r in log] == ["edit"]
    assert run_cli("edits", "revert", "segment", "vid1.s0000", "--to", "0", *data).returncode == 0
    assert found(store, "해운대") == []

    bad = run_cli("edits", "map-role", "조명기사", "99.99", *data)
    assert bad.returncode != 0 and "unknown role code" in bad.stderr + bad.stdout
    assert run_cli("edits", "map-role", "조명기사", "15.8", *data).returncode == 0
    queue = json.loads(run_cli("edits", "roles", "--no-suggest", "--json", *data).stdout)
    assert [q["title"] for q in queue] == ["음향효과맨"]


def test_relevance_export_writes_judgments_relevance_eval_reads(archive, tmp_path):
    settings, store = archive
    desk = EditDesk(store, settings)
    ranking = ["vid1.s0001", "vid1.s0000"]
    desk.judge("palace at night", "vid1.s0001", 1, "alice", profile="default", ranking=ranking, rank=1)
    desk.judge("palace at night", "vid1.s0000", 0, "alice", ranking=ranking, rank=2)
    desk.judge("Palace  at NIGHT", "vid1.s0000", 2, "bob")  # the same query: the newest grade wins
    desk.judge("김치찌개", "vid1.s0002", 1, "bob")
    out = tmp_path / "judged.jsonl"
    done = run_cli("relevance", "export", "--out", str(out), "--data-dir", str(settings.data_dir))
    assert done.returncode == 0, done.stderr
    judgments = load_judgments(out)
    assert len(judgments) == 2 and judgments.queries
    palace = query_id("palace at night")
    assert judgments.qrels[palace] == {"vid1.s0001": 1, "vid1.s0000": 2}
    trec = tmp_path / "judged.qrels"
    assert run_cli("relevance", "export", "--out", str(trec), "--format", "trec",
                   "--data-dir", str(settings.data_dir)).returncode == 0
    assert load_judgments(trec).qrels == judgments.qrels and trec.with_suffix(".queries.jsonl").is_file()
