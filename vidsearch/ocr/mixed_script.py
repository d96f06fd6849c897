"""Latin capitals glued to Hangul (ACC코리아, CK미디어웍스, JTBC스튜디오, YG엔터테인먼트): read by script segment.

With kor+eng, Tesseract reads the Latin head of such a word as symbols or digits ("^<<코리아", "585플러스"), turns
it into a Hangul syllable ("디엔터테인먼트" for CJ엔터테인먼트) or drops it (엔터테인먼트, its ink left unread),
while the Hangul after it is read surely. Where the line's Hangul anchor (a surely read Hangul word) is glued to
doubtful words or unread ink on its left, the span is cut at each blank column between glyphs; every cut's left
part is read English-only and its right part (up to the anchor's end) Korean-only, and the cut whose two reads are
valid (the left all Latin letters, the right all Hangul) and surest wins. A cut at the span's start (no Latin part)
competes too, so a doubtful Hangul syllable can stay Hangul.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.ocr.engine import INK_SPACE, OcrWord

SURE_HANGUL = 0.6  # a Hangul word read at least this surely anchors the span on its left
SURE_LATIN = 0.9  # a clean Latin word read at least this surely is left alone
MIN_LEFT = 0.7  # an English-only read of the left part below this is no evidence of Latin letters
MAX_CUTS = 10

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_ALL_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_LATIN = re.compile(r"[A-Za-z]")
_LONE_STROKES = {"I", "l"}
_NOT_HANGUL = re.compile(r"[^\uac00-\ud7a3\s]")
_CLEAN_LATIN = re.compile(r"[A-Z][A-Za-z]*(?:[&.'+-][A-Za-z]+)*[.]?")

# reads a batch of images with one language, one word list per image
Reader = Callable[[Sequence[np.ndarray], str], list[list[OcrWord]]]


@dataclass(frozen=True)
class _Span:
    line: int
    first: int  # index of the first word replaced (the anchor when only unread ink precedes it)
    anchor: int  # index of the anchor word (replaced too)
    x0: int  # columns of the span in the line image
    x1: int
    cuts: tuple[int, ...]


def _sure_hangul(word: OcrWord) -> bool:
    return word.confidence >= SURE_HANGUL and bool(_ALL_HANGUL.fullmatch(word.text))


def _sure_latin(word: OcrWord) -> bool:
    return word.confidence >= SURE_LATIN and bool(_CLEAN_LATIN.fullmatch(word.text))


def _ink(image: np.ndarray) -> np.ndarray:
    gray = image if image.ndim == 2 else image.min(axis=2)
    return (gray < 128).any(axis=0)


def _blank_runs(ink: np.ndarray, x0: int, x1: int) -> list[tuple[int, int]]:
    cols = np.concatenate(([1], ink[x0:x1].astype(np.int8), [1]))
    edges = np.flatnonzero(np.diff(cols))
    return [(x0 + int(a), x0 + int(b)) for a, b in zip(edges[::2], edges[1::2])]


def find_spans(words: Sequence[OcrWord], image: np.ndarray, line: int) -> list[_Span]:
    """The spans to read by script: doubtful words or unread ink glued to the left of a sure Hangul word (no gap
    wider than a space between them), back to the last surely read word or the last space-wide gap."""
    ordered = sorted(words, key=lambda w: w.x0)
    if not any(_HANGUL.search(w.text) for w in ordered):
        return []
    ink = _ink(image)
    height = max(8.0, float(np.median([w.height for w in ordered if w.height > 0] or [8.0])))
    out: list[_Span] = []
    left = 0
    for k, anchor in enumerate(ordered):
        if not _sure_hangul(anchor):
            if _sure_latin(anchor):
                left = int(np.ceil(anchor.x1))
            continue
        x1 = int(anchor.x0)
        x0 = left
        for a, b in _blank_runs(ink, left, x1):
            if b - a > INK_SPACE * height:
                x0 = b  # a space: what lies before it is not glued to the anchor
        left = int(np.ceil(anchor.x1))
        if x1 - x0 < 3 or not ink[x0:x1].any():
            continue
        first = next((j for j in range(k) if (ordered[j].x0 + ordered[j].x1) / 2 >= x0), k)
        doubtful = [w for w in ordered[first:k] if not _sure_latin(w)]
        if not doubtful and not _unread(ink, ordered[first:k], x0, x1):
            continue
        inner = [(a + b) // 2 for a, b in _blank_runs(ink, x0, x1) if x0 < a and b < x1]
        out.append(_Span(line, first, k, x0, x1, tuple(sorted({x0, *inner[:MAX_CUTS], x1}))))
    return out


def _unread(ink: np.ndarray, words: Sequence[OcrWord], x0: int, x1: int) -> bool:
    """Ink columns in [x0, x1) that no word's box covers — letters the read dropped."""
    covered = np.zeros(x1 - x0, bool)
    for w in words:
        covered[max(0, int(w.x0) - x0):max(0, int(np.ceil(w.x1)) - x0)] = True
    return int((ink[x0:x1] & ~covered).sum()) >= 3


