"""Tesseract (kor+eng) reading many line crops per process.

Tesseract accepts a text file listing images and treats each as a page of one run; with ``--psm 7`` every page
is one text line and the TSV output tags each word with its page. One process start and one language-model load
then serve hundreds of crops — per-line calls spend most of their time starting up (see bench/credits_ocr.py).
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vidsearch.errors import MissingDependency, VidsearchError
from vidsearch.ocr.engine import OcrLine, OcrWord, ink_gaps, join_words
from vidsearch.ocr.mixed_script import read_mixed
from vidsearch.ocr.korean_model import EXTENDED_LANGUAGE, SOURCE_LANGUAGE, ModelBuildRefused, extended_tessdata
from vidsearch.ocr.separators import (
    find_dropped_commas,
    find_dropped_slashes,
    find_separator_dots,
    place_separator_dots,
)
from vidsearch.ocr.settings import OcrSettings

log = logging.getLogger(__name__)

_APT_PACKAGE = {"kor": "tesseract-ocr-kor", "eng": "tesseract-ocr-eng", "osd": "tesseract-ocr-osd"}


class TesseractFailed(VidsearchError):
    status = 500
    title = "OCR failed"


_TESSDATA_DIR = re.compile(r'languages in "(.+?)"')


@functools.cache
def _list_languages(cmd: str) -> tuple[frozenset[str], Path | None]:
    """(installed languages, the tessdata folder they are in)."""
    exe = shutil.which(cmd)
    if exe is None:
        raise MissingDependency(f"the tesseract program ({cmd!r})", "sudo apt-get install -y tesseract-ocr tesseract-ocr-kor")
    proc = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=60)
    output = proc.stdout + proc.stderr
    folder = _TESSDATA_DIR.search(output)
    languages = frozenset(line.strip() for line in output.splitlines() if line.strip() and " " not in line.strip())
    return languages, Path(folder.group(1)) if folder else None


def _installed_languages(cmd: str) -> frozenset[str]:
    return _list_languages(cmd)[0]


@functools.cache
def _model_choice(cmd: str, languages: str, extend_korean: bool, model_dir: Path) -> tuple[str, Path | None]:
    """(languages to pass to tesseract, ``--tessdata-dir`` or None): ``kor`` becomes the extended ``korx`` where it
    can be built; otherwise plain ``kor``, with one warning saying why."""
    wanted = languages.split("+")
    if not extend_korean or SOURCE_LANGUAGE not in wanted:
        return languages, None
    source_dir = _list_languages(cmd)[1]
    try:
        if source_dir is None:
            raise ModelBuildRefused("tesseract did not say where its language data is")
        folder = extended_tessdata(source_dir, model_dir, wanted)
    except (ModelBuildRefused, OSError) as exc:
        log.warning("OCR: reading Korean with plain %r — the extended model (rare syllables such as 옌 뮈 캥 윅) "
                    "is unavailable: %s", SOURCE_LANGUAGE, exc)
        return languages, None
    return "+".join(EXTENDED_LANGUAGE if lang == SOURCE_LANGUAGE else lang for lang in wanted), folder


def check_tesseract(cmd: str, languages: str) -> None:
    """Raise ``MissingDependency`` naming the apt package for a missing program or language data."""
    installed = _installed_languages(cmd)
    for language in languages.split("+"):
        if language not in installed:
            package = _APT_PACKAGE.get(language, f"tesseract-ocr-{language}")
            raise MissingDependency(f"Tesseract language data {language!r}", f"sudo apt-get install -y {package}")


def parse_tsv(tsv: str, pages: int) -> list[list[OcrWord]]:
    """Words per page (1-based ``page_num`` in Tesseract's TSV) → list indexed by page - 1."""
    words: list[list[OcrWord]] = [[] for _ in range(pages)]
    reader = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    next(reader, None)  # header
    for row in reader:
        if len(row) < 12 or row[0] != "5":
            continue
        text = row[11].strip()
        page = int(row[1]) - 1
        if not text or not 0 <= page < pages:
            continue
        left, width = float(row[6]), float(row[8])
        words[page].append(OcrWord(text, left, left + width, max(0.0, float(row[10])) / 100.0, float(row[9])))
    return words


class TesseractEngine:
    name = "tesseract"

    def __init__(self, settings: OcrSettings | None = None, *, batched: bool = True) -> None:
        self.settings = settings or OcrSettings()
        self.batched = batched
        check_tesseract(self.settings.tesseract_cmd, self.settings.languages)
        self._exe = shutil.which(self.settings.tesseract_cmd) or self.settings.tesseract_cmd
        s = self.settings
        self.languages, self._tessdata = _model_choice(s.tesseract_cmd, s.languages, s.extend_korean,
                                                       s.tesseract_model_dir)

    def _run(self, source: str, workdir: Path, languages: str | None = None) -> str:
        s = self.settings
        env = {**os.environ, "OMP_THREAD_LIMIT": str(s.tesseract_threads)}
        cmd = [self._exe, source, "stdout", "-l", languages or self.languages, "--psm", str(s.tesseract_psm)]
        if self._tessdata is not None:
            cmd += ["--tessdata-dir", str(self._tessdata)]
        cmd.append("tsv")
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=s.tesseract_timeout_s, env=env,
                                  cwd=workdir)
        except subprocess.TimeoutExpired:
            raise TesseractFailed(f"tesseract timed out after {s.tesseract_timeout_s:.0f} s on {source}") from None
        if proc.returncode != 0:
            reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
            raise TesseractFailed(f"tesseract failed on {source}: {reason}")
        return proc.stdout

    def _read_words(self, paths: list[Path], workdir: Path, languages: str | None = None) -> list[list[OcrWord]]:
        """Words of each image, ``tesseract_batch_size`` images per process (one per process when not batched)."""
        out: list[list[OcrWord]] = []
        step = self.settings.tesseract_batch_size if self.batched else 1
        for start in range(0, len(paths), step):
            chunk = paths[start:start + step]
            if len(chunk) == 1:
                source = str(chunk[0])
            else:
                listing = workdir / f"batch{start:05d}-{languages or 'all'}.txt"
                listing.write_text("".join(f"{p}\n" for p in chunk))
                source = str(listing)
            out.extend(parse_tsv(self._run(source, workdir, languages), len(chunk)))
        return out

    def _read_images(self, images: Sequence[np.ndarray], workdir: Path, languages: str, tag: str
                     ) -> list[list[OcrWord]]:
        paths = []
        for n, image in enumerate(images):
            path = workdir / f"{tag}-{languages}-{n:05d}.png"
            if not cv2.imwrite(str(path), image):
                raise TesseractFailed(f"could not write line image {path}")
            paths.append(path)
        return self._read_words(paths, workdir, languages)

    def read_lines(self, images: Sequence[np.ndarray]) -> list[OcrLine]:
        # a crop without ink holds no text (Tesseract would still "read" a syllable or two on a blank page)
        inked = [i for i, image in enumerate(images) if image.size and int(image.min()) < 128]
        out = [OcrLine("", 0.0) for _ in images]
        if not inked:
            return out
        with tempfile.TemporaryDirectory(prefix="vidsearch-ocr-") as tmp:
            workdir = Path(tmp)
            paths = []
            for i in inked:
                path = workdir / f"line{i:05d}.png"
                if not cv2.imwrite(str(path), images[i]):
                    raise TesseractFailed(f"could not write line image {path}")
                paths.append(path)
            words = self._read_words(paths, workdir)
            primary = self.languages.split("+")[0]
            suspect = [k for k, line in enumerate(words) if any(_latin_garbage(w, line) for w in line)]
            if suspect and primary != self.languages:
                again = self._read_words([paths[k] for k in suspect], workdir, primary)
                for k, alternative in zip(suspect, again):
                    words[k] = _repair(words[k], alternative)
            latin = next((lang for lang in self.languages.split("+") if lang == "eng"), None)
            digits = [k for k, line in enumerate(words) if any(_digit_garbage(w, line) for w in line)]
            if digits and latin is not None and latin != self.languages:
                again = self._read_words([paths[k] for k in digits], workdir, latin)
                for k, alternative in zip(digits, again):
                    words[k] = _repair_digits(words[k], alternative)
            if latin is not None and latin != self.languages:
                if self.settings.read_mixed_script and primary != latin:
                    read_mixed(words, [images[i] for i in inked],
                               lambda crops, lang: self._read_images(crops, workdir, lang, "mixed"), latin, primary)
                self._reread_latin_ends(words, [images[i] for i in inked], workdir, latin)
            for index, line_words in zip(inked, words):
                out[index] = _line(line_words, images[index])
        return out


    def _reread_latin_ends(self, words: list[list[OcrWord]], images: Sequence[np.ndarray], workdir: Path,
                           latin: str) -> None:
        """Latin letters glued to Hangul in one word (피닉스C&M, JTBC스튜디오) that the Korean model read as digits
        ("피닉스6&4"): the end's own glyphs are cut out and read English-only; the read replaces the end when it is
        letters as many as the glyphs it replaces."""
        todo: list[tuple[int, int, slice, int, np.ndarray]] = []
        for k, line in enumerate(words):
            for j, word in enumerate(line):
                end = _digit_end(word.text)
                if end is None:
                    continue
                cut = _glyph_span(images[k], _clipped(word, line), end)
                if cut is not None:
                    todo.append((k, j, end, cut[0], images[k][:, cut[0]:cut[1]]))
        if not todo:
            return
        paths = []
        for n, (*_, crop) in enumerate(todo):
            path = workdir / f"end{n:05d}.png"
            padded = cv2.copyMakeBorder(crop, 0, 0, 12, 12, cv2.BORDER_CONSTANT, value=255)
            if not cv2.imwrite(str(path), padded):
                raise TesseractFailed(f"could not write line image {path}")
            paths.append(path)
        for (k, j, end, _, _), again in zip(todo, self._read_words(paths, workdir, latin)):
            text = "".join(w.text for w in again)
            word = words[k][j]
            wanted = len(word.text[end])
            if len(text) != wanted or _DIGIT.search(text) or not _LATIN.search(text):
                continue
            confidence = float(np.mean([w.confidence for w in again]))
            if confidence < 0.5:
                continue
            kept = len(word.text) - wanted
            mixed = (word.confidence * kept + confidence * wanted) / len(word.text)
            words[k][j] = OcrWord(word.text[:end.start] + text + word.text[end.stop:], word.x0, word.x1, mixed,
                                  word.height)


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_NOT_HANGUL_END = re.compile(r"^[^\uac00-\ud7a3\s]{2,}|[^\uac00-\ud7a3\s]{2,}$")


