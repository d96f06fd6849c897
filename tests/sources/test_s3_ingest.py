"""``vidsearch index s3://…`` the way an operator runs it: a real S3 HTTP server on 127.0.0.1 (moto, signatures
checked), credentials from the standard AWS variables, a bucket of real clips with one corrupt object."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.sources.conftest import BUCKET, PROGRAMMES
from testkit.s3 import free_port
from vidsearch.schema import IndexName
from vidsearch.store.embedded.store import EmbeddedStore

FAST_STAGES = '["shots", "metadata"]'


def _env(s3, **overrides) -> dict[str, str]:
    return {**s3.env(**overrides), "VIDSEARCH_INGEST__STAGES": FAST_STAGES, "VIDSEARCH_RAY__NUM_CPUS": "2",
            "VIDSEARCH_LOG_LEVEL": "WARNING"}


def _no_secret(result, s3, *extra: str) -> None:
    for secret in (s3.secret_key, *extra):
        assert secret not in result.stdout and secret not in result.stderr


@pytest.mark.slow
def test_a_bucket_prefix_is_indexed_and_the_corrupt_object_named_by_uri(s3, archive, tmp_path):
    """A corrupt object among 100 video inputs: 99 indexed, 1 reported by its URI."""
    assert sorted(archive.values()).count("video") + sorted(archive.values()).count("corrupt") == 100
    data = tmp_path / "data"
    result = run_cli("index", f"s3://{BUCKET}/news/", "--data-dir", str(data), "--json", env=_env(s3),
                     timeout=420)
    assert result.returncode == 0, result.stderr[-3000:]
    _no_secret(result, s3)
    summary = json.loads(result.stdout)
    assert summary["videos_ok"] == PROGRAMMES
    corrupt = [uri for uri, kind in archive.items() if kind == "corrupt"]
    assert [path for path, _ in summary["videos_failed"]] == corrupt
    assert corrupt[0] in summary["videos_failed"][0][1] and "corrupt" in summary["videos_failed"][0][1].lower()
    assert summary["ignored_files"] == 2  # notes.txt and the sidecar

    store = EmbeddedStore(data / "store")
    try:
        videos = store.get(IndexName.VIDEOS, [v for v, _ in store.scan(IndexName.VIDEOS)])
    finally:
        store.close()
    assert sorted(v["path"] for v in videos.values()) == sorted(u for u, k in archive.items() if k == "video")
    first = next(v for v in videos.values() if v["path"].endswith("news/prog000.mp4"))
    assert first["programme_title"] == "버킷 뉴스" and first["channel"] == "KBS1"  # sidecar object read
    assert first["file_name"] == "prog000.mp4"
    cache = data / "cache" / "objects"
    assert not any(cache.iterdir()), f"object cache not emptied: {list(cache.iterdir())}"
    for saved in (data / "jobs").glob("*.json"):
        assert s3.secret_key not in saved.read_text()

    again = run_cli("index", f"s3://{BUCKET}/news/", "--data-dir", str(data), "--json", env=_env(s3), timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    rerun = json.loads(again.stdout)
    assert rerun["videos_unchanged"] == PROGRAMMES and rerun["videos_ok"] == 0  # checkpoints by content hash


@pytest.mark.slow
def test_a_wrong_secret_is_refused_with_a_clear_line_and_never_printed(s3, archive, tmp_path):
    wrong = "WRONG-SECRET-" + "x" * 27
    result = run_cli("index", f"s3://{BUCKET}/news/", "--data-dir", str(tmp_path / "d"),
                     env=_env(s3, secret=wrong), timeout=180)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"s3://{BUCKET}/news/" in result.stderr and "access denied" in result.stderr
    assert "Traceback" not in result.stderr
    _no_secret(result, s3, wrong)


@pytest.mark.slow
def test_missing_credentials_say_where_credentials_come_from(s3, archive, tmp_path):
    result = run_cli("index", f"s3://{BUCKET}/news/", "--data-dir", str(tmp_path / "d"),
                     env={**_env(s3, with_keys=False), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
                     timeout=180)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no usable credentials" in result.stderr and "AWS_ACCESS_KEY_ID" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_an_unreachable_endpoint_fails_fast_and_clearly(s3, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = run_cli("index", f"s3://{BUCKET}/news/", "--data-dir", str(tmp_path / "d"),
                     env={**_env(s3), "VIDSEARCH_SOURCES__S3_ENDPOINT_URL": dead,
                          "VIDSEARCH_SOURCES__CONNECT_TIMEOUT_S": "1", "VIDSEARCH_SOURCES__ATTEMPTS": "1"},
                     timeout=180)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot reach the object store" in result.stderr and f"s3://{BUCKET}/news/" in result.stderr
    assert time.monotonic() - started < 90
    _no_secret(result, s3)


@pytest.mark.slow
def test_a_missing_bucket_and_an_empty_prefix(s3, archive, tmp_path):
    result = run_cli("index", "s3://no-such-bucket/x/", "--data-dir", str(tmp_path / "d"), env=_env(s3),
                     timeout=180)
    assert result.returncode == 2 and "no such bucket" in result.stderr, result.stderr[-2000:]
    empty = run_cli("index", f"s3://{BUCKET}/nothing-here/", "--data-dir", str(tmp_path / "e"), "--json",
                    env=_env(s3), timeout=180)
    summary = json.loads(empty.stdout)
    assert empty.returncode == 1 and summary["missing_paths"] == [f"s3://{BUCKET}/nothing-here/"]


def test_file_uris_are_local_paths(tmp_path):
    from ray_jobs.discover import split_inputs

    local, remote = split_inputs([f"file://{tmp_path}", "s3://b/p/", str(tmp_path / "x.mp4"), "gs://g/a.mp4"])
    assert local == [str(tmp_path), str(tmp_path / "x.mp4")]
    assert remote == ["s3://b/p/", "gs://g/a.mp4"]
    assert Path(local[0]).is_dir()
