"""What a person deploying vidsearch would check by hand in every pod: resources, settings, volumes,
images."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.k8s.manifests import (
    K8S,
    Manifest,
    mutated,
    only,
    pod_specs,
    ray_cluster_specs,
    ray_groups,
    render,
    settings_field,
)

_SUFFIX = {"m": Decimal("0.001"), "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9),
           "T": Decimal(10**12), "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30),
           "Ti": Decimal(2**40)}


def quantity(value: str | int | float) -> Decimal:
    """A Kubernetes resource quantity ("500m", "16Gi", "4") as a number."""
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value))
    assert match and match.group(2) in ("", *_SUFFIX), f"not a quantity: {value!r}"
    return Decimal(match.group(1)) * _SUFFIX.get(match.group(2), Decimal(1))


def resource_problems(manifests: list[Manifest]) -> list[str]:
    """Containers without cpu+memory requests and limits, or asking for more than they may use. Ray containers
    also need requests == limits: KubeRay tells Ray the limits, the scheduler reserves the requests."""
    problems = []
    for manifest in manifests:
        ray_containers = {id(c) for spec in ray_cluster_specs([manifest]).values()
                          for _, group in ray_groups(spec) for c in group["template"]["spec"]["containers"]}
        for pod in pod_specs(manifest):
            for container in pod.containers():
                where = f"{pod.owner} {pod.path} container {container['name']}"
                resources = container.get("resources", {})
                requests, limits = resources.get("requests", {}), resources.get("limits", {})
                for key in ("cpu", "memory"):
                    if key not in requests or key not in limits:
                        problems.append(f"{where}: no {key} request and limit")
                    elif quantity(requests[key]) > quantity(limits[key]):
                        problems.append(f"{where}: {key} request above its limit")
                if id(container) in ray_containers and requests != limits:
                    problems.append(f"{where}: Ray container requests differ from limits")
        for name, spec in ray_cluster_specs([manifest]).items():
            autoscaler = spec.get("autoscalerOptions", {}).get("resources", {})
            sized = autoscaler.get("requests") and autoscaler.get("limits")
            if spec.get("enableInTreeAutoscaling") and not sized:
                problems.append(f"{name}: the autoscaler sidecar has no requests/limits")
    return problems


def test_every_container_has_requests_and_limits(everything):
    assert resource_problems(everything) == []


def test_the_resource_check_catches_a_missing_limit(stack):
    cluster = only(stack, "RayCluster")
    no_limit = mutated(cluster, "spec.workerGroupSpecs.0.template.spec.containers.0.resources",
                       {"requests": {"cpu": "8", "memory": "32Gi"}})
    where = "RayCluster/vidsearch-batch spec.workerGroupSpecs[0].template.spec container ray-worker"
    assert resource_problems([no_limit]) == [f"{where}: no cpu request and limit",
                                             f"{where}: no memory request and limit",
                                             f"{where}: Ray container requests differ from limits"]
    es = only(stack, "Elasticsearch")
    init_without = mutated(es, "spec.nodeSets.0.podTemplate.spec.initContainers.0.resources", {})
    assert any("install-nori: no cpu" in p for p in resource_problems([init_without]))


def test_gpu_workers_ask_for_gpus_and_nothing_else_does(stack):
    gpu_groups = []
    for cluster, spec in ray_cluster_specs(stack).items():
        for group, group_spec in ray_groups(spec):
            limits = group_spec["template"]["spec"]["containers"][0]["resources"]["limits"]
            if "nvidia.com/gpu" in limits:
                gpu_groups.append((cluster, group, limits["nvidia.com/gpu"]))
    assert gpu_groups == [("vidsearch-batch", "gpu", "1")]
    batch = ray_cluster_specs(stack)["vidsearch-batch"]
    gpu = dict(ray_groups(batch))["gpu"]
    assert gpu["minReplicas"] == 0 and gpu["maxReplicas"] >= 1  # scaled from zero: idle GPUs cost money
    assert batch["enableInTreeAutoscaling"] is True


# --- images -------------------------------------------------------------------------------------------------

def _images_component() -> dict[str, str]:
    component = yaml.safe_load((K8S / "images" / "kustomization.yaml").read_text(encoding="utf-8"))
    return {i["name"]: f"{i['newName']}:{i['newTag']}" for i in component["images"]}


def _ray_container_images(manifests: list[Manifest]) -> list[tuple[str, str, bool]]:
    """(where, image, asks for a GPU) for every container KubeRay runs Ray in, the submitter included."""
    found = []
    for manifest in manifests:
        if not manifest["apiVersion"].startswith("ray.io/"):
            continue
        for pod in pod_specs(manifest):
            for container in pod.containers():
                gpu = "nvidia.com/gpu" in container.get("resources", {}).get("limits", {})
                found.append((f"{pod.owner} {pod.path} {container['name']}", container["image"], gpu))
    return found


def test_every_ray_pod_runs_this_release_of_the_vidsearch_image(everything, project):
    images = _images_component()
    version = project["version"]
    assert images["vidsearch"].endswith(f":{version}")
    assert images["vidsearch-gpu"].endswith(f":{version}-gpu")
    assert images["vidsearch"].rsplit(":", 1)[0] == images["vidsearch-gpu"].rsplit(":", 1)[0]
    used = _ray_container_images(everything)
    assert len(used) == 6  # batch head and 2 worker groups, query head and workers, the reindex submitter
    for where, image, gpu in used:
        assert image == images["vidsearch-gpu" if gpu else "vidsearch"], where


def test_image_tags_come_from_kustomize_alone(tmp_path):
    """An overlay that sets the images changes every Ray container: no image is pinned around kustomize."""
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": [os.path.relpath(K8S, tmp_path), os.path.relpath(K8S / "reindex", tmp_path)],
        "images": [{"name": "ghcr.io/example/vidsearch", "newName": "registry.test/vs", "newTag": "9.9.9"}],
    }))
    rendered = render(tmp_path)
    used = _ray_container_images(rendered)
    assert used and all(image == "registry.test/vs:9.9.9" for _, image, _ in used)


def test_ray_versions_agree_everywhere(stack, project, dockerfile_args):
    ray_pin = next(r for r in project["dependencies"] if r.startswith("ray["))
    version = ray_pin.split("==")[1]
    assert {spec["rayVersion"] for spec in ray_cluster_specs(stack).values()} == {version}
    python = "py" + project["requires-python"].split(",")[0].lstrip(">=").replace(".", "")
    assert dockerfile_args["RAY_IMAGE_TAG"] == f"{version}-{python}-cpu"


# --- settings -----------------------------------------------------------------------------------------------

def _container_env(container: dict[str, Any], config_maps: dict[str, dict[str, str]],
                   placeholder: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", placeholder)  # secretKeyRef: the value is the Secret's
    return env


def vidsearch_environments(manifests: list[Manifest], placeholder: str = "from-a-secret") -> dict[str, dict]:
    """The VIDSEARCH_* environment each vidsearch container (and the reindex driver) starts with."""
    config_maps = {m["metadata"]["name"]: m["data"] for m in manifests if m["kind"] == "ConfigMap"}
    environments = {}
    for manifest in manifests:
        for pod in pod_specs(manifest):
            for container in pod.spec["containers"]:
                if "vidsearch" in container.get("image", "") and container["name"] != "ray-job-submitter":
                    where = f"{pod.owner} {pod.path} {container['name']}"
                    environments[where] = _container_env(container, config_maps, placeholder)
    for job in (m for m in manifests if m["kind"] == "RayJob"):
        head = ray_cluster_specs(manifests)[job["spec"]["clusterSelector"]["ray.io/cluster"]]["headGroupSpec"]
        env = _container_env(head["template"]["spec"]["containers"][0], config_maps, placeholder)
        env.update(yaml.safe_load(job["spec"]["runtimeEnvYAML"]).get("env_vars", {}))
        environments[f"RayJob/{job['metadata']['name']} driver"] = env
    return environments


def test_every_vidsearch_variable_is_a_real_setting(everything):
    from serve.proxy_guard import proxy_environment
    from vidsearch.serve_settings import ServeSettings

    # The only other variables: Ray Serve's, exactly those `vidsearch serve` sets for its proxies
    ray_serve = {k for k in proxy_environment(ServeSettings()) if not k.startswith("VIDSEARCH_")}
    environments = vidsearch_environments(everything)
    assert len(environments) == 6  # 3 batch containers, 2 query containers, the reindex driver
    for env in environments.values():
        for name in env:
            if name not in ray_serve:
                settings_field(name)  # raises, naming the variable, for anything Settings would ignore
    # and no container anywhere (Elasticsearch's included) is configured through other variables
    for manifest in everything:
        for pod in pod_specs(manifest):
            for container in pod.containers():
                names = [e["name"] for e in container.get("env", []) if e["name"] not in ray_serve]
                assert all(n.startswith("VIDSEARCH_") for n in names), (pod.owner, container["name"], names)


def test_the_setting_check_catches_a_misspelt_variable(monkeypatch):
    from vidsearch.config import Settings

    monkeypatch.setenv("VIDSEARCH_RAY__ADRESS", "auto")
    assert Settings().ray.address is None  # what makes the check necessary: the typo is silently ignored
    with pytest.raises(ValueError, match="ray.adress is not a setting"):
        settings_field("VIDSEARCH_RAY__ADRESS")
    with pytest.raises(ValueError, match="no VIDSEARCH_ prefix"):
        settings_field("RAY_ADDRESS")
    with pytest.raises(ValueError, match="log_level has no sub-settings"):
        settings_field("VIDSEARCH_LOG_LEVEL__X")


def test_pods_load_the_settings_a_cluster_needs(everything, monkeypatch):
    """Load Settings from each container's environment, as the process in the pod will."""
    from vidsearch.config import Settings, StoreBackend
    from vidsearch.stages import build_stages

    for name in [n for n in os.environ if n.startswith("VIDSEARCH_")]:
        monkeypatch.delenv(name)
    for where, env in vidsearch_environments(everything, placeholder="aWQ6a2V5").items():
        with monkeypatch.context() as patched:
            for name, value in env.items():
                patched.setenv(name, value)
            settings = Settings()
        assert settings.store_backend is StoreBackend.ELASTICSEARCH, where
        assert settings.es.api_key is not None and settings.es.api_key.get_secret_value() == "aWQ6a2V5", where
        assert settings.ray.address == "auto", where  # join the pod's cluster, never start a private Ray
        assert settings.ray.progress_bars is False, where  # pod logs, not a terminal
        assert settings.models.local_files_only is True, where
        assert [s.name for s in build_stages(settings)] == settings.ingest.stages, where


