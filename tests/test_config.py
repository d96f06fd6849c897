"""One settings object: defaults, VIDSEARCH_ environment variables (nested with __), a TOML file, explicit args."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vidsearch.config import Settings, StoreBackend, load_settings


def test_environment_overrides_toml_which_overrides_defaults(tmp_path, monkeypatch):
    config = tmp_path / "vidsearch.toml"
    config.write_text('data_dir = "/srv/archive"\n[media]\nsample_fps = 2.0\nmax_segment_s = 20\n'
                      '[ranking.weights]\nbm25_ko = 0.5\ntext_vec = 0.5\n')
    monkeypatch.setenv("VIDSEARCH_MEDIA__SAMPLE_FPS", "4")
    settings = load_settings(config)
    assert settings.media.sample_fps == 4.0  # environment beats the file
    assert settings.media.max_segment_s == 20  # the file beats the default
    assert settings.ranking.weights == {"bm25_ko": 0.5, "text_vec": 0.5}
    assert str(settings.data_dir) == "/srv/archive" and settings.store_dir.name == "store"
    assert load_settings(config, media={"sample_fps": 8}).media.sample_fps == 8  # arguments beat both


def test_es_url_selects_elasticsearch(monkeypatch):
    assert Settings().store_backend is StoreBackend.EMBEDDED
    monkeypatch.setenv("VIDSEARCH_ES_URL", "https://es.example:9200")
    assert Settings().store_backend is StoreBackend.ELASTICSEARCH
    monkeypatch.setenv("VIDSEARCH_STORE__BACKEND", "embedded")
    assert Settings().store_backend is StoreBackend.EMBEDDED  # an explicit choice wins


def test_bad_settings_are_rejected_with_the_field_named(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSEARCH_MEDIA__SAMPLE_FPS", "-1")
    with pytest.raises(ValidationError, match="sample_fps"):
        Settings()
    monkeypatch.delenv("VIDSEARCH_MEDIA__SAMPLE_FPS")
    with pytest.raises(ValidationError, match="no_such_setting"):
        Settings(no_such_setting=1)
    with pytest.raises(FileNotFoundError, match="missing.toml"):
        load_settings(tmp_path / "missing.toml")


def test_secrets_are_masked_when_settings_are_shown(monkeypatch):
    monkeypatch.setenv("VIDSEARCH_ES__API_KEY", "very-secret")
    assert "very-secret" not in str(Settings().public_dict())
