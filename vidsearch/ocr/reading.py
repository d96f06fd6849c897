"""Reading line crops with a second look: the batch is read binarised; lines the engine was unsure of (a weak
line, or one weak word) are read again — the same crop left grey for the engine to binarise its own way, the same
crop binarised smaller (Tesseract misses some serif lines at one size and reads them at another), and another
sighting of the line when the caller has one — and the surest reading wins. Both passes are batched.

A line seen several times (a roll carries it across the screen) can also be read from each sighting and the
readings voted on (``read_sightings``): over busy footage one sighting's misread (a shape crossing a letter) is
seldom repeated by the others, while Tesseract is often sure of it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from vidsearch.ocr.engine import OcrEngine, OcrLine
from vidsearch.ocr.glyphs import dotless_i, names_dotted_latin, unread_ink
from vidsearch.ocr.preprocess import binarize_for_ocr, grey_for_ocr

WEAK_WORD = 0.6
# a line read from one crop (no sightings to vote) is looked at again below this word confidence: 39 of 45 sure
# one-stroke misreads of 480 rendered names had a word below it, and a third of the names read right
# (``bench/credits_name_reads.py``)
LONE_WEAK_WORD = 0.92
# a middle dot between two Hangul words comes back as any of these (분장·미용, 분장ㆍ미용, 분장:미용): the same read
# for voting, so two sightings that agree on the letters outvote one sure read that lost a syllable
_HANGUL_DOT = re.compile(r"(?<=[\uac00-\ud7a3])\s*[·ㆍ•∙・‧⋅:]\s*(?=[\uac00-\ud7a3])")


@dataclass(frozen=True)
class CropReading:
    line: OcrLine
    source: int  # 0: the crop binarised; 1: the same crop otherwise prepared (grey, smaller); 2: the alternate crop
    dotless: bool = False  # the read names an i/j the picture it came from has no dot for (``dotless_i``)
    lost_ink: bool = False  # the read's words leave a glyph's worth of the picture's ink out (``unread_ink``)

    @property
    def doubtful(self) -> bool:
        """The picture contradicts the read: it gets the second look and does not vote while a read it does not
        contradict remains."""
        return self.dotless or self.lost_ink


_LATIN_SPACE = re.compile(r"(?<=[A-Za-z.,]) (?=[A-Za-z])")
_LATIN_RUN = re.compile(r"[A-Za-z.,]+(?: [A-Za-z.,]+)*")
GLUED_RUN = 12  # letters: a Latin run this long with no space is words glued together, not one long word


def latin_spaces(text: str) -> int:
    """Spaces between Latin words that a glued read would surely have lost: before a capital ("CJ ENM",
    "Michael Beugg") or inside a run too long for one word ('Seoul skyline at night'). Reads of one line that
    agree but for spaces are one vote; between them the one with more such spaces wins (Tesseract glues words
    surely), while a lower-case split of a short word ("Col ma") and Hangul spacing are left to the confidence."""
    count = 0
    for run in _LATIN_RUN.finditer(text):
        long = len(run.group().replace(" ", "")) >= GLUED_RUN
        count += sum(1 for m in _LATIN_SPACE.finditer(run.group()) if long or run.group()[m.end()].isupper())
    return count


# a comma between two words: the engine drops one (a thin mark against a glyph) far more often than it makes
# one up in a blank gap, and a dropped comma runs two names into one ("벨타운 툼스톤 고몽, Almeria Goodale Alta")
_WORD_COMMA = re.compile(r",(?= )")


def word_commas(text: str) -> int:
    """Commas set between words. Reads of one line that agree but for them are one vote; between them the one
    with more wins, as with ``latin_spaces``."""
    return len(_WORD_COMMA.findall(text))


def ballot_key(text: str) -> str:
    """What two reads must share to count as one vote: the letters, spaces and commas between words aside, and a
    dot between Hangul words written any way."""
    return _WORD_COMMA.sub("", _HANGUL_DOT.sub("·", text)).replace(" ", "")


def _spelled_apart(text: str) -> tuple[int, int]:
    """Between reads that agree on the letters: the one keeping more of what sets words and names apart."""
    return latin_spaces(text), word_commas(text)


def is_weak(line: OcrLine, below: float, word_below: float = WEAK_WORD) -> bool:
    weakest = min((w.confidence for w in line.words), default=0.0)
    return line.confidence < below or weakest < word_below


def _dotless(line: OcrLine, crop: np.ndarray, line_height_px: int) -> bool:
    """``dotless_i`` against the crop binarised as it was read but with its small marks kept (the speck cleaner
    takes an i's dot for noise: 'Seoul skyline at night' had no dots left and was read again, glued together)."""
    return names_dotted_latin(line) and dotless_i(line, binarize_for_ocr(crop, line_height_px, keep_marks=True))


def read_crops(engine: OcrEngine, crops: Sequence[np.ndarray], line_height_px: int = 40,
               second_look_below: float = 0.8, alternates: Sequence[np.ndarray | None] | None = None,
               lone: Sequence[bool] | None = None) -> list[CropReading]:
    """One reading per crop (BGR or grey, as cut from the frame), in order. A crop flagged in ``lone`` (nothing
    else will vote on its line) gets the second look where a word is below ``LONE_WEAK_WORD``."""
    binarised = [binarize_for_ocr(c, line_height_px) for c in crops]
    first = engine.read_lines(binarised)
    out = [CropReading(line, 0, _dotless(line, crops[i], line_height_px), unread_ink(line, binarised[i]))
           for i, line in enumerate(first)]
    looks: list[tuple[int, int, np.ndarray, Callable[[OcrLine], bool]]] = []
    sure = set()  # read surely by the usual measure, looked at only because nothing else votes on the line
    for i, line in enumerate(first):
        if not is_weak(line, second_look_below) and not out[i].doubtful:
            if not (lone is not None and lone[i] and is_weak(line, second_look_below, LONE_WEAK_WORD)):
                continue
            sure.add(i)
        grey, small = grey_for_ocr(crops[i], line_height_px), int(line_height_px * 0.75)
        looks.append((i, 1, grey, lambda line, grey=grey: dotless_i(line, grey)))  # grey: nothing erased
        looks.append((i, 1, binarize_for_ocr(crops[i], small),
                      lambda line, crop=crops[i]: _dotless(line, crop, small)))
        alternate = alternates[i] if alternates is not None else None
        if alternate is not None:
            looks.append((i, 2, binarize_for_ocr(alternate, line_height_px),
                          lambda line, crop=alternate: _dotless(line, crop, line_height_px)))
    if looks:
        candidates: dict[int, list[CropReading]] = {}
        for (i, source, image, check), line in zip(looks, engine.read_lines([look[2] for look in looks])):
            candidates.setdefault(i, [out[i]]).append(CropReading(line, source, check(line), unread_ink(line, image)))
        for i, readings in candidates.items():
            kept = _vote(readings)
            if i in sure and not _outvoted(readings[0], kept, readings):
                kept = readings[0]
            out[i] = replace(kept, line=replace(kept.line, readings=tuple(r.line.text for r in readings)))
    # every look read nothing: Tesseract reads no text at all off some clean crops of a short Hangul title at 40 and
    # 30 px and left grey (진행, 0.7 of the names' size over a coloured picture) and reads it at twice the size; a
    # yellow title with a drop shadow over mauve (조연출, 회계) has its text channel (the per-pixel minimum: yellow's
    # blue is low) split at the shadow's edges, hollow glyphs at every size, and is read from its brightness
    blank = [i for i, r in enumerate(out) if not r.line.text.strip()]
    if blank:
        large = int(line_height_px * 2)
        blank_looks = [(i, binarize_for_ocr(crops[i], large), large, crops[i]) for i in blank]
        blank_looks += [(i, binarize_for_ocr(luma, line_height_px), line_height_px, luma)
                        for i in blank if crops[i].ndim == 3
                        for luma in [cv2.cvtColor(crops[i], cv2.COLOR_BGR2GRAY)]]
        found: dict[int, CropReading] = {}
        for (i, image, size, crop), line in zip(blank_looks, engine.read_lines([look[1] for look in blank_looks])):
            if line.text.strip() and (i not in found or line.confidence > found[i].line.confidence):
                seen = out[i].line.readings or (out[i].line.text,)
                found[i] = CropReading(replace(line, readings=(*seen, line.text)), 1,
                                       _dotless(line, crop, size), unread_ink(line, image))
        for i, reading in found.items():
            out[i] = reading
    return out


def _outvoted(first: CropReading, kept: CropReading, readings: Sequence[CropReading]) -> bool:
    """A sure first read is changed only by two looks agreeing on other letters: with no agreement the surest look
    is no better a guess than the sure read (얼반웍스미디어 read right, then 얼반원스미디어 by a look alone), and a
    look's spacing or commas alone (the grey look sets '신병, 철' where the others read 신병철) change no sure read."""
    key = ballot_key(kept.line.text)
    return key != ballot_key(first.line.text) and sum(ballot_key(r.line.text) == key for r in readings) >= 2


def _vote(readings: Sequence[CropReading]) -> CropReading:
    """The text most of the looks agree on (spaces aside), its surest reading; with no agreement the surest
    reading. Tesseract's confidence is no guide between two one-letter-apart reads (안흥진 0.85 against 안홍진),
    while the same misread seldom survives a change of binarisation and size. An empty read does not vote while a
    look read something: Tesseract reads nothing at all off some clean crops at one size (a dev roll's 최종환, at
    one moment of its passage) and the same crop smaller right, and two empty looks outvoted that read."""
    groups: dict[str, list[CropReading]] = {}
    if any(r.line.text.strip() for r in readings):
        readings = [r for r in readings if r.line.text.strip()]
    if any(not r.doubtful for r in readings):
        readings = [r for r in readings if not r.doubtful]
    for reading in readings:
        groups.setdefault(ballot_key(reading.line.text), []).append(reading)
    best = max(groups.values(), key=lambda g: (len(g), max(r.line.confidence for r in g)))
    return max(best, key=lambda r: (*_spelled_apart(r.line.text), r.line.confidence))


def read_sightings(engine: OcrEngine, sightings: Sequence[Sequence[np.ndarray]], line_height_px: int = 40,
                   second_look_below: float = 0.8, plausible: Callable[[str], bool] | None = None
                   ) -> list[tuple[OcrLine, int]]:
    """One reading per line from its sightings (best first; each a crop), with the index of the sighting the
    reading came from. The first sighting is read with a second look (the second sighting as its alternate); a
    line with three or more sightings has the others read once too, and the readings vote (``vote_lines``;
    ``plausible`` as there). A line with fewer than three sightings (a still card over black is one) has no
    sightings to outvote a sure misread of one stroke (홍요섭 read 옹요섭, 처치랜드 저치랜드): its first sighting gets
    the second look unless every word was read surely (``LONE_WEAK_WORD``), and the looks vote. All reads go out in two batches."""
    first = read_crops(engine, [s[0] for s in sightings], line_height_px, second_look_below,
                       [s[1] if len(s) > 1 else None for s in sightings], [len(s) < 3 for s in sightings])
    extra = [(i, k) for i, s in enumerate(sightings) if len(s) > 2 for k in range(1, len(s))]
    images = [binarize_for_ocr(sightings[i][k], line_height_px) for i, k in extra]
    lines = engine.read_lines(images) if extra else []
    ballots: list[list[tuple[OcrLine, int]]] = [
        [(r.line, 1 if r.source == 2 else 0)] for i, r in enumerate(first)]
    dotless: list[list[bool]] = [[r.doubtful] for r in first]
    for (i, k), line, image in zip(extra, lines, images):
        if not (k == 1 and first[i].source == 2):  # that sighting already voted, through the second look
            ballots[i].append((line, k))
            dotless[i].append(_dotless(line, sightings[i][k], line_height_px) or unread_ink(line, image))
    # a read naming letters its picture lacks, or leaving letters of it unread, does not vote while another
    # sighting's read does
    # every look and sighting read is kept on the winner (``OcrLine.readings``), voting or not: a later repair
    # asks whether they agreed
    seen = [(first[i].line.readings or (first[i].line.text,)) + tuple(line.text for line, k in bs[1:])
            for i, bs in enumerate(ballots)]
    ballots = [[b for b, d in zip(bs, ds) if not d] if not all(ds) else bs for bs, ds in zip(ballots, dotless)]
    voted = [vote_lines(b, plausible) if len(b) > 1 else b[0] for b in ballots]
    return [(replace(complete_cut(line, texts), readings=texts), k) for (line, k), texts in zip(voted, seen)]


# separators a composite title or a name is joined with ('편집/CG', '조연출·편집'); a read ending in one was cut
CUT_AT = "/·ㆍ&+"


def complete_cut(line: OcrLine, readings: Sequence[str]) -> OcrLine:
    """``line`` with the text the other readings show past the separator it ends in, where it ends in one: the
    looks and sightings of a composite title disagree by halves ('편집/<' and '편집/' from the binarised looks,
    'WA/CG' twice from the grey ones: fuzz cards 2305's 편집/CG), the vote keeps one half and the cut title lost
    what it names. The words most readings show after that separator (letters and digits only) are added."""
    text = line.text.rstrip()
    if not text or text[-1] not in CUT_AT or not line.words:
        return line
    cut = text[-1]
    tails: dict[str, int] = {}
    for reading in readings:
        head, sep, tail = reading.rpartition(cut)
        tail = tail.strip()
        if sep and head.strip() and tail and all(ch.isalnum() or ch == " " for ch in tail):
            tails[tail] = tails.get(tail, 0) + 1
    if not tails:
        return line
    tail = max(tails, key=lambda t: (tails[t], -len(t)))
    last = line.words[-1]
    return replace(line, text=text + tail, words=(*line.words[:-1], replace(last, text=last.text.rstrip() + tail)))


def vote_lines(ballots: Sequence[tuple[OcrLine, int]], plausible: Callable[[str], bool] | None = None,
               min_confidence: float = 0.5) -> tuple[OcrLine, int]:
    """The text most sightings agree on (``ballot_key``: spaces and the way a middle dot came out aside), ties broken by the summed confidence; its surest reading.
    An empty read does not vote; nor, while others remain, does a guess (below ``min_confidence``: a small grey
    role read 'FAAS' at 0.3–0.4 from four sightings, 구성ㆍ연출 at 0.81 from one) or a reading the caller finds
    implausible (a credit line read as digits, 'Cutter' as 60009). With no two agreeing, the surest reading."""
    groups: dict[str, list[tuple[OcrLine, int]]] = {}
    voting = [b for b in ballots if b[0].text.replace(" ", "")]
    for keep in (lambda b: b[0].confidence >= min_confidence, lambda b: plausible is None or plausible(b[0].text)):
        if any(keep(b) for b in voting):
            voting = [b for b in voting if keep(b)]
    for ballot in voting:
        groups.setdefault(ballot_key(ballot[0].text), []).append(ballot)
    if not groups:
        return ballots[0]
    best = max(groups.values(), key=lambda g: (len(g), sum(line.confidence for line, _ in g)))
    if len(best) < 2:
        return max((g[0] for g in groups.values()), key=lambda b: b[0].confidence)
    return max(best, key=lambda b: (*_spelled_apart(b[0].text), b[0].confidence))


# a crop read again only where a repair of its text is on the table and its read was sure (``reread``): the second
# look above never ran on it. Each look is one the first read did not use: Tesseract's sure misreads of one letter
# (촬영강독팀, 수증카메라) seldom survive a change of size, while the rendered titles read right kept their letters
# in these looks (``bench/credits_role_repair.py --ocr``)
_REREAD_LOOKS = ((binarize_for_ocr, 2.0), (binarize_for_ocr, 0.75), (grey_for_ocr, 1.0))


def reread(engine: OcrEngine, crops: Sequence[np.ndarray], line_height_px: int = 40) -> list[tuple[str, ...]]:
    """Every crop read again in other looks (upscaled ×2 and binarised, binarised at ¾ size, left grey), one
    batch; per crop the texts read, in look order."""
    images = [prepare(crop, int(line_height_px * scale)) for crop in crops for prepare, scale in _REREAD_LOOKS]
    lines = engine.read_lines(images) if images else []
    n = len(_REREAD_LOOKS)
    return [tuple(line.text for line in lines[k * n:(k + 1) * n]) for k in range(len(crops))]


class LazyReread:
    """The texts of ``reread`` for one crop, read on the first call and kept: a repair asks only for the few lines
    whose sure read it would change, and every such line costs one more engine batch."""

    def __init__(self, engine: OcrEngine, crop: np.ndarray, line_height_px: int = 40) -> None:
        self._engine, self._crop, self._line_height_px = engine, crop, line_height_px
        self._texts: tuple[str, ...] | None = None

    def __call__(self) -> tuple[str, ...]:
        if self._texts is None:
            self._texts = reread(self._engine, [self._crop], self._line_height_px)[0]
        return self._texts
