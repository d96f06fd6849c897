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
    assert searcher.autoscaling_config.max_replicas == 8 and searcher.autoscaling_config.min_replicas == 2
    assert deployments["searcher"].ray_actor_options["num_cpus"] == 1
    assert deployments["ingest_jobs"].num_replicas == 1


def test_optional_deployments_only_when_their_models_are_configured(tmp_path):
    from serve.app import build_app

    models = {"translator": {"backend": "transformers", "model": "/x"},
              "image_text": {"backend": "transformers", "model": "/y"}}
    optional = Settings(data_dir=tmp_path, models=models, ingest={"stages": ["shots", "faces"]},
                        serve={"search_in_ingress": False})
    assert {"translator", "clip_text_encoder", "face_encoder"} <= set(_deployments(build_app(optional)))
    split = Settings(data_dir=tmp_path, serve={"search_in_ingress": False})
    assert set(_deployments(build_app(split))) == {"ingress", "searcher", "text_encoder", "ingest_jobs"}


def test_app_builder_reads_a_toml_file(tmp_path):
    toml = tmp_path / "vidsearch.toml"
    toml.write_text(f'data_dir = "{tmp_path}"\n[serve]\nsearch_in_ingress = false\n[serve.text_encoder]\n'
                    "min_replicas = 2\nmax_replicas = 5\ntarget_ongoing_requests = 3\n", encoding="utf-8")
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


def test_two_replicas_on_the_query_path_and_a_timeout_per_deployment(tmp_path):
    from serve.app import build_app

    settings = Settings(data_dir=tmp_path, serve={"ingress": {"max_queued_requests": 64}, "search_in_ingress": False})
    deployments = _deployments(build_app(settings))
    assert deployments["searcher"].num_replicas == 2 and deployments["text_encoder"].num_replicas == 2
    assert deployments["ingress"].num_replicas == 2
    assert deployments["ingress"]._deployment_config.max_queued_requests == 64  # admission control: then a 503
    assert settings.serve.searcher.request_timeout_s < settings.serve.request_timeout_s
    assert settings.serve.text_encoder.request_timeout_s < settings.serve.searcher.request_timeout_s


def test_a_partial_scaling_override_keeps_the_other_defaults(monkeypatch, tmp_path):
    """Setting one field of a deployment's scaling must not reset its replica count or timeout to the base class's."""
    monkeypatch.setenv("VIDSEARCH_SERVE__SEARCHER__MAX_QUEUED_REQUESTS", "8")
    monkeypatch.setenv("VIDSEARCH_SERVE__TEXT_ENCODER__NUM_CPUS", "0.2")
    monkeypatch.setenv("VIDSEARCH_SERVE__INGRESS__MAX_QUEUED_REQUESTS", "64")
    serve = Settings(data_dir=tmp_path).serve
    assert (serve.searcher.max_queued_requests, serve.searcher.min_replicas, serve.searcher.max_replicas) == (8, 2, 2)
    assert serve.searcher.request_timeout_s == 20.0 and serve.searcher.max_ongoing_requests == 128
    assert (serve.text_encoder.num_cpus, serve.text_encoder.max_replicas, serve.text_encoder.request_timeout_s) == (
        0.2, 2, 5.0)
    assert (serve.ingress.max_queued_requests, serve.ingress.max_replicas) == (64, 2)


def test_fewer_hops_on_a_small_machine(tmp_path):
    from serve.app import build_app

    colocated = Settings(data_dir=tmp_path, serve={"colocate_encoders": True, "search_in_ingress": False})
    assert set(_deployments(build_app(colocated))) == {"ingress", "searcher", "ingest_jobs"}
    in_ingress = Settings(data_dir=tmp_path, serve={"search_in_ingress": True})
    assert set(_deployments(build_app(in_ingress))) == {"ingress", "ingest_jobs"}


def test_small_clusters_run_the_searcher_in_the_ingress(tmp_path, monkeypatch):
    """Unset, serve.search_in_ingress follows the cluster's CPUs (each hop is a third of a search on 2 cores)."""
    from serve import app

    monkeypatch.setattr(app, "cluster_cpus", lambda: 2.0)
    small = Settings(data_dir=tmp_path)
    assert small.serve.search_in_ingress is None and app.search_in_ingress(small.serve)
    assert set(_deployments(app.build_app(small))) == {"ingress", "ingest_jobs"}
    ingress = _deployments(app.build_app(small))["ingress"]
    assert ingress.num_replicas == 2, "the ingress is the query path: one replica dying leaves the other"
    assert ingress.ray_actor_options["runtime_env"]["env_vars"] == small.serve.ray_serve_env
    monkeypatch.setattr(app, "cluster_cpus", lambda: 16.0)
    assert not app.search_in_ingress(small.serve)
    assert "searcher" in _deployments(app.build_app(small))
    assert app.search_in_ingress(Settings(data_dir=tmp_path, serve={"search_in_ingress": True}).serve)


