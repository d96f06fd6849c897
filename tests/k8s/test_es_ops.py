"""Elasticsearch's safety net on Kubernetes: data volumes that outlive the resource, nightly snapshots to S3 with
retention, and vidsearch's API keys — least privilege, expiring, rotated — as `kubectl apply -k k8s/es-ops`
sends them, checked against the CRD, Kubernetes' schemas and Elastic's API spec."""

from __future__ import annotations

import fnmatch
import json
import subprocess

import pytest

from tests.k8s.manifests import K8S, SchemaError, load_yaml, mutated, only, render, validate, validate_custom
from tests.store.es import openapi
from vidsearch.schema import IndexName
from vidsearch.store.elasticsearch.mirror import ledger_name
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings

CONFIG = K8S / "es-ops" / "config"


@pytest.fixture(scope="module")
def es_ops():
    return render(K8S / "es-ops")


@pytest.fixture(scope="module")
def elasticsearch():
    return only(render(K8S), "Elasticsearch")


def _json(name: str) -> dict:
    return json.loads((CONFIG / name).read_text(encoding="utf-8"))


def test_every_es_ops_object_is_valid(es_ops):
    kinds = sorted((m["kind"], m["metadata"]["name"].rsplit("-", 1)[0] if m["kind"] == "ConfigMap"
                    else m["metadata"]["name"]) for m in es_ops)
    assert kinds == [("ConfigMap", "vidsearch-es-ops"), ("CronJob", "vidsearch-es-key-rotation"),
                     ("Job", "vidsearch-es-setup"), ("Role", "vidsearch-es-ops"),
                     ("RoleBinding", "vidsearch-es-ops"), ("ServiceAccount", "vidsearch-es-ops")]
    for manifest in es_ops:
        validate(manifest)


def test_deleting_the_elasticsearch_resource_keeps_the_data(elasticsearch):
    assert elasticsearch["spec"]["volumeClaimDeletePolicy"] == "DeleteOnScaledownOnly"
    with pytest.raises(SchemaError, match="DeleteNever"):
        validate_custom(mutated(elasticsearch, "spec.volumeClaimDeletePolicy", "DeleteNever"))


def test_snapshot_credentials_come_from_the_secret_the_template_describes(elasticsearch):
    (template,) = load_yaml(K8S / "secrets" / "es-snapshot-s3.template.yaml")
    assert elasticsearch["spec"]["secureSettings"] == [{"secretName": template["metadata"]["name"]}]
    repository = _json("snapshot-repository.json")
    client = repository["settings"]["client"]
    assert set(template["stringData"]) == {f"s3.client.{client}.access_key", f"s3.client.{client}.secret_key"}
    assert repository["type"] == "s3" and repository["settings"]["bucket"]


def test_the_lifecycle_policy_snapshots_every_vidsearch_index_nightly_with_retention():
    policy = _json("slm-policy.json")
    script = (CONFIG / "setup.sh").read_text(encoding="utf-8")
    assert f"/_snapshot/{policy['repository']} " in script  # the repository the script registers
    fields = policy["schedule"].split()
    assert len(fields) in (6, 7) and fields[0].isdigit()  # Elasticsearch cron: seconds first
    retention = policy["retention"]
    assert retention["expire_after"] == "30d" and 1 <= retention["min_count"] <= retention["max_count"]
    names = [a for a in _aliases_and_indices()]
    assert all(any(fnmatch.fnmatchcase(n, p) for p in policy["config"]["indices"]) for n in names)
    assert policy["config"]["include_global_state"] is False  # a restore never overwrites cluster settings


def _aliases_and_indices() -> list[str]:
    prefix = ElasticsearchSettings().index_prefix
    return [f"{prefix}-{i.value}" for i in IndexName] + [f"{prefix}-{i.value}-v7" for i in IndexName] + [
        ledger_name(ElasticsearchSettings())]


@pytest.mark.parametrize("name", ["api-key-search.json", "api-key-ingest.json"])
def test_api_keys_are_valid_scoped_and_expire(name):
    body = _json(name)
    assert openapi.request_errors("POST", "/_security/api_key", {}, body) == []
    assert body["expiration"] == "90d"
    (role,) = body["role_descriptors"].values()
    assert role["cluster"] == ["monitor"]
    for grant in role["indices"]:
        assert "all" not in grant["privileges"]
        assert all(any(fnmatch.fnmatchcase(n, p) for p in grant["names"]) for n in _aliases_and_indices())
        assert not any(fnmatch.fnmatchcase(".security", p) or fnmatch.fnmatchcase("other-app", p)
                       for p in grant["names"])


def test_the_search_key_can_only_read():
    (role,) = _json("api-key-search.json")["role_descriptors"].values()
    assert {p for grant in role["indices"] for p in grant["privileges"]} == {"read", "view_index_metadata"}


def test_a_corrupted_key_body_is_caught():
    body = _json("api-key-search.json")
    body["expiraton"] = body.pop("expiration")
    assert any("'expiraton' was unexpected" in e for e in openapi.request_errors("POST", "/_security/api_key",
                                                                                   {}, body))


def test_the_setup_script_is_valid_shell_and_ships_with_every_file_it_reads(es_ops):
    assert subprocess.run(["sh", "-n", str(CONFIG / "setup.sh")], capture_output=True).returncode == 0
    config_map = only(es_ops, "ConfigMap")
    assert set(config_map["data"]) == {p.name for p in CONFIG.iterdir()}
    job = only(es_ops, "Job")
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"][0]["configMap"]["name"] == config_map["metadata"]["name"]  # the hashed name
    assert only(es_ops, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"] == pod


def test_the_ops_account_can_write_only_the_two_key_secrets(es_ops):
    rules = only(es_ops, "Role")["rules"]
    assert all(r["resources"] == ["secrets"] for r in rules)
    named = [r for r in rules if set(r["verbs"]) & {"get", "update", "patch", "delete", "list", "watch"}]
    assert all(r.get("resourceNames") == ["vidsearch-es-api-key", "vidsearch-es-search-key"] for r in named)
    assert not any("delete" in r["verbs"] or "list" in r["verbs"] for r in rules)
