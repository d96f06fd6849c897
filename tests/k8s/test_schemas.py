"""Every object `kubectl apply -k` sends is one the API server accepts: custom resources against their CRDs'
schemas, core objects against Kubernetes' own — and the same checks do reject a wrong field or type."""

from __future__ import annotations

import pytest

from tests.k8s.manifests import (
    K8S,
    SchemaError,
    is_custom,
    load_yaml,
    mutated,
    only,
    validate,
    validate_core,
    validate_custom,
)


def test_the_stack_holds_what_the_docs_describe(stack):
    kinds = sorted((m["kind"], m["metadata"]["name"]) for m in stack)
    assert kinds == [
        ("ConfigMap", "vidsearch-settings"),
        ("Elasticsearch", "vidsearch"),
        ("Ingress", "vidsearch-api"),
        ("Namespace", "vidsearch"),
        ("NetworkPolicy", "default-deny-ingress"),
        ("NetworkPolicy", "elasticsearch-from-ray"),
        ("NetworkPolicy", "ray-from-kuberay-operator"),
        ("NetworkPolicy", "ray-from-ray"),
        ("NetworkPolicy", "serve-http-from-ingress"),
        ("PersistentVolumeClaim", "vidsearch-archive"),
        ("PersistentVolumeClaim", "vidsearch-data"),
        ("RayCluster", "vidsearch-batch"),
        ("RayService", "vidsearch-query"),
    ]
    assert all(m["metadata"].get("namespace") == "vidsearch" for m in stack if m["kind"] != "Namespace")


def test_every_rendered_object_is_valid(everything):
    for manifest in everything:
        validate(manifest)


def test_secret_templates_are_valid_secrets():
    templates = sorted((K8S / "secrets").glob("*.template.yaml"))
    assert len(templates) == 3
    for path in templates:
        for manifest in load_yaml(path):
            assert manifest["kind"] == "Secret"
            validate_core(manifest)


@pytest.mark.parametrize(("kind", "path", "value", "complaint"), [
    # a misspelt field inside a Ray worker group
    ("RayCluster", "spec.workerGroupSpecs.0.maxReplica", 4, "Additional properties"),
    # a count given as a string
    ("RayCluster", "spec.workerGroupSpecs.0.minReplicas", "0", "is not of type 'integer'"),
    # a misspelt container field deep inside the pod template the CRD embeds
    ("RayCluster", "spec.headGroupSpec.template.spec.containers.0.imagePullPolicyy", "Always", "Additional"),
    # the same environment variable twice in one container (a list-map keyed by name)
    ("RayCluster", "spec.headGroupSpec.template.spec.containers.0.env",
     [{"name": "VIDSEARCH_LOG_LEVEL", "value": "INFO"}, {"name": "VIDSEARCH_LOG_LEVEL", "value": "DEBUG"}],
     "duplicate entry"),
    ("RayCluster", "spec.autoscalerOptions.version", "v3", "is not one of"),
    ("RayService", "spec.serveConfigV2", {"applications": []}, "is not of type 'string'"),
    ("RayService", "spec.rayClusterConfig.enableInTreeAutoscaling", "yes", "is not of type 'boolean'"),
    ("Elasticsearch", "spec.nodeSets.0.count", "3", "is not of type 'integer'"),
    ("Elasticsearch", "spec.volumeClaimDeletePolicy", "Always", "is not one of"),
    # ECK's CRD leaves podTemplate free-form: the embedded PodTemplateSpec check must still catch this
    ("Elasticsearch", "spec.nodeSets.1.podTemplate.spec.containers.0.resource", {}, "Additional properties"),
    ("Elasticsearch", "metadata.labels", {"app": 3}, "is not of type 'string'"),
])
def test_validation_rejects_a_wrong_custom_resource(stack, kind, path, value, complaint):
    manifest = only(stack, kind)
    validate_custom(manifest)  # the original passes...
    with pytest.raises(SchemaError, match=complaint):
        validate_custom(mutated(manifest, path, value))  # ...and the one change is caught


def test_validation_rejects_a_wrong_reindex_job(reindex):
    job = only(reindex, "RayJob")
    with pytest.raises(SchemaError, match="is not of type 'string'"):
        validate_custom(mutated(job, "spec.entrypoint", ["vidsearch", "index", "/archive"]))
    with pytest.raises(SchemaError, match="Additional properties"):
        validate_custom(mutated(job, "spec.clusterSelectors", {"ray.io/cluster": "vidsearch-batch"}))


@pytest.mark.parametrize(("kind", "path", "value", "complaint"), [
    ("ConfigMap", "data.VIDSEARCH_RAY__WORKERS", 64, "is not of type 'string'"),
    ("PersistentVolumeClaim", "spec.accessModes", "ReadOnlyMany", "is not of type 'array'"),
    ("PersistentVolumeClaim", "spec.resource", {"requests": {"storage": "1Ti"}}, "Additional properties"),
    ("Ingress", "spec.rules.0.http.paths.0.backend.service.port.number", "8000", "is not of type 'integer'"),
])
def test_validation_rejects_a_wrong_core_object(stack, kind, path, value, complaint):
    manifest = [m for m in stack if m["kind"] == kind][0]
    validate_core(manifest)
    with pytest.raises(SchemaError, match=complaint):
        validate_core(mutated(manifest, path, value))


def test_custom_resources_are_checked_by_their_own_crd(everything):
    """A kind with no CRD here would silently go through the core path; every custom kind we ship has one."""
    custom = {m["kind"] for m in everything if is_custom(m)}
    assert custom == {"RayCluster", "RayService", "RayJob", "Elasticsearch"}
    unknown = [m for m in everything if "." in m["apiVersion"].split("/")[0] and not is_custom(m)
               and not m["apiVersion"].startswith("networking.k8s.io/")]
    assert unknown == []
