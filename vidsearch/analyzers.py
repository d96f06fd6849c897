"""Text analysis for the embedded store, mirroring the analyzers ``es_mappings`` names in Elasticsearch.

- ``vidsearch_ko`` (nori there, Kiwi here): morphemes with the same part-of-speech stop tags, lowercased, and
  nori's ``decompound_mode: mixed`` behaviour: a compound written as one word (촬영감독, 김민수) yields its parts
  and the whole, so the query matches however Kiwi splits it.
- ``english``: standard tokenisation, possessive removal, lowercase, Lucene's English stop words, Porter stems.
- ``standard``: standard tokenisation and lowercase.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache

import snowballstemmer

# Kiwi tags kept: nouns, numerals, verb/adjective stems, roots, foreign words, hanja, numbers, URLs/hashtags.
# Everything nori's default stop tags drop (particles, endings, affixes, adverbs, symbols) is dropped here too.
_KO_KEEP_PREFIXES = ("NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SH", "SN", "W_URL", "W_EMAIL", "W_HASHTAG")
_KO_NOUN_TAGS = ("NNG", "NNP")

# Lucene EnglishAnalyzer.ENGLISH_STOP_WORDS_SET
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)

# Approximates Unicode UAX#29 word segmentation (Lucene's StandardTokenizer) for the scripts we index:
# words with inner apostrophes, numbers with inner separators, runs of Hangul or Latin letters.
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def standard_tokens(text: str) -> list[str]:
    return [m.group(0).lower() for m in _WORD.finditer(text)]


class EnglishAnalyzer:
    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("porter")
        self._stem = lru_cache(maxsize=200_000)(self._stemmer.stemWord)

    def __call__(self, text: str) -> list[str]:
        out = []
        for token in standard_tokens(text):
            if token.endswith(("'s", "’s")):
                token = token[:-2]
            if token in ENGLISH_STOP_WORDS or not token:
                continue
            out.append(self._stem(token))
        return out


class KoreanAnalyzer:
    """Kiwi morphemes. One Kiwi per process (it loads an 80 MB model once); safe to share between threads."""

    _kiwi = None
    _lock = threading.Lock()

    @classmethod
    def _instance(cls):
        with cls._lock:
            if cls._kiwi is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    from kiwipiepy import Kiwi

                    cls._kiwi = Kiwi(num_workers=-1)
            return cls._kiwi

    def __call__(self, text: str) -> list[str]:
        if not _HANGUL.search(text):  # Kiwi adds nothing for Latin-only text; nori would emit the same words
            return standard_tokens(text)
        return self._morphemes(self._instance().tokenize(text))

    def many(self, texts: Sequence[str]) -> list[list[str]]:
        """Batch analysis: Kiwi's batch call is several times faster than one call per text."""
        results: list[list[str]] = []
        hangul: list[int] = []
        for i, text in enumerate(texts):
            if _HANGUL.search(text):
                hangul.append(i)
                results.append([])
            else:
                results.append(standard_tokens(text))
        if hangul:
            analysed = list(self._instance().tokenize([texts[i] for i in hangul]))
            COMPOUNDS.prime(t.form for tokens in analysed for t in tokens if t.tag in _KO_NOUN_TAGS)
            for i, tokens in zip(hangul, analysed, strict=True):
                results[i] = self._morphemes(tokens)
        return results

    @staticmethod
    def _morphemes(tokens) -> list[str]:
        out: list[str] = []
        run: list = []  # adjacent nouns written as one word → also emit the compound (nori "mixed")

        def flush() -> None:
            if len(run) > 1:
                out.append("".join(t.form for t in run).lower())
            run.clear()

        for tok in tokens:
            tag = tok.tag
            if tag.startswith(_KO_KEEP_PREFIXES):
                out.append(tok.form.lower())
            if tag in _KO_NOUN_TAGS:
                out.extend(COMPOUNDS.parts(tok.form))
            if tag.startswith(_KO_NOUN_TAGS):
                if run and run[-1].start + run[-1].len != tok.start:
                    flush()
                run.append(tok)
            else:
                flush()
        flush()
        return out


class CompoundSplitter:
    """Splits compound nouns Kiwi keeps whole (김치찌개, 해수욕장) into two nouns it knows (김치 + 찌개), as nori's
    decompounding does from its dictionary. A noun of 3–8 Hangul syllables is cut where both halves (two syllables
    or more) are nouns on their own, nearest the middle first. Results are cached; ``prime`` checks the halves of
    many nouns in one batched Kiwi call, which is what keeps bulk indexing fast."""

    MAX_CACHE = 500_000

    def __init__(self) -> None:
        self._parts: dict[str, tuple[str, ...]] = {}
        self._single: dict[str, bool] = {}

    @staticmethod
    def _candidate(noun: str) -> bool:
        return 3 <= len(noun) <= 8 and all(_HANGUL.match(ch) for ch in noun)

    @staticmethod
    def _cuts(noun: str) -> list[tuple[str, str]]:
        middle = len(noun) // 2
        return [(noun[:c], noun[c:]) for c in sorted(range(2, len(noun) - 1), key=lambda c: abs(c - middle))]

    def prime(self, nouns) -> None:
        todo = {n for n in nouns if n not in self._parts and self._candidate(n)}
        halves = sorted({h for n in todo for cut in self._cuts(n) for h in cut} - self._single.keys())
        if halves:
            for half, tokens in zip(halves, KoreanAnalyzer._instance().tokenize(halves), strict=True):
                self._single[half] = len(tokens) == 1 and tokens[0].tag in _KO_NOUN_TAGS and tokens[0].form == half
        if len(self._single) > self.MAX_CACHE or len(self._parts) > self.MAX_CACHE:
            self._single.clear()
            self._parts.clear()
            return
        for noun in todo:
            self._parts[noun] = next(((a, b) for a, b in self._cuts(noun)
                                      if self._single.get(a) and self._single.get(b)), ())

    def parts(self, noun: str) -> tuple[str, ...]:
        if not self._candidate(noun):
            return ()
        if noun not in self._parts:
            self.prime([noun])
        return self._parts.get(noun, ())


COMPOUNDS = CompoundSplitter()


@lru_cache(maxsize=None)
def analyzer(name: str) -> Callable[[str], list[str]]:
    """The analyzer for a mapping's analyzer name."""
    if name == "vidsearch_ko":
        return KoreanAnalyzer()
    if name == "english":
        return EnglishAnalyzer()
    if name in ("standard", "simple"):
        return standard_tokens
    raise KeyError(f"no embedded analyzer for Elasticsearch analyzer {name!r}")


def analyze_many(name: str, texts: Sequence[str]) -> list[list[str]]:
    fn = analyzer(name)
    if isinstance(fn, KoreanAnalyzer):
        return fn.many(texts)
    return [fn(t) for t in texts]
