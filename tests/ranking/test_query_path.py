"""The one query path in-process (what the CLI and the relevance tooling run): a Korean query searches the Korean
fields and the multilingual encoder as written and the English-only fields through its translation (a tiny Marian
model built here); an English query is not translated; a translator failure leaves the Korean paths answering."""

from __future__ import annotations

import pytest

from tests.serve.serve_testkit import build_tiny_translator
from vidsearch.config import Settings
from vidsearch.documents import Segment
from vidsearch.encoders.text import load_text_encoder
from vidsearch.schema import IndexName
from vidsearch.search import Searcher, SearchRequest
from vidsearch.stages.text_vectors import segment_text
from vidsearch.store.embedded.store import EmbeddedStore

pytestmark = pytest.mark.slow  # trains a tiny Marian model (seconds alone; minutes on a busy box)

SEGMENTS = {
    "v1.s0": {"caption": "a palace at night with lanterns"},  # English only: Korean queries need the translation
    "v1.s1": {"ocr_text": "한라산 등산로", "caption": "hikers on a volcano"},
    "v1.s2": {"caption": "a bowl of kimchi stew"},
}


class Broken:
    identity = "broken"

    def translate(self, texts):
        raise RuntimeError("model fell over")


@pytest.fixture(scope="module")
def searchable(tmp_path_factory):
    root = tmp_path_factory.mktemp("query-path")
    translator_dir = build_tiny_translator(root / "marian")
    settings = Settings(data_dir=root / "data", log_level="WARNING",
                        models={"translator": {"backend": "transformers", "model": str(translator_dir)}})
    encoder = load_text_encoder(settings.models.text)
    store = EmbeddedStore(settings.store_dir, settings.store)
    store.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    segments = [Segment(id=i, video_id="v1", index=n, start_s=n * 4.0, end_s=n * 4.0 + 4, **f)
                for n, (i, f) in enumerate(SEGMENTS.items())]
    for segment, vector in zip(segments, encoder.encode_documents([segment_text(s, encoder) for s in segments]),
                               strict=True):
        segment.text_vec = vector.tolist()
    store.upsert(IndexName.SEGMENTS, [(s.id, s.to_doc()) for s in segments])
    store.close()
    return settings


def test_korean_query_reaches_english_only_text_through_the_translation(searchable) -> None:
    searcher = Searcher(searchable)
    try:
        korean = searcher.search(SearchRequest(query="궁궐 야경", retrievers=["bm25_en"], weights={"bm25_en": 1}))
        assert korean.translated_query == "palace at night"
        assert [h.segment_id for h in korean.hits][:1] == ["v1.s0"]
        both = searcher.search(SearchRequest(query="한라산", explain=True))
        assert both.translated_query == "hallasan"
        assert both.hits[0].segment_id == "v1.s1" and both.hits[0].explain["bm25_ko"]["rank"] == 1
        english = searcher.search(SearchRequest(query="palace at night"))
        assert english.translated_query is None and english.hits[0].segment_id == "v1.s0"
    finally:
        searcher.store.close()


def test_a_failing_translator_is_a_notice_not_an_error(searchable) -> None:
    searcher = Searcher(searchable, translator=Broken())
    try:
        answer = searcher.search(SearchRequest(query="한라산"))
        assert answer.translated_query is None
        assert any("translation failed (RuntimeError)" in n for n in answer.notices)
        assert answer.hits[0].segment_id == "v1.s1"  # the Korean field still answers
    finally:
        searcher.store.close()
