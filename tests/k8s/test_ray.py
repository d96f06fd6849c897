"""The Ray side: the reindex job runs the real CLI on the batch cluster, the clusters pass the rules KubeRay's
operator enforces beyond its CRD, and the Serve config is one Ray Serve accepts, probed where it answers."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from vidsearch.sources.objects import is_object_uri
from tests.k8s.manifests import (
    Manifest,
    mutated,
    only,
    ray_cluster_specs,
    ray_groups,
    settings_field,
    unknown_keys,
)

# --- the reindex job --------------------------------------------------------------------------------------


def parse_cli(argv: list[str]) -> dict[str, Any]:
    """Parse a command line with vidsearch's own CLI, without running it: the parameters it would get."""
    import typer

    from vidsearch.cli import _register, app

    if not app.registered_commands:
        _register()
    if not argv or argv[0] != "vidsearch":
        raise ValueError(f"not a vidsearch command line: {argv}")
    group = typer.main.get_command(app)
    root = group.make_context("vidsearch", [], resilient_parsing=True)
    command = group.get_command(root, argv[1]) if len(argv) > 1 else None
    if command is None:
        raise ValueError(f"vidsearch has no command {argv[1:2]}")
    return command.make_context(argv[1], argv[2:], parent=root).params


def test_reindex_runs_vidsearch_index_over_the_archive(stack, reindex):
    job = only(reindex, "RayJob")
    argv = shlex.split(job["spec"]["entrypoint"])
    params = parse_cli(argv)
    assert argv[1] == "index"
    head = ray_cluster_specs(stack)[job["spec"]["clusterSelector"]["ray.io/cluster"]]["headGroupSpec"]
    archive = next(m["mountPath"] for m in head["template"]["spec"]["containers"][0]["volumeMounts"]
                   if m["name"] == "archive")
    # the driver runs on the head and lists these paths there; workers open the same paths — or the same
    # bucket URIs, which every pod reads with its own credentials
    assert params["paths"]
    for path in params["paths"]:
        if is_object_uri(path):
            assert path.startswith("s3://") and path.endswith("/")  # a prefix: listed recursively
        else:
            assert PurePosixPath(archive) in (PurePosixPath(path), *PurePosixPath(path).parents)
    assert params["json_out"] is True  # the summary lands in the job log as JSON
    assert params["force"] is False  # a retry resumes from the checkpoints instead of redoing the archive


def test_the_entrypoint_check_catches_a_bad_command_line():
    with pytest.raises(Exception, match="No such option: --jsn"):
        parse_cli(["vidsearch", "index", "/archive", "--jsn"])
    with pytest.raises(ValueError, match="no command"):
        parse_cli(["vidsearch", "reindex", "/archive"])
    with pytest.raises(ValueError, match="not a vidsearch command line"):
        parse_cli(["python", "ray_jobs/ingest.py", "/archive"])


def test_reindex_is_submitted_to_the_batch_cluster(stack, reindex):
    from ray.runtime_env import RuntimeEnv

    spec = only(reindex, "RayJob")["spec"]
    assert spec["clusterSelector"] == {"ray.io/cluster": only(stack, "RayCluster")["metadata"]["name"]}
    runtime_env = yaml.safe_load(spec["runtimeEnvYAML"])
    RuntimeEnv(**runtime_env)  # Ray's own check (types of env_vars values, ...)
    assert set(runtime_env) <= RuntimeEnv.known_fields
    assert spec["submitterPodTemplate"]["spec"]["restartPolicy"] == "Never"  # a Job's pods may not restart


# --- rules KubeRay's operator applies beyond the CRD schema (ray-operator utils/validation.go) --------------

_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_NAME_LIMITS = {"RayCluster": 53, "RayService": 47, "RayJob": 47}  # room for the suffixes KubeRay appends
_RAY_RESOURCE_PARAMS = {"num-cpus", "num-gpus", "memory", "resources"}


def kuberay_problems(manifests: list[Manifest]) -> list[str]:
    problems = []
    for manifest in manifests:
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        if kind not in _NAME_LIMITS:
            continue
        if not _DNS1035.fullmatch(name) or len(name) > _NAME_LIMITS[kind]:
            problems.append(f"{kind} name {name!r} is not a DNS-1035 label of at most {_NAME_LIMITS[kind]}")
        spec = manifest["spec"]
        if kind == "RayJob":
            if spec.get("clusterSelector") and spec.get("suspend"):
                problems.append(f"RayJob {name}: a clusterSelector job cannot be suspended")
            if not spec.get("clusterSelector") and not spec.get("rayClusterSpec"):
                problems.append(f"RayJob {name}: needs rayClusterSpec or clusterSelector")
        if kind == "RayService" and spec["rayClusterConfig"]["headGroupSpec"].get("headService", {}).get(
                "metadata", {}).get("name"):
            problems.append(f"RayService {name}: headService.metadata.name must not be set")
    for cluster, spec in ray_cluster_specs(manifests).items():
        v2 = spec.get("enableInTreeAutoscaling") and spec.get("autoscalerOptions", {}).get("version") == "v2"
        for group, group_spec in ray_groups(spec):
            where = f"{cluster} group {group}"
            params = group_spec.get("rayStartParams", {})
            if params.keys() & _RAY_RESOURCE_PARAMS and group_spec.get("resources"):
                problems.append(f"{where}: resources in both rayStartParams and resources")
            if "labels" in params:
                problems.append(f"{where}: rayStartParams labels are not supported")
            pod = group_spec["template"]["spec"]
            if v2 and pod.get("restartPolicy", "Never") != "Never":
                problems.append(f"{where}: autoscaler v2 needs restartPolicy Never or unset")
            if not pod.get("containers"):
                problems.append(f"{where}: no container")
    return problems


