"""One query path: the CLI, the HTTP API and an in-process ``Searcher`` give the same answer — Korean queries
translated by the (tiny, locally built) Marian model for the English-only retrievers, English ones untouched."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from vidsearch.search import Searcher, SearchRequest


def _cli_env(settings) -> dict[str, str]:
    models = settings.models
    return {"VIDSEARCH_MODELS__TRANSLATOR__BACKEND": models.translator.backend,
            "VIDSEARCH_MODELS__TRANSLATOR__MODEL": str(models.translator.model),
            "VIDSEARCH_MODELS__IMAGE_TEXT__BACKEND": models.image_text.backend,
            "VIDSEARCH_MODELS__IMAGE_TEXT__MODEL": str(models.image_text.model),
            "VIDSEARCH_RANKING__PROFILES_DIR": str(settings.ranking.profiles_dir),
            "VIDSEARCH_LOG_LEVEL": "WARNING",
            # only what the server was given: a set normalisation would replace the encoder's default profile
            **({"VIDSEARCH_RANKING__NORMALIZATION": settings.ranking.normalization.value}
               if "normalization" in settings.ranking.model_fields_set else {})}


def _answer(body: dict) -> tuple:
    return ([h["segment_id"] for h in body["hits"]], body["translated_query"], body["retrievers"],
            body["weights"], [n for n in body["notices"] if "translation failed" in n])


@pytest.mark.slow
@pytest.mark.parametrize("query, english", [("궁궐 야경", "palace at night"), ("한라산", "hallasan"),
                                            ("palace at night", None)])
def test_cli_http_and_in_process_answer_alike(client, served, query: str, english: str | None) -> None:
    request = {"query": query, "k": 8}
    over_http = client.post("/v1/search", json=request)
    assert over_http.status_code == 200, over_http.text
    searcher = Searcher(served.settings)
    try:
        in_process = json.loads(searcher.search(SearchRequest(**request)).model_dump_json())
    finally:
        searcher.store.close()
    done = run_cli("search", query, "-k", "8", "--json", "--data-dir", str(served.settings.data_dir),
                   env=_cli_env(served.settings), timeout=300)
    assert done.returncode == 0, done.stderr
    from_cli = json.loads(done.stdout)
    http_body = over_http.json()
    assert in_process["translated_query"] == english
    assert _answer(http_body) == _answer(in_process) == _answer(from_cli)
    assert http_body["hits"], "the demo programme must match these queries"
    for a, b, c in zip(http_body["hits"], in_process["hits"], from_cli["hits"], strict=True):
        assert a["score"] == pytest.approx(b["score"], abs=1e-5) == pytest.approx(c["score"], abs=1e-5)
    if english:  # the English-only retrievers searched the translation
        assert {"bm25_en", "bm25_ko"} <= set(in_process["retrievers"])
