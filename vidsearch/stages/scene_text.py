"""On-screen text (captions burnt into the picture, signs, title cards) read from each segment's keyframes with
Tesseract kor+eng → the segment's ``ocr_text`` (BM25 and the text vector). Words Tesseract is unsure of are
dropped: a missed word costs less than garbage in the index."""

from __future__ import annotations

import logging
import re
import shutil
from functools import lru_cache

import cv2
import numpy as np

from vidsearch.errors import MissingDependency
from vidsearch.media.frames import Cv2FrameSource, resize_to_width
from vidsearch.stages.base import Stage, StageResources, VideoWork

log = logging.getLogger(__name__)

_MIN_CONFIDENCE = 60.0
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_OCR_WIDTH = 1280


@lru_cache(maxsize=4)
def check_tesseract(cmd: str, languages: str) -> None:
    """Fail with the apt package to install when Tesseract or one of its languages is missing."""
    import pytesseract

    if shutil.which(cmd) is None:
        raise MissingDependency("tesseract", "sudo apt-get install -y tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng")
    pytesseract.pytesseract.tesseract_cmd = cmd
    available = set(pytesseract.get_languages(config=""))
    for lang in languages.split("+"):
        if lang not in available:
            raise MissingDependency(f"tesseract language data '{lang}'",
                                    f"sudo apt-get install -y tesseract-ocr-{lang}")


def _read(grey: np.ndarray, languages: str, psm: int) -> list[str]:
    import pytesseract

    data = pytesseract.image_to_data(grey, lang=languages, config=f"--psm {psm}",
                                     output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    for word, conf, block, par, line in zip(data["text"], data["conf"], data["block_num"], data["par_num"],
                                            data["line_num"], strict=True):
        word = word.strip()
        if word and float(conf) >= _MIN_CONFIDENCE and any(ch.isalnum() for ch in word):
            lines.setdefault((block, par, line), []).append(word)
    return [join_split_syllables(words) for words in lines.values()]


def read_text(image: np.ndarray, languages: str) -> str:
    """Confident words of one BGR image, in reading order, one line per text line.

    Grey and inverted: Tesseract's own colour conversion loses light text on colour, and dark-on-light is what it
    reads best. Whole-frame page segmentation misses some captions that sparse-text mode finds and the other way
    round, so both run: the reading with more confident characters leads, and the other adds the lines it alone
    found.
    """
    grey = 255 - cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    readings = sorted((_read(grey, languages, psm) for psm in (3, 11)), key=lambda r: -sum(map(len, r)))
    lines = list(readings[0])
    seen = {word for line in lines for word in line.split()}
    for line in readings[1]:
        words = set(line.split())
        if len(words - seen) > len(words) / 2:
            lines.append(line)
            seen |= words
    return "\n".join(lines)


def join_split_syllables(words: list[str]) -> str:
    """Tesseract kor often reads "서울의" as "서 울 의": runs of single Hangul syllables are re-joined."""
    out: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and _HANGUL_SYLLABLE.match(word):
            run += word
            continue
        if run:
            out.append(run)
            run = ""
        out.append(word)
    if run:
        out.append(run)
    return " ".join(out)


class SceneTextStage(Stage):
    name = "scene_text"
    version = "1"
    requires = ("shots",)

    def resources(self) -> StageResources:
        return StageResources(num_cpus=1.0)

    def load(self) -> None:
        check_tesseract(self.settings.ocr.tesseract_cmd, self.settings.ocr.languages)

    def process(self, work: VideoWork) -> None:
        self.load()
        times = sorted({t for s in work.segments for t in s.keyframes_s})
        if not times:
            return
        source = Cv2FrameSource(work.path, threads=self.settings.media.decode_threads)
        text_at: dict[float, str] = {}
        for wanted, frame in zip(times, source.frames_at(times, width=_OCR_WIDTH), strict=False):
            text_at[wanted] = read_text(resize_to_width(frame.image, _OCR_WIDTH), self.settings.ocr.languages)
        for segment in work.segments:
            texts = list(dict.fromkeys(text_at.get(t, "") for t in segment.keyframes_s))
            segment.ocr_text = "\n".join(t for t in texts if t) or None