def _digit_end(text: str) -> slice | None:
    """The run of two or more non-Hangul characters at either end of a Hangul word, when it holds a digit; the
    whole word when it is such a run itself (Tesseract often boxes the Latin end of 피닉스C&M as its own word)."""
    if not _HANGUL.search(text):
        return slice(0, len(text)) if _digit_garbage(OcrWord(text, 0, 0, 0)) else None
    for match in _NOT_HANGUL_END.finditer(text):
        if _DIGIT.search(match.group()):
            return slice(match.start(), match.end())
    return None


def _clipped(word: OcrWord, line: Sequence[OcrWord]) -> OcrWord:
    """The word's box cut back to its neighbours' boxes: Tesseract often boxes the Latin start of a mixed line
    (SBS플러스 read as "585") across the whole line, while the Hangul words after it are boxed right."""
    x0, x1 = word.x0, word.x1
    for other in line:
        if other is word:
            continue
        if other.x0 > word.x0 + 1:
            x1 = min(x1, other.x0)
        elif other.x1 < word.x1 - 1:
            x0 = max(x0, other.x1)
    return OcrWord(word.text, x0, max(x0 + 1, x1), word.confidence, word.height)


def _glyph_span(image: np.ndarray, word: OcrWord, end: slice) -> tuple[int, int] | None:
    """Columns of the word's end: as many ink runs (glyphs) as the end has characters, counted from that side of
    the word's box. None when the word's ink does not split into enough runs."""
    gray = image if image.ndim == 2 else image.min(axis=2)
    x0, x1 = max(0, int(word.x0)), min(gray.shape[1], int(np.ceil(word.x1)))
    columns = (gray[:, x0:x1] < 128).any(axis=0).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], columns, [0]))))
    runs = list(zip(edges[::2], edges[1::2]))
    count = end.stop - end.start
    if end.start == 0 and end.stop == len(word.text):
        # Tesseract's box may start or end inside a glyph (the C of 피닉스C&M): widen it to blank columns
        ink = (gray < 128).any(axis=0)
        while 0 < x0 < len(ink) and ink[x0] and ink[x0 - 1]:
            x0 -= 1
        while x1 < len(ink) and ink[x1 - 1] and ink[x1]:
            x1 += 1
        return (x0, x1) if runs else None
    if len(runs) <= count:
        return None
    if end.start == 0:
        return x0, x0 + (runs[count - 1][1] + runs[count][0]) // 2
    return x0 + (runs[-count - 1][1] + runs[-count][0]) // 2, x1
