"""The rendered NetworkPolicies, evaluated as the API server's network plugin would (ingress rules: a connection is
allowed when some policy selecting the target pod has a rule whose peer and port match): Ray's unauthenticated
ports only from Ray pods, the Serve proxies from the ingress controller, Elasticsearch from Ray, nothing else."""

from __future__ import annotations

import pytest

RAY_POD = {"namespace": "vidsearch", "labels": {"ray.io/is-ray-node": "yes", "ray.io/node-type": "worker"}}
ES_POD = {"namespace": "vidsearch", "labels": {"elasticsearch.k8s.elastic.co/cluster-name": "vidsearch"}}
INGRESS = {"namespace": "ingress-nginx", "labels": {"app.kubernetes.io/name": "ingress-nginx"}}
KUBERAY = {"namespace": "kuberay-system", "labels": {"app.kubernetes.io/name": "kuberay-operator"}}
ECK = {"namespace": "elastic-system", "labels": {"control-plane": "elastic-operator"}}
STRANGER_POD = {"namespace": "vidsearch", "labels": {"app": "debug-shell"}}
OTHER_NAMESPACE = {"namespace": "default", "labels": {"ray.io/is-ray-node": "yes"}}


def _matches(selector: dict, labels: dict) -> bool:
    assert not selector.get("matchExpressions"), "extend the evaluator for matchExpressions"
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _peer_matches(peer: dict, source: dict, namespace: str) -> bool:
    pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
    if namespaces is None:  # a pod selector alone means pods of the policy's own namespace
        return source["namespace"] == namespace and _matches(pods or {}, source["labels"])
    namespace_labels = {"kubernetes.io/metadata.name": source["namespace"]}
    return _matches(namespaces, namespace_labels) and (pods is None or _matches(pods, source["labels"]))


def allowed(policies: list[dict], source: dict, target: dict, port: int) -> bool:
    selecting = [p for p in policies if p["metadata"]["namespace"] == target["namespace"]
                 and _matches(p["spec"]["podSelector"], target["labels"]) and "Ingress" in p["spec"]["policyTypes"]]
    if not selecting:
        return True  # not isolated
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            peers_ok = "from" not in rule or any(_peer_matches(peer, source, policy["metadata"]["namespace"])
                                                 for peer in rule["from"])
            ports_ok = "ports" not in rule or any(p.get("port") == port for p in rule["ports"])
            if peers_ok and ports_ok:
                return True
    return False


@pytest.fixture(scope="module")
def policies(stack) -> list[dict]:
    found = [m for m in stack if m["kind"] == "NetworkPolicy"]
    assert found, "k8s/network-policies.yaml is part of the stack"
    return found


@pytest.mark.parametrize(("source", "target", "port", "expected"), [
    (RAY_POD, RAY_POD, 6379, True),          # GCS between Ray nodes
    (RAY_POD, RAY_POD, 41234, True),         # a worker's gRPC port (Ray picks them)
    (STRANGER_POD, RAY_POD, 6379, False),    # any other pod: no way into Ray
    (STRANGER_POD, RAY_POD, 10001, False),   # nor the Ray client port
    (OTHER_NAMESPACE, RAY_POD, 6379, False),  # a Ray pod of another namespace is not ours
    (INGRESS, RAY_POD, 8000, True),          # search traffic through the ingress controller
    (INGRESS, RAY_POD, 8265, False),         # but not the dashboard
    (KUBERAY, RAY_POD, 8265, True),          # the operator deploys serveConfigV2 through the dashboard
    (RAY_POD, ES_POD, 9200, True),
    (ECK, ES_POD, 9200, True),
    (ES_POD, ES_POD, 9300, True),
    (STRANGER_POD, ES_POD, 9200, False),
    (INGRESS, ES_POD, 9200, False),
    (RAY_POD, STRANGER_POD, 80, False),       # default deny for everything else in the namespace
], ids=["gcs", "worker-port", "stranger-gcs", "stranger-client", "other-namespace", "ingress-http",
        "ingress-dashboard", "operator-dashboard", "ray-es", "eck-es", "es-transport", "stranger-es",
        "ingress-es", "default-deny"])
def test_who_may_connect_to_what(policies, source, target, port, expected):
    assert allowed(policies, source, target, port) is expected