def _pad(crop: np.ndarray, px: int = 12) -> np.ndarray:
    import cv2

    return cv2.copyMakeBorder(crop, 0, 0, px, px, cv2.BORDER_CONSTANT, value=255)


def _score(words: Sequence[OcrWord]) -> tuple[float, int]:
    chars = sum(len(w.text) for w in words)
    if not chars:
        return 0.0, 0
    return sum(w.confidence * len(w.text) for w in words) / chars, chars


def read_mixed(lines: list[list[OcrWord]], images: Sequence[np.ndarray], read: Reader, latin: str,
               korean: str) -> None:
    """Re-read, in place, each line's Latin-glued-to-Hangul spans by script (two batched reads in all)."""
    spans = [s for k, words in enumerate(lines) for s in find_spans(words, images[k], k)]
    if not spans:
        return
    left_jobs: list[np.ndarray] = []
    right_jobs: list[np.ndarray] = []
    index: list[tuple[int, int, int | None, int]] = []  # (span, cut, left job, right job)
    for n, span in enumerate(spans):
        image = images[span.line]
        anchor = sorted(lines[span.line], key=lambda w: w.x0)[span.anchor]
        end = min(image.shape[1], int(np.ceil(anchor.x1)) + 2)
        for cut in span.cuts:
            left = None
            if cut > span.x0:
                left = len(left_jobs)
                left_jobs.append(_pad(image[:, span.x0:cut]))
            right_jobs.append(_pad(image[:, cut:end]))
            index.append((n, cut, left, len(right_jobs) - 1))
    old_words = [sorted(lines[s.line], key=lambda w: w.x0)[s.first:s.anchor + 1] for s in spans]
    left_reads = read(left_jobs, latin) if left_jobs else []
    right_reads = read(right_jobs, korean)
    best: dict[int, tuple[float, list[OcrWord]]] = {}
    for n, cut, left, right in index:
        span = spans[n]
        latin_words = [OcrWord(w.text, w.x0 - 12 + span.x0, w.x1 - 12 + span.x0, w.confidence, w.height)
                       for w in (left_reads[left] if left is not None else [])]
        hangul = [OcrWord(w.text, w.x0 - 12 + cut, w.x1 - 12 + cut, w.confidence, w.height)
                  for w in right_reads[right]]
        if left is not None and (not latin_words or not all(_CLEAN_LATIN.fullmatch(w.text) for w in latin_words)
                                 or min(w.confidence for w in latin_words) < MIN_LEFT):
            continue
        if "".join(w.text for w in latin_words) in _LONE_STROKES:
            continue  # one upright stroke before Hangul is as likely a speck of the picture as a letter
        if not hangul or not all(_ALL_HANGUL.fullmatch(w.text) for w in hangul):
            continue
        kept = [w for w in old_words[n] if w.x0 >= cut - 2]
        if latin_words and kept and all(_ALL_HANGUL.fullmatch(w.text) for w in kept) \
                and kept[0].x0 <= cut + 0.3 * max(8.0, kept[0].height):
            hangul = kept  # the first read had this Hangul right; a re-read of it is no better evidence
        score, _ = _score(latin_words + hangul)
        if n not in best or score > best[n][0]:
            best[n] = (score, latin_words + hangul)
    for n in sorted(best, key=lambda n: (spans[n].line, -spans[n].anchor)):
        span = spans[n]
        score, replacement = best[n]
        ordered = sorted(lines[span.line], key=lambda w: w.x0)
        old = ordered[span.first:span.anchor + 1]
        old_score, _ = _score(old)
        text_old = "".join(w.text for w in old)
        text_new = "".join(w.text for w in replacement)
        if text_new == text_old or score < old_score - 0.05 and len(text_new) <= len(text_old):
            continue
        if not _LATIN.search(text_new):
            # a Korean-only read of the span may replace symbols or digits, never a Hangul read (the second look
            # does that), and must not be shorter (it dropped letters, as kor+eng did)
            if not _NOT_HANGUL.search(text_old) or len(text_new) < len(text_old):
                continue
        lines[span.line] = ordered[:span.first] + replacement + ordered[span.anchor + 1:]
