"""The embedded store's BM25 against rank-bm25 (a reference, never the engine) and Lucene's norm encoding."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from vidsearch.analyzers import analyzer, standard_tokens
from vidsearch.schema import IndexName
from vidsearch.store.base import TextRetriever
from vidsearch.store.embedded.postings import byte4_to_int, encoded_lengths, int_to_byte4
from vidsearch.store.embedded.store import EmbeddedStore


class LuceneIdfBM25(BM25Okapi):
    """rank-bm25 with Lucene's IDF, ln(1 + (N - n + 0.5)/(n + 0.5)): BM25Okapi's own IDF has no +1 and floors
    negative values, so it is not what Elasticsearch computes."""

    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


def _corpus(seed: int, docs: int, max_len: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(60)]
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like: some terms common, most rare
    return [rng.choices(vocab, weights, k=rng.randint(1, max_len)) for _ in range(docs)]


def _store_with(tmp_path, corpus: list[list[str]]) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "store")
    store.upsert(IndexName.SEGMENTS, [(f"d{i:04d}", {"video_id": "v", "index": i, "start_s": 0, "end_s": 1,
                                                     "ocr_text": " ".join(doc)}) for i, doc in enumerate(corpus)])
    return store


def test_scores_equal_rank_bm25_with_lucene_idf(tmp_path):
    # Documents shorter than 24 tokens have exact norms in Lucene, so scores must match to float precision.
    # rank-bm25 keeps the (k1 + 1) factor that Lucene dropped in 8.0: a constant 2.2 between the two.
    corpus = _corpus(seed=1, docs=300, max_len=20)
    store = _store_with(tmp_path, corpus)
    reference = LuceneIdfBM25(corpus, k1=1.2, b=0.75)
    for query in (["w1"], ["w3", "w17"], ["w0", "w5", "w42", "w59"]):
        expected = reference.get_scores(query) / 2.2
        found = store.search(IndexName.SEGMENTS, [TextRetriever("q", " ".join(query), ("ocr_text",), k=300)])["q"]
        got = np.zeros(len(corpus))
        for cand in found:
            got[int(cand.id[1:])] = cand.score
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_rankings_match_on_long_documents(tmp_path):
    # Long documents use Lucene's lossy one-byte lengths; rank order still agrees with exact lengths except on
    # near-ties, so compare the top 10 as sets.
    corpus = _corpus(seed=2, docs=200, max_len=400)
    store = _store_with(tmp_path, corpus)
    reference = LuceneIdfBM25(corpus, k1=1.2, b=0.75)
    for query in (["w7"], ["w11", "w30"], ["w2", "w40", "w50"]):
        expected = set(np.argsort(-reference.get_scores(query), kind="stable")[:10])
        found = store.search(IndexName.SEGMENTS, [TextRetriever("q", " ".join(query), ("ocr_text",), k=10)])["q"]
        got = {int(c.id[1:]) for c in found}
        assert len(got & expected) >= 9


def test_norm_encoding_matches_lucene_smallfloat():
    assert [int_to_byte4(i) for i in range(24)] == list(range(24))  # exact below NUM_FREE_VALUES
    assert byte4_to_int(int_to_byte4(100)) == 96  # Lucene: 100 tokens score as 96
    assert byte4_to_int(int_to_byte4(1000)) == 984
    lengths = np.array([1, 23, 24, 100, 1000, 5000])
    assert encoded_lengths(lengths).tolist() == [byte4_to_int(int_to_byte4(int(x))) for x in lengths]
    for i in range(1, 100_000, 97):  # decoding never lengthens and is monotonic
        assert byte4_to_int(int_to_byte4(i)) <= i


def test_filtered_search_keeps_whole_index_statistics(tmp_path):
    # Elasticsearch applies filters without changing term statistics: a filtered document scores as unfiltered.
    corpus = [["apple"], ["apple", "pear"], ["pear"], ["plum"]]
    store = _store_with(tmp_path, corpus)
    from vidsearch.store.base import SearchFilters

    everything = store.search(IndexName.SEGMENTS, [TextRetriever("q", "apple", ("ocr_text",))])["q"]
    only_first = store.search(IndexName.SEGMENTS, [TextRetriever("q", "apple", ("ocr_text",))],
                              SearchFilters(ranges={"index": {"lte": 0}}))["q"]
    assert [c.id for c in only_first] == ["d0000"]
    assert only_first[0].score == pytest.approx(next(c.score for c in everything if c.id == "d0000"))


def test_korean_analysis_matches_compounds_both_ways():
    ko = analyzer("vidsearch_ko")
    assert {"촬영", "감독", "촬영감독"} <= set(ko("촬영감독 김민수"))
    assert "촬영감독" in ko("촬영감독")  # a query for the compound matches the decompounded document
    assert "서울" in ko("서울의 밤거리를") and "의" not in ko("서울의 밤거리를")  # particles dropped
    assert analyzer("english")("The director's cameras were running") == ["director", "camera", "were", "run"]
    assert standard_tokens("U2 3.5 don't") == ["u2", "3.5", "don't"]
