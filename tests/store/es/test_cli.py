"""``vidsearch es`` as an operator uses it: create, status, reindex with swap, rollback, prune — and one line
for a cluster that is not there."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from tests.store.es.sample import segment
from vidsearch.cli.es import app
from vidsearch.schema import IndexName
from testkit.elasticsearch.fault_server import FaultServer

ENCODER = "text=test-text-encoder:8"


@pytest.fixture
def cli(tmp_path):
    with FaultServer() as srv:
        env = {"VIDSEARCH_ES_URL": srv.url, "VIDSEARCH_DATA_DIR": str(tmp_path / "data"),
               "VIDSEARCH_ES__INITIAL_BACKOFF_S": "0.01", "VIDSEARCH_LOG_LEVEL": "WARNING",
               "VIDSEARCH_ES__BUILD_CHECK_S": "0.05", "VIDSEARCH_ES__REINDEX_POLL_S": "0.01"}
        runner = CliRunner()

        def invoke(*args: str):
            result = runner.invoke(app, list(args), env=env)
            assert result.exception is None or isinstance(result.exception, SystemExit), result.output
            return result

        yield srv, invoke


def test_create_then_status_shows_every_alias_and_its_encoders(cli):
    srv, invoke = cli
    result = invoke("create", "--encoder", ENCODER)
    assert result.exit_code == 0, result.output
    assert "vidsearch-segments → vidsearch-segments-v1" in result.output
    status = json.loads(invoke("status", "--json").output)
    assert status["licence"] == "basic" and status["version"] == "9.1.0"
    segments = status["indices"]["vidsearch-segments"]
    assert segments == [{"name": "vidsearch-segments-v1", "live": True, "state": "live", "docs": 0,
                         "encoders": {"text": {"id": "test-text-encoder", "dims": 8}},
                         "vector_index_type": "int8_hnsw", "mapping_version": 1}]


def test_reindex_copies_and_swaps_then_rollback_and_prune(cli, tmp_path):
    srv, invoke = cli
    invoke("create", "--encoder", ENCODER)
    from tests.store.es.sample import es_settings
    from vidsearch.store.elasticsearch.backend import ElasticsearchStore

    writer = ElasticsearchStore(es_settings(srv.url, tmp_path))
    writer.upsert(IndexName.SEGMENTS, [segment(i) for i in range(30)])
    writer.close()

    result = invoke("reindex", "--index", "segments", "--copy", "client")
    assert result.exit_code == 0, result.output
    assert "segments: copied 30, 0 failed" in result.output
    assert "vidsearch-segments: vidsearch-segments-v1 → vidsearch-segments-v2" in result.output

    result = invoke("reindex", "--index", "segments")  # same encoders: Elasticsearch's own _reindex copies
    assert result.exit_code == 0, result.output
    assert "copied by _reindex: 30 created, 0 updated" in result.output
    assert "vidsearch-segments: vidsearch-segments-v2 → vidsearch-segments-v3" in result.output
    assert [r.path for r in srv.requests if r.path == "/_reindex"] == ["/_reindex"]

    result = invoke("rollback", "--index", "segments")
    assert "vidsearch-segments: vidsearch-segments-v3 → vidsearch-segments-v2" in result.output
    assert srv.state.indices["vidsearch-segments-v2"].aliases == {"vidsearch-segments"}

    result = invoke("prune", "--index", "segments", "--keep", "1")
    assert "deleted vidsearch-segments-v1" in result.output and "deleted vidsearch-segments-v3" in result.output
    assert "vidsearch-segments-v1" not in srv.state.indices


def test_reindex_begin_prints_what_an_ingest_job_needs_and_swap_finishes_it(cli):
    srv, invoke = cli
    invoke("create", "--encoder", ENCODER)
    result = invoke("reindex-begin", "--index", "segments", "--encoder", "text=bigger-encoder:16")
    assert "building vidsearch-segments-v2" in result.output
    assert "VIDSEARCH_ES__WRITE_VERSIONS='{\"segments\": 2}'" in result.output
    result = invoke("reindex-swap", "--index", "segments")
    assert "vidsearch-segments-v1 → vidsearch-segments-v2" in result.output
    status = json.loads(invoke("status", "--json").output)["indices"]["vidsearch-segments"]
    assert [v["encoders"]["text"]["id"] for v in status if v["live"]] == ["bigger-encoder"]


def test_a_bad_encoder_option_is_one_line(cli):
    _, invoke = cli
    result = invoke("create", "--encoder", "text=no-dims")
    assert result.exit_code == 2
    assert "expected role=identity:dims" in result.output


def test_an_unreachable_cluster_is_one_line_and_exit_code_2(tmp_path):
    env = {"VIDSEARCH_ES_URL": "http://127.0.0.1:9", "VIDSEARCH_DATA_DIR": str(tmp_path),
           "VIDSEARCH_ES__CONNECT_CHECK_TIMEOUT_S": "1"}
    result = run_cli("es", "status", env=env, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: Elasticsearch at http://127.0.0.1:9 is unreachable while connecting: "
                     + lines[0].split("while connecting: ", 1)[1]]
    assert "Traceback" not in result.stderr
