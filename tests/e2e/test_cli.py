"""The CLI as a user types it: search edge cases, status, doctor and the demo."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli, two_scene_clip
from vidsearch.demo import DEMO_QUERIES


@pytest.fixture(scope="module")
def indexed(clip_factory, tmp_path_factory):
    data = tmp_path_factory.mktemp("cli") / "data"
    clip = clip_factory("cli.mp4", two_scene_clip(("김치찌개 맛집", "kimchi stew restaurant")), size=(640, 360))
    result = run_cli("index", str(clip), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "indexed 1 video(s)" in result.stdout
    assert "1 worker(s): 1 video(s)" in result.stdout  # the operator sees how busy each Ray actor was
    return data


def test_search_prints_ranked_hits_with_time_and_thumbnail(indexed):
    result = run_cli("search", "kimchi stew", "--data-dir", str(indexed), "--explain")
    assert result.returncode == 0, result.stderr
    assert "00:04.0–00:08.0" in result.stdout or "00:03.5–00:08.0" in result.stdout
    assert ".jpg" in result.stdout and "bm25_en" in result.stdout
    hits = json.loads(run_cli("search", "김치찌개", "--data-dir", str(indexed), "--json", "--explain").stdout)["hits"]
    top = hits[0]
    assert top["start_s"] < 4.5 and (indexed / "media" / top["thumbnail"]).is_file()
    assert top["explain"]["bm25_ko"]["raw"] > 0  # the Korean BM25 field matched


@pytest.mark.parametrize(("query", "message"), [
    ("", "the query is empty"),
    ("   ", "the query is empty"),
    ("가" * 10_000, "10000 characters long; the limit is 2000"),
])
def test_bad_queries_get_one_clear_line(indexed, query, message):
    result = run_cli("search", query, "--data-dir", str(indexed))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_query_of_only_punctuation_returns_no_hits_with_a_reason(indexed):
    result = json.loads(run_cli("search", "?!…—", "--data-dir", str(indexed), "--json").stdout)
    assert result["hits"] == [] and "no searchable words" in result["notices"][0]


def test_bad_weights_are_refused(indexed):
    result = run_cli("search", "kimchi", "--data-dir", str(indexed), "--weights", '{"bm25_en": -1}')
    assert result.returncode == 2 and "must be a finite number ≥ 0" in result.stderr


def test_search_uses_a_saved_profile_by_name_and_names_a_missing_one(indexed, tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "korean_only.json").write_text(json.dumps({"name": "korean_only", "weights": {"bm25_ko": 1.0}}))
    env = {"VIDSEARCH_RANKING__PROFILES_DIR": str(profiles)}
    result = run_cli("search", "김치찌개", "--data-dir", str(indexed), "--profile", "korean_only", "--json", env=env)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["weights"] == {"bm25_ko": 1.0} and response["retrievers"] == ["bm25_ko"]
    assert response["hits"][0]["start_s"] < 4.5
    missing = run_cli("search", "김치찌개", "--data-dir", str(indexed), "--profile", "nope", env=env)
    assert missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr


def test_status_reports_counts_encoders_and_stage_versions(indexed):
    report = json.loads(run_cli("status", "--data-dir", str(indexed), "--json").stdout)
    assert report["store"]["counts"]["videos"] == 1 and report["store"]["counts"]["segments"] == 2
    assert report["store"]["encoders"]["text"]["dims"] == 384
    assert report["stage_versions"] == {"metadata@1, scene_text@1, shots@2, text_vectors@2": 1}
    assert report["last_job"]["videos_ok"] == 1


def test_doctor_passes_here_and_names_the_fix_when_something_is_missing(indexed, tmp_path):
    result = run_cli("doctor", "--data-dir", str(indexed))
    assert result.returncode == 0, result.stdout
    assert "Korean read as korx" in result.stdout
    no_cache = tmp_path / "a-file"
    no_cache.write_text("not a folder")
    plain = run_cli("doctor", "--data-dir", str(indexed), env={"VIDSEARCH_OCR__TESSERACT_MODEL_DIR": str(no_cache)})
    assert plain.returncode == 0, plain.stdout
    assert "Korean read as plain kor: the extended korx could not be built" in plain.stdout
    broken = run_cli("doctor", "--data-dir", str(indexed), env={"VIDSEARCH_OCR__TESSERACT_CMD": "no-tesseract"})
    assert broken.returncode == 1
    assert "FAIL tesseract" in broken.stdout and "apt-get install -y tesseract-ocr" in broken.stdout


@pytest.mark.slow
def test_demo_finds_every_scene_it_rendered(tmp_path):
    result = run_cli("demo", "--data-dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{len(DEMO_QUERIES)}/{len(DEMO_QUERIES)} demo queries found their scene first" in result.stdout