_LATIN = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[0-9]")


def _latin_garbage(word: OcrWord, line: Sequence[OcrWord] = ()) -> bool:
    """A Latin word that may be a misread Hangul one: with kor+eng, Hangul names often come out as "AAS", "Bale",
    "wae", "ad" — unsure, short beside Hangul words, or two letters at most. (It is only replaced when the Korean
    reading is Hangul and surer, so a real "of" or "TV" stays.)"""
    if not _LATIN.search(word.text) or _HANGUL.search(word.text):
        return False
    beside_hangul = len(word.text) <= 4 and any(_HANGUL.search(w.text) for w in line)
    return word.confidence < 0.8 or beside_hangul or len(word.text) <= 2


def _repair(words: list[OcrWord], korean: list[OcrWord]) -> list[OcrWord]:
    """Replace each unsure Latin word by the Korean-only reading of the same span, when that reading is Hangul
    and surer. English words read confidently stay (the Korean-only model mangles them)."""
    out: list[OcrWord] = []
    used: set[int] = set()  # a Korean word under two overlapping garbage boxes is taken once
    for word in words:
        if not _latin_garbage(word, words):
            out.append(word)
            continue
        inside = [n for n, k in enumerate(korean) if word.x0 - 2 <= (k.x0 + k.x1) / 2 <= word.x1 + 2]
        if inside and all(_HANGUL.search(korean[n].text) for n in inside) \
                and float(np.mean([korean[n].confidence for n in inside])) > word.confidence:
            out.extend(korean[n] for n in inside if n not in used)
            used.update(inside)
        else:
            out.append(word)
    return out