def test_clusters_pass_kuberays_own_rules(everything):
    assert kuberay_problems(everything) == []


def test_the_kuberay_rules_catch_what_the_crd_allows(stack, reindex):
    cluster = only(stack, "RayCluster")
    assert kuberay_problems([mutated(cluster, "metadata.name", "Vidsearch_Batch"),
                             mutated(only(reindex, "RayJob"), "spec.suspend", True),
                             mutated(cluster, "spec.headGroupSpec.resources", {"CPU": "0"})]) == [
        "RayCluster name 'Vidsearch_Batch' is not a DNS-1035 label of at most 53",
        "RayJob vidsearch-reindex: a clusterSelector job cannot be suspended",
        "vidsearch-batch group head: resources in both rayStartParams and resources",
    ]


# --- the query API ------------------------------------------------------------------------------------------

def serve_config(stack: list[Manifest]) -> dict[str, Any]:
    return yaml.safe_load(only(stack, "RayService")["spec"]["serveConfigV2"])


def test_serve_config_is_one_ray_serve_accepts(stack):
    from ray.serve.schema import ServeDeploySchema

    config = serve_config(stack)
    ServeDeploySchema.model_validate(config)
    assert unknown_keys(ServeDeploySchema, config, "serveConfigV2") == []  # Serve would drop them silently
    assert config["http_options"]["host"] == "0.0.0.0"  # the proxies must answer the pod IP, not loopback


def test_every_query_pod_gives_its_proxy_what_vidsearch_serve_gives_it(stack):
    """The proxies a RayService starts read their environment from the pod: the replica-loss guard (503, not a bare
    500) and the hop switches must be there, equal to what `vidsearch serve` sets locally."""
    from serve.proxy_guard import proxy_environment
    from vidsearch.serve_settings import ServeSettings

    wanted = {k: v for k, v in proxy_environment(ServeSettings()).items() if not k.startswith("VIDSEARCH_")}
    spec = only(stack, "RayService")["spec"]["rayClusterConfig"]
    templates = [spec["headGroupSpec"]["template"]] + [g["template"] for g in spec["workerGroupSpecs"]]
    for template in templates:
        for container in template["spec"]["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            assert {k: env.get(k) for k in wanted} == wanted, container["name"]


def test_the_serve_config_check_catches_a_misspelt_key(stack):
    from ray.serve.schema import ServeDeploySchema

    config = serve_config(stack)
    config["applications"][0]["route_prefx"] = "/"
    config["http_options"]["prot"] = 8000
    ServeDeploySchema.model_validate(config)  # Ray accepts it...
    assert unknown_keys(ServeDeploySchema, config, "serveConfigV2") == [  # ...we do not
        "serveConfigV2.http_options.prot", "serveConfigV2.applications.route_prefx"]


def test_serve_application_settings_are_real_settings(stack):
    """The application's runtime_env carries VIDSEARCH_SERVE__* scaling: each must be a real setting."""
    from vidsearch.config import Settings

    assert "serve" in Settings.model_fields, "the Serve settings (serve/settings.py) are missing from Settings"
    for application in serve_config(stack)["applications"]:
        for name in application.get("runtime_env", {}).get("env_vars", {}):
            settings_field(name)


def test_serve_config_matches_the_serve_config_file(stack):
    """serveConfigV2 is serve/serve_config.yaml, the file `serve deploy` and `serve run` use."""
    path = REPO / "serve" / "serve_config.yaml"
    assert path.is_file(), f"{path.relative_to(REPO)} is missing: the RayService's serveConfigV2 has no source"
    assert serve_config(stack) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_serve_config_points_at_code_in_the_image(stack):
    for application in serve_config(stack)["applications"]:
        module, _, attribute = application["import_path"].partition(":")
        source = REPO / Path(*module.split(".")).with_suffix(".py")
        assert source.is_file(), f"{source.relative_to(REPO)} (the RayService's import_path) is missing"
        assert re.search(rf"^def {attribute}\(", source.read_text(encoding="utf-8"), re.M), application


def test_traffic_reaches_the_serve_proxies_and_probes_ask_the_api(stack):
    service = only(stack, "RayService")
    port = serve_config(stack)["http_options"]["port"]
    backend = only(stack, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    # KubeRay names the Service in front of a RayService's proxies <name>-serve-svc
    assert backend == {"name": f"{service['metadata']['name']}-serve-svc", "port": {"number": port}}
    for group, spec in ray_groups(service["spec"]["rayClusterConfig"]):
        container = spec["template"]["spec"]["containers"][0]
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if group == "head":
            assert service["spec"]["excludeHeadPodFromServeSvc"] is True
            continue
        kinds = ("startupProbe", "livenessProbe", "readinessProbe")
        probes = {kind: container[kind]["httpGet"] for kind in kinds}
        assert {kind: p["path"] for kind, p in probes.items()} == {
            "startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
        assert all(ports[p["port"]] == port for p in probes.values()), group