def test_the_proxy_environment_installs_the_replica_loss_guard(tmp_path):
    from serve.proxy_guard import (
        PROXY_CALLBACK,
        PROXY_CALLBACK_ENV,
        BodyWithRequest,
        ReplicaLossAs503,
        proxy_middlewares,
    )
    from ray.serve._private.http_util import validate_http_proxy_callback_return

    from serve.proxy_guard import proxy_environment

    env = proxy_environment(Settings(data_dir=tmp_path, serve={"retry_after_s": 7}).serve)
    assert env[PROXY_CALLBACK_ENV] == PROXY_CALLBACK and env["VIDSEARCH_SERVE__RETRY_AFTER_S"] == "7"
    middlewares = validate_http_proxy_callback_return(proxy_middlewares())  # what the proxy accepts
    assert [m.cls for m in middlewares] == [ReplicaLossAs503, BodyWithRequest]


def test_a_request_the_proxy_could_not_answer_is_a_503_problem():
    """Serve's proxy, when the replica holding a request dies, returns without sending anything (uvicorn then
    writes a plain 500); a replica that answered is passed through untouched."""
    import asyncio
    import json

    from serve.proxy_guard import ReplicaLossAs503

    async def replica_died(scope, receive, send) -> None:
        return None

    async def answered(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def call(app) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        asyncio.run(ReplicaLossAs503(app, retry_after_s=3)({"type": "http", "path": "/v1/search"}, receive, send))
        return sent

    start, body = call(replica_died)
    headers = dict(start["headers"])
    assert start["status"] == 503 and headers[b"retry-after"] == b"3"
    assert headers[b"content-type"] == b"application/problem+json"
    assert json.loads(body["body"])["status"] == 503
    assert [m.get("status") for m in call(answered)] == [200, None]


def test_the_settings_never_import_the_serve_package():
    """The dependency points serve → vidsearch: loading the one settings object loads neither serve nor Ray."""
    import subprocess
    import sys

    code = "import sys, vidsearch.config; print(sorted(m for m in sys.modules if m.split('.')[0] in ('serve', 'ray')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=Path(serve.__file__).parents[1])
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_a_local_ray_is_our_own_and_on_loopback(tmp_path):
    from vidsearch.ray_runtime import ray_init_kwargs

    local = ray_init_kwargs(Settings(data_dir=tmp_path), num_cpus=2)
    # never a cluster some other program left in /tmp/ray; its dashboard (off anyway) on loopback
    assert local["address"] == "local" and local["dashboard_host"] == "127.0.0.1" and local["num_cpus"] == 2
    assert local["include_dashboard"] is False
    cluster = ray_init_kwargs(Settings(data_dir=tmp_path, ray={"address": "ray://head:10001"}), num_cpus=2)
    assert cluster["address"] == "ray://head:10001" and "num_cpus" not in cluster


def test_a_small_body_travels_with_the_request_and_is_replayed_in_the_ingress():
    """Proxy side reads a declared-length body into the scope; the ingress side gives it to the app as its first
    message and passes later receive() calls (the disconnect) to the real channel; big bodies are untouched."""
    import asyncio

    from serve.proxy_guard import SCOPE_BODY, BodyWithRequest, ReplayBody

    def run(body: bytes, chunks: list[bytes], limit: int = 64) -> tuple[dict, list[dict]]:
        incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                    for i, c in enumerate(chunks)] + [{"type": "http.disconnect"}]
        seen: dict = {}

        async def receive() -> dict:
            return incoming.pop(0)

        async def app(scope, receive, send) -> None:  # the ingress's view, through ReplayBody
            seen["scope"] = scope
            seen["messages"] = [await receive(), await receive()]

        async def proxy(scope, receive, send) -> None:  # Serve ships the scope; the replica gets a receive back
            await ReplayBody(app)(scope, receive, send)

        scope = {"type": "http", "headers": [(b"content-length", str(len(body)).encode())]}
        asyncio.run(BodyWithRequest(proxy, limit=limit)(scope, receive, None))
        return seen["scope"], seen["messages"]

    scope, (first, after) = run(b'{"query": "x"}', [b'{"query"', b': "x"}'])
    assert scope[SCOPE_BODY] == b'{"query": "x"}' and first == {"type": "http.request", "body": b'{"query": "x"}',
                                                                 "more_body": False}
    assert after == {"type": "http.disconnect"}
    scope, (first, _) = run(b"y" * 100, [b"y" * 100], limit=64)
    assert SCOPE_BODY not in scope and first["body"] == b"y" * 100