_BRACKETED = re.compile(r"[A-Z<(\[]*[A-Z<][A-Z)\]>]*")


def _unbalanced(text: str) -> bool:
    return any(text.count(a) != text.count(b) for a, b in ("()", "[]", "<>"))


def _digit_garbage(word: OcrWord, line: Sequence[OcrWord] = ()) -> bool:
    """Digits where a Latin word stood: kor+eng reads "Beugg" as "86499" and "SBS" as "505"; or capitals with a
    bracket that closes nothing, its J or C: "CJ ENM" as "C) ENM", "C] ENM", "<) ENM". Credits print few numbers
    and fewer lone brackets, and the word is only replaced when the English-only reading of its span is letters."""
    if _HANGUL.search(word.text) or len(word.text) < 2:
        return False
    return bool(_DIGIT.search(word.text)) or (bool(_BRACKETED.fullmatch(word.text)) and _unbalanced(word.text))


def _repair_digits(words: list[OcrWord], english: list[OcrWord]) -> list[OcrWord]:
    out: list[OcrWord] = []
    used: set[int] = set()
    for word in words:
        inside = [k for n, k in enumerate(english) if word.x0 - 2 <= (k.x0 + k.x1) / 2 <= word.x1 + 2
                  and n not in used]
        if _digit_garbage(word, words) and inside and all(_LATIN.search(k.text) and not _DIGIT.search(k.text)
                                                          for k in inside) \
                and float(np.mean([k.confidence for k in inside])) >= 0.5:
            used.update(n for n, k in enumerate(english) if any(k is i for i in inside))
            out.extend(inside)
        else:
            out.append(word)
    return out


def _line(words: list[OcrWord], image: np.ndarray | None = None) -> OcrLine:
    """Words → one line; spaces from the gaps in ``image`` (the picture read) where given."""
    if not words:
        return OcrLine("", 0.0)
    if image is not None:
        words = place_separator_dots(words, find_separator_dots(image))
        words = sorted(words + find_dropped_slashes(image, words), key=lambda w: w.x0)
        words = find_dropped_commas(image, words)
    text_height = max(8.0, float(np.median([w.height for w in words])))
    weights = np.array([max(1, len(w.text)) for w in words], np.float32)
    confidence = float(np.average([w.confidence for w in words], weights=weights))
    gaps = ink_gaps(image, words) if image is not None else None
    return OcrLine(join_words(words, text_height, ink_gaps=gaps), confidence, tuple(words))