def test_the_batch_cluster_runs_the_analysis_stages_with_gpu_stages_on_the_gpu_group(stack, monkeypatch):
    """The ConfigMap's stage list, placed the way the ingest job places it: GPU stages form their own actor
    group asking for what one pod of the gpu worker group has."""
    from ray_jobs.placement import stage_groups
    from vidsearch.config import Settings
    from vidsearch.stages import build_stages

    for name in [n for n in os.environ if n.startswith("VIDSEARCH_")]:
        monkeypatch.delenv(name)
    for name, value in only(stack, "ConfigMap", "vidsearch-settings")["data"].items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert {"shots", "metadata", "scene_text", "credits", "faces", "text_vectors"} <= set(settings.ingest.stages)
    groups = stage_groups(build_stages(settings), settings)
    gpu_groups = [g for g in groups if g.num_gpus > 0]
    assert [g.names for g in gpu_groups] == [("faces",)]
    gpu_pod = dict(ray_groups(ray_cluster_specs(stack)["vidsearch-batch"]))["gpu"]
    limits = gpu_pod["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert float(limits["nvidia.com/gpu"]) >= gpu_groups[0].num_gpus
    # GPU pods scale from zero: the job must not refuse to start for want of a GPU that is not up yet
    assert gpu_pod["minReplicas"] == 0 and settings.ray.gpu_fallback == "autoscale"


# --- volumes and the services they point at -----------------------------------------------------------------

def _mounts(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in container.get("volumeMounts", [])}


def test_archive_is_mounted_read_only_at_one_path_on_every_batch_pod(stack):
    batch = ray_cluster_specs(stack)["vidsearch-batch"]
    for group, spec in ray_groups(batch):
        pod = spec["template"]["spec"]
        archive = next(v for v in pod["volumes"] if v.get("persistentVolumeClaim", {}).get("claimName")
                       == "vidsearch-archive")
        assert archive["persistentVolumeClaim"]["readOnly"] is True, group
        mount = _mounts(pod["containers"][0])[archive["name"]]
        assert (mount["mountPath"], mount.get("readOnly")) == ("/archive", True), group
    query = ray_cluster_specs(stack)["vidsearch-query"]
    for group, spec in ray_groups(query):  # the query side never reads the archive
        assert all(v.get("persistentVolumeClaim", {}).get("claimName") != "vidsearch-archive"
                   for v in spec["template"]["spec"]["volumes"]), group
    archive_claim = only(stack, "PersistentVolumeClaim", "vidsearch-archive")
    assert archive_claim["spec"]["accessModes"] == ["ReadOnlyMany"]


def test_data_dir_and_ca_file_are_where_the_volumes_are(stack):
    settings = only(stack, "ConfigMap", "vidsearch-settings")["data"]
    data_dir = Path(settings["VIDSEARCH_DATA_DIR"])
    ca_file = Path(settings["VIDSEARCH_ES__CA_FILE"])
    es_name = only(stack, "Elasticsearch")["metadata"]["name"]
    for cluster, spec in ray_cluster_specs(stack).items():
        for group, group_spec in ray_groups(spec):
            pod = group_spec["template"]["spec"]
            volumes = {v["name"]: v for v in pod["volumes"]}
            mounts = _mounts(pod["containers"][0])
            data = next(n for n, v in volumes.items()
                        if v.get("persistentVolumeClaim", {}).get("claimName") == "vidsearch-data")
            assert Path(mounts[data]["mountPath"]) == data_dir, (cluster, group)
            # the batch side writes thumbnails and summaries; the query side only reads them
            assert mounts[data].get("readOnly", False) is (cluster == "vidsearch-query"), (cluster, group)
            ca = next(n for n, m in mounts.items() if Path(m["mountPath"]) == ca_file.parent)
            secret = volumes[ca]["secret"]
            # ECK's Secret for an Elasticsearch named X is X-es-http-certs-public, its CA under ca.crt
            assert secret["secretName"] == f"{es_name}-es-http-certs-public", (cluster, group)
            assert {"key": "ca.crt", "path": ca_file.name} in secret["items"], (cluster, group)
    assert settings["VIDSEARCH_ES_URL"] == f"https://{es_name}-es-http:9200"


def test_everything_a_pod_refers_to_exists(everything):
    """ConfigMaps, claims and Secrets named in pods are in the stack, are ECK's, or have a template."""
    have = {(m["kind"], m["metadata"]["name"]) for m in everything}
    es_name = only(everything, "Elasticsearch")["metadata"]["name"]
    templates = {}
    for path in (K8S / "secrets").glob("*.template.yaml"):
        for secret in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            templates[secret["metadata"]["name"]] = set(secret["stringData"])
    eck = {f"{es_name}-es-http-certs-public": {"ca.crt", "tls.crt"}}
    checked = 0
    for manifest in everything:
        for pod in pod_specs(manifest):
            for volume in pod.spec.get("volumes", []):
                if "persistentVolumeClaim" in volume:
                    assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in have
                if "secret" in volume:
                    keys = {item["key"] for item in volume["secret"].get("items", [])}
                    assert keys <= {**templates, **eck}[volume["secret"]["secretName"]]
                checked += 1
            for container in pod.containers():
                for source in container.get("envFrom", []):
                    assert ("ConfigMap", source["configMapRef"]["name"]) in have
                for item in container.get("env", []):
                    ref = item.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        assert ref["key"] in templates[ref["name"]], item["name"]
                        checked += 1
    assert checked > 20


def test_secret_templates_hold_no_secret_and_are_never_applied():
    listed = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        listed |= {str((kustomization.parent / r).resolve())
                   for r in yaml.safe_load(kustomization.read_text()).get("resources", [])}
    for path in (K8S / "secrets").glob("*.template.yaml"):
        assert str(path.resolve()) not in listed, f"{path.name} would overwrite the real Secret at each apply"
        for secret in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert all("REPLACE_WITH_" in value for value in secret["stringData"].values()), path.name


def test_every_manifest_file_is_deployed_or_a_template():
    listed = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for entry in [*spec.get("resources", []), *spec.get("components", [])]:
            listed.add((kustomization.parent / entry).resolve())
    for path in K8S.rglob("*.yaml"):
        if path.name == "kustomization.yaml" or path.name.endswith(".template.yaml"):
            continue
        assert path.resolve() in listed, f"{path.relative_to(K8S)} is in no kustomization"

