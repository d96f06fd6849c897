"""The cluster config file and the settings that shape the deployments (no Ray cluster needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from ray.serve._private.build_app import build_app as build_serve_app
from ray.serve.schema import ServeDeploySchema

import serve
from serve.app import app_builder
from vidsearch.serve_settings import DeploymentScaling
from vidsearch.config import Settings

CONFIG = Path(serve.__file__).parent / "serve_config.yaml"


def _deployments(app) -> dict:
    return {d.name: d for d in build_serve_app(app, name="vidsearch").deployments}


def test_cluster_config_is_a_valid_serve_config_that_builds_the_app(tmp_path, monkeypatch):
    config = ServeDeploySchema.model_validate(yaml.safe_load(CONFIG.read_text(encoding="utf-8")))
    (application,) = config.applications
    assert application.import_path == "serve.app:app_builder" and application.route_prefix == "/"
    for name, value in application.runtime_env["env_vars"].items():
        monkeypatch.setenv(name, value)
    app = app_builder({**application.args, "data_dir": str(tmp_path)})
    deployments = _deployments(app)
    assert set(deployments) == {"ingress", "searcher", "text_encoder", "ingest_jobs"}
    searcher = deployments["searcher"]._deployment_config
    assert searcher.autoscaling_config.max_replicas == 8 and searcher.autoscaling_config.min_replicas == 1
    assert deployments["searcher"].ray_actor_options["num_cpus"] == 1
    assert deployments["ingest_jobs"].num_replicas == 1


def test_optional_deployments_only_when_their_models_are_configured(tmp_path):
    from serve.app import build_app

    models = {"translator": {"backend": "transformers", "model": "/x"},
              "image_text": {"backend": "transformers", "model": "/y"}}
    optional = Settings(data_dir=tmp_path, models=models, ingest={"stages": ["shots", "faces"]})
    assert {"translator", "clip_text_encoder", "face_encoder"} <= set(_deployments(build_app(optional)))
    assert set(_deployments(build_app(Settings(data_dir=tmp_path)))) == {"ingress", "searcher", "text_encoder",
                                                                         "ingest_jobs"}


def test_app_builder_reads_a_toml_file(tmp_path):
    toml = tmp_path / "vidsearch.toml"
    toml.write_text(f'data_dir = "{tmp_path}"\n[serve.text_encoder]\nmin_replicas = 2\nmax_replicas = 5\n'
                    "target_ongoing_requests = 3\n", encoding="utf-8")
    deployments = _deployments(app_builder({"config_file": str(toml)}))
    scaling = deployments["text_encoder"]._deployment_config.autoscaling_config
    assert (scaling.min_replicas, scaling.max_replicas, scaling.target_ongoing_requests) == (2, 5, 3)


def test_scaling_settings():
    assert DeploymentScaling(min_replicas=2, max_replicas=2).deployment_options()["num_replicas"] == 2
    with pytest.raises(ValidationError, match="min_replicas"):
        DeploymentScaling(min_replicas=3, max_replicas=2)


def test_serve_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VIDSEARCH_SERVE__ADMIN_API_KEYS", '["k1", "k2"]')
    monkeypatch.setenv("VIDSEARCH_SERVE__TEXT_BATCHING__MAX_BATCH_SIZE", "8")
    settings = Settings(data_dir=tmp_path)
    assert [k.get_secret_value() for k in settings.serve.admin_api_keys] == ["k1", "k2"]
    assert "k1" not in str(settings.public_dict())  # keys never printed
    assert settings.serve.text_batching.max_batch_size == 8 and settings.serve.host == "127.0.0.1"
