"""``vidsearch faces`` as a user runs it."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from vidsearch.cli import _register, app
from vidsearch.schema import IndexName

_register()
runner = CliRunner()


def test_search_prints_the_videos_and_their_appearances(archive, people):
    settings, _ = archive
    result = runner.invoke(app, ["faces", "search", str(people["Mark"][0].path), "--data-dir",
                                 str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert "news" in result.output and "talk" not in result.output  # the programme titles
    assert re.search(r"00:(08\.[5-9]|09\.[0-5])–00:(18\.[5-9]|19\.[0-5])", result.output)  # Mark: 9–19 s


def test_search_json_is_machine_readable(archive, people):
    settings, _ = archive
    result = runner.invoke(app, ["faces", "search", str(people["Angelina"][0].path), "--json", "--data-dir",
                                 str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {v["file_name"] for v in body["videos"]} == {"news.mp4", "talk.mp4"}
    assert body["videos"][0]["distance"] <= body["max_distance"]


def test_top_level_search_takes_a_face_photo(archive, people):
    settings, _ = archive
    result = runner.invoke(app, ["search", "--face", str(people["Mark"][0].path), "--json", "--data-dir",
                                 str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert [v["file_name"] for v in json.loads(result.output)["videos"]] == ["news.mp4"]
    missing = runner.invoke(app, ["search", "--data-dir", str(settings.data_dir)])
    assert missing.exit_code == 2 and "--face PHOTO" in missing.output


def test_bad_photos_are_one_line_errors(archive, tmp_path):
    settings, _ = archive
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture")
    result = runner.invoke(app, ["faces", "search", str(notes), "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 2
    assert "notes.jpg: not an image" in result.output and "Traceback" not in result.output


def test_identities_list(archive):
    settings, _ = archive
    result = runner.invoke(app, ["faces", "identities", "--json", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 4


@pytest.mark.slow
def test_index_with_ray_then_search_name_and_undo(tmp_path, composed_talk, people):
    """The whole path: `vidsearch index` (Ray) with the faces stage, then identity commands."""
    data = tmp_path / "data"
    config = tmp_path / "vidsearch.toml"
    config.write_text(f'data_dir = "{data}"\nlog_level = "WARNING"\n[ingest]\nstages = ["shots", "metadata", '
                      f'"faces"]\n[ray]\nnum_cpus = 2\nprogress_bars = false\n')
    indexed = run_cli("index", str(composed_talk.path), "--config", str(config), "--json")
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    summary = json.loads(indexed.stdout[indexed.stdout.index("{"):])
    assert summary["videos_ok"] == 1 and summary["persons"] == 2

    found = run_cli("faces", "search", str(people["Jennifer"][0].path), "--config", str(config), "--json")
    assert found.returncode == 0, found.stderr[-2000:]
    (video,) = json.loads(found.stdout)["videos"]
    identity = video["persons"][0]["identity_id"]

    named = run_cli("faces", "name", identity, "Jennifer Aniston", "--config", str(config))
    assert named.returncode == 0 and "named" in named.stdout
    listed = json.loads(run_cli("faces", "identities", "--named", "--json", "--config", str(config)).stdout)
    assert [i["name"] for i in listed] == ["Jennifer Aniston"]
    undone = run_cli("faces", "undo", "--config", str(config))
    assert undone.returncode == 0 and "undid" in undone.stdout
    listed = json.loads(run_cli("faces", "identities", "--named", "--json", "--config", str(config)).stdout)
    assert listed == []
    missing = run_cli("faces", "undo", "ev-nope", "--config", str(config))
    assert missing.returncode == 2 and "no identity event 'ev-nope'" in missing.stderr


def test_naming_twice_records_once_and_edits_print_no_log_lines(archive, tmp_path):
    """As a user runs it (a subprocess, default log level): `--named` with nothing named says so, a rename to
    the same name records nothing, and no INFO log line reaches stderr."""
    import shutil

    settings, store = archive
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    args = ("--data-dir", str(data))
    listed = run_cli("faces", "identities", "--named", *args)
    assert listed.returncode == 0 and "no identity is named yet" in listed.stdout, listed.stderr[-1000:]
    identity = next(b["identity_id"] for _, b in store.scan(IndexName.PERSONS))
    first = run_cli("faces", "name", identity, "Someone", *args)
    assert first.returncode == 0 and "named" in first.stdout, first.stderr[-1000:]
    assert "INFO" not in first.stderr and "identities name" not in first.stderr
    again = run_cli("faces", "name", identity, "Someone", *args)
    assert again.returncode == 0 and "nothing recorded" in again.stdout
    history = json.loads(run_cli("faces", "history", "--json", *args).stdout)
    assert [e["kind"] for e in history] == ["name"]
