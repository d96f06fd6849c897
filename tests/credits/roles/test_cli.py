"""``vidsearch credits train | eval | roles`` run as a user runs them, on a four-department slice of the real
taxonomy so the whole cycle (train → save → eval → map) takes a minute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(taxonomy_slice, tmp_path_factory) -> dict[str, str]:
    ebu, titles = taxonomy_slice
    data = tmp_path_factory.mktemp("data")
    return {"VIDSEARCH_DATA_DIR": str(data), "VIDSEARCH_CREDITS__ROLE_TAXONOMY_PATH": str(ebu),
            "VIDSEARCH_CREDITS__ROLE_TITLE_FILES": json.dumps([str(p) for p in titles])}


def test_train_eval_and_map(env: dict[str, str]):
    trained = run_cli("credits", "train", "--epochs", "3", "--hard-negatives", "0:0,2:2", env=env)
    assert trained.returncode == 0, trained.stderr
    out = trained.stdout
    assert "epoch 2: loss" in out and "2 hard negatives" in out
    assert "Korean top-1" in out and "English top-1" in out and "unknown-role threshold" in out
    model = Path(env["VIDSEARCH_DATA_DIR"]) / "models" / "credit_roles"
    assert (model / "role_model.json").is_file()

    evaluated = run_cli("credits", "eval", "--json", env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    for lang in ("ko", "en", "all"):
        metrics = report["trained"]["unindexed_clean"][lang]
        assert metrics["count"] > 0 and 0 < metrics["top1"] <= metrics["top5"] <= 1 and metrics["mrr"] > 0
    assert report["trained"]["indexed_noisy"]["all"]["top1"] > 0.8

    mapped = run_cli("credits", "roles", "촬영감독", "Boom Operator", "김민수", "--json", env=env)
    assert mapped.returncode == 0, mapped.stderr
    first, second, name = json.loads(mapped.stdout)
    assert first["matches"][0]["code"] == "6.1" and not first["unknown"]
    assert second["matches"][0]["code"] == "23.5"
    assert name["unknown"]


def test_broken_taxonomy_is_one_line_with_its_line_number(env: dict[str, str], tmp_path: Path):
    broken = tmp_path / "broken.tsv"
    broken.write_text("termID\tparent_path\tname\n6\t\tCAMERA\n6.1\tCAMERA\tDOP\n6.1\tCAMERA\tCameraman\n",
                      encoding="utf-8")
    broken_env = {**env, "VIDSEARCH_CREDITS__ROLE_TAXONOMY_PATH": str(broken)}
    result = run_cli("credits", "roles", "촬영감독", env=broken_env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{broken} line 4: duplicate code 6.1 (first defined on line 3)" in result.stderr.replace("\n", "")


def test_eval_without_a_model_says_how_to_get_one(env: dict[str, str], tmp_path: Path):
    result = run_cli("credits", "eval", "--model-dir", str(tmp_path / "none"), env=env)
    assert result.returncode == 2
    assert "vidsearch credits train" in result.stderr and "Traceback" not in result.stderr
