"""Middle dots between names, found on the line image (real Tesseract on lines drawn with the roll's fonts): a
spaced dot sets names apart whatever Tesseract made of it ("-", ":", "ㆍ", glued to a word, or nothing), a tight
one stays inside its name, and periods, colons, hyphens and the dot of an "i" are not dots."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from testkit.credits.spec import CreditFont
from vidsearch.credits.cleanup import split_names
from vidsearch.ocr.engine import OcrWord
from vidsearch.ocr.preprocess import binarize_for_ocr, remove_specks
from vidsearch.ocr.separators import find_separator_dots, place_separator_dots


def _line(text: str, font: CreditFont, px: int) -> np.ndarray:
    face = ImageFont.truetype(str(font.path), px)
    image = Image.new("RGB", (int(face.getlength(text)) + 40, 2 * px), (0, 0, 0))
    ImageDraw.Draw(image).text((20, px // 2), text, font=face, fill=(255, 255, 255))
    return binarize_for_ocr(cv2.cvtColor(np.array(image), cv2.COLOR_RGB2BGR), 40)


@pytest.mark.parametrize("font", [CreditFont.GOTHIC, CreditFont.MYEONGJO, CreditFont.GOTHIC_BOLD])
@pytest.mark.parametrize("px", [22, 40])
def test_spaced_and_tight_dots_are_told_apart(font, px):
    assert [d.spaced for d in find_separator_dots(_line("보데가 · Ovalau · 박일", font, px))] == [True, True]
    assert [d.spaced for d in find_separator_dots(_line("Coal · North", font, px))] == [True]
    assert [d.spaced for d in find_separator_dots(_line("윌리엄·셰익스피어", font, px))] == [False]
    assert find_separator_dots(_line("Jean-Luc Mr. Smith Li: Ok i j", font, px)) == []


def test_a_dot_is_not_erased_as_a_speck():
    line = _line("Adolf · Peter", CreditFont.GOTHIC, 40)
    assert len(find_separator_dots(remove_specks(line))) == 1
    noisy = line.copy()
    noisy[noisy.shape[0] // 2, 8] = 0  # a one-pixel speck in the margin still goes
    assert remove_specks(noisy)[noisy.shape[0] // 2, 8] == 255


def test_what_the_engine_made_of_a_dot_is_replaced():
    image = _line("Hot Coal · North Bend", CreditFont.GOTHIC, 40)
    (dot,) = find_separator_dots(image)
    glued = [OcrWord("Hot", 0, dot.x0 - 60, 0.9), OcrWord("Coal:", dot.x0 - 50, dot.x0 + 2, 0.9),
             OcrWord("North", dot.x1 + 12, dot.x1 + 80, 0.9), OcrWord("Bend", dot.x1 + 90, dot.x1 + 150, 0.9)]
    assert [w.text for w in place_separator_dots(glued, [dot])] == ["Hot", "Coal", "·", "North", "Bend"]
    across = [OcrWord("Coal-North", dot.x0 - 50, dot.x1 + 80, 0.9)]
    assert [w.text for w in place_separator_dots(across, [dot])] == ["Coal", "·", "North"]
    alone = [OcrWord("Coal", dot.x0 - 50, dot.x0 - 8, 0.9), OcrWord("-", dot.x0, dot.x1, 0.4),
             OcrWord("North", dot.x1 + 12, dot.x1 + 80, 0.9)]
    assert [w.text for w in place_separator_dots(alone, [dot])] == ["Coal", "·", "North"]


@pytest.mark.parametrize("font", [CreditFont.GOTHIC, CreditFont.MYEONGJO])
def test_names_joined_by_dots_read_as_separate_names(font):
    from vidsearch.ocr.tesseract import TesseractEngine

    texts = {"나탈리 보데가 · Ovalau Canyon Centennial · 박일": ["나탈리 보데가", "Ovalau Canyon Centennial", "박일"],
             "Gustav Adolf · Peter Seamus": ["Gustav Adolf", "Peter Seamus"],
             "윌리엄·셰익스피어": ["윌리엄·셰익스피어"]}
    lines = TesseractEngine().read_lines([_line(t, font, 26) for t in texts])
    assert [split_names(line.text) for line in lines] == list(texts.values())


@pytest.mark.parametrize("font", [CreditFont.GOTHIC, CreditFont.MYEONGJO])
def test_a_slash_the_engine_dropped_is_restored_and_letters_are_not_slashes(font):
    from vidsearch.ocr.separators import find_dropped_slashes

    line = _line("2D Layout Artist / 유형관", font, 40)
    assert [w.text for w in find_dropped_slashes(line, [])] == ["/"]
    assert find_dropped_slashes(line, [OcrWord("everything", 0, line.shape[1], 0.9)]) == []
    letters = _line("Vivy Lilly Iris Xavier Kyle", font, 40)
    assert find_dropped_slashes(letters, []) == []


def test_a_blob_inside_a_word_read_without_punctuation_is_not_a_dot():
    image = _line("Adolf · Peter", CreditFont.GOTHIC, 40)
    (dot,) = find_separator_dots(image)
    whole = [OcrWord("Charlottetown", dot.x0 - 80, dot.x1 + 40, 0.96)]
    assert [w.text for w in place_separator_dots(whole, [dot])] == ["Charlottetown"]



def test_a_letters_part_a_pixel_off_its_stem_is_no_dot():
    """Small serif titles (fuzz side 1706, over busy footage): the threshold cuts the ball of each r a pixel off
    its stem, a compact blob at mid-height of the line, and titles were read 'Computer· Programmer',
    'Plaster· Foreman' (seven names under titles no one prints). A tight dot in small bold type is a pixel off
    its letters too, but level with their middle: it stays (fuzz side 1700's 음향·믹싱)."""
    assert find_separator_dots(_line("Computer Programmer", CreditFont.MYEONGJO, 18)) == []
    assert find_separator_dots(_line("Plaster Foreman", CreditFont.MYEONGJO, 18)) == []
    assert [d.spaced for d in find_separator_dots(_line("음향·믹싱", CreditFont.GOTHIC_BOLD, 22))] == [False]
    assert [d.spaced for d in find_separator_dots(_line("조연출·편집", CreditFont.GOTHIC_BOLD, 20))] == [False]
