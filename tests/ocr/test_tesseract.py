"""Tesseract kor+eng reading many line crops per process; missing program or language data named by apt package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditFont
from vidsearch.errors import MissingDependency
from vidsearch.ocr.engine import OcrWord, join_words
from vidsearch.ocr.preprocess import binarize_for_ocr
from vidsearch.ocr.settings import OcrSettings
from vidsearch.ocr.tesseract import TesseractEngine, _list_languages, check_tesseract, parse_tsv

LINES = ["촬영감독 김민수", "Director of Photography", "조명 정우성", "편집 박지성", "음악감독 한가인",
         "Production Manager"]


@pytest.fixture(scope="module")
def images():
    return [binarize_for_ocr(draw_line(text, font_px=32)) for text in LINES]


def test_a_batch_is_read_in_order_in_one_process(tesseract, images):
    lines = tesseract.read_lines(images)
    assert [line.text for line in lines] == LINES
    assert all(line.confidence > 0.8 for line in lines)


def test_small_batches_and_per_line_calls_read_the_same(images):
    chunked = TesseractEngine(OcrSettings(tesseract_batch_size=4)).read_lines(images)
    per_line = TesseractEngine(batched=False).read_lines(images[:2])
    assert [line.text for line in chunked] == LINES
    assert [line.text for line in per_line] == LINES[:2]


def test_a_blank_crop_reads_as_empty_without_shifting_the_others(tesseract, images):
    blank = images[0].copy()
    blank[:] = 255
    lines = tesseract.read_lines([images[0], blank, images[2]])
    assert [line.text for line in lines] == [LINES[0], "", LINES[2]]
    assert lines[1].confidence == 0.0


def test_words_are_joined_by_their_gaps():
    words = [OcrWord("촬", 0, 30, 0.9, 40), OcrWord("영", 34, 64, 0.9, 40), OcrWord("감독", 66, 130, 0.9, 40),
             OcrWord("김민수", 150, 240, 0.9, 40), OcrWord("이영희", 300, 390, 0.9, 40)]
    assert join_words(words, 40) == "촬영감독 김민수   이영희"  # 20 px = space; 60 px = names set apart


def test_tsv_pages_map_to_their_images():
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "5\t1\t1\t1\t1\t1\t10\t5\t40\t30\t95.5\t연출\n"
           "5\t3\t1\t1\t1\t1\t12\t5\t60\t30\t91.0\t김민수\n"
           "5\t3\t1\t1\t1\t2\t80\t5\t60\t30\t-1\t \n")
    pages = parse_tsv(tsv, 3)
    assert [[w.text for w in page] for page in pages] == [["연출"], [], ["김민수"]]
    assert pages[0][0].confidence == pytest.approx(0.955)


def test_missing_tesseract_names_the_apt_package():
    with pytest.raises(MissingDependency, match="apt-get install -y tesseract-ocr tesseract-ocr-kor"):
        check_tesseract("tesseract-not-installed-here", "kor+eng")


def test_missing_korean_data_names_tesseract_ocr_kor(tmp_path: Path, monkeypatch):
    """A real tesseract whose data folder lacks kor (TESSDATA_PREFIX pointing at a copy with eng only)."""
    source = Path("/usr/share/tesseract-ocr/5/tessdata")
    (tmp_path / "eng.traineddata").symlink_to(source / "eng.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    _list_languages.cache_clear()
    try:
        with pytest.raises(MissingDependency, match="tesseract-ocr-kor"):
            TesseractEngine(OcrSettings(languages="kor+eng"))
        TesseractEngine(OcrSettings(languages="eng"))  # what is installed still works
    finally:
        _list_languages.cache_clear()
    assert "TESSDATA_PREFIX" in os.environ


def test_korean_names_misread_as_latin_by_kor_eng_are_reread_in_korean(tesseract):
    """kor+eng turns some Hangul names into unsure Latin ("AAS", "Bale"); those spans are re-read with kor alone."""
    import cv2

    names = ["서자연   김류현", "조선묵   윤희석", "강예솔   고정민", "오승아   방지영", "자오즈민   강세정"]
    images = []
    for text in names:
        for size in (32, 45):
            line = draw_line(text, font_px=size, font=CreditFont.MYEONGJO)
            ok, jpeg = cv2.imencode(".jpg", line, [cv2.IMWRITE_JPEG_QUALITY, 60])
            images.append(binarize_for_ocr(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)))
    reads = tesseract.read_lines(images)
    assert not any(ch.isascii() and ch.isalpha() for line in reads for ch in line.text)
    from vidsearch.credits.cleanup import edit_distance

    edits = sum(edit_distance(line.text.replace(" ", ""), names[i // 2].replace(" ", "")) for i, line in enumerate(reads))
    assert edits <= 0.05 * sum(2 * len(n.replace(" ", "")) for n in names)


def test_latin_letters_glued_to_hangul_are_read_in_english(tesseract):
    """kor+eng reads the Latin end of a Korean company name as digits (피닉스C&M → 피닉스<&4 / 피닉스6&4, the word
    box starting inside the C); the end's own glyphs are cut out and read English-only. Real digits stay digits.
    (Other fonts fail otherwise — the whole word read as Latin, 스 read as A — and are left to the second look.)"""
    names = ["피닉스C&M", "시즌2", "제3자", "KBS2TV"]
    drawn = [(CreditFont.GOTHIC, 26), (CreditFont.GOTHIC, 32), (CreditFont.GOTHIC_BOLD, 32),
             (CreditFont.MYEONGJO_BOLD, 32)]
    images = [binarize_for_ocr(draw_line(name, px, font=font), 48) for font, px in drawn for name in names]
    read = [line.text.replace(" ", "") for line in tesseract.read_lines(images)]
    assert read == names * len(drawn), read


def test_a_latin_start_boxed_across_the_whole_line_is_cut_at_the_hangul_after_it(tesseract):
    """Tesseract boxes the "118<" it reads for JTBC (JTBC스튜디오) across the whole line, while 스튜디오 is boxed
    right: the Latin start is cut back to its neighbours before its glyphs are re-read English-only."""
    drawn = [(CreditFont.GOTHIC, 32, 40), (CreditFont.GOTHIC_BOLD, 32, 40), (CreditFont.GOTHIC_BOLD, 26, 48)]
    images = [binarize_for_ocr(draw_line("JTBC스튜디오", px, font=font), height) for font, px, height in drawn]
    assert [line.text for line in tesseract.read_lines(images)] == ["JTBC스튜디오"] * len(drawn)


def test_capitals_with_a_bracket_that_closes_nothing_are_read_again_in_english(tesseract):
    """kor+eng reads the J of "CJ ENM" as ")" or "]" (C) ENM, C] ENM, <) ENM): the word's span is read again
    English-only. Before: 2 of 8 renders right; balanced brackets and Hangul words are left alone."""
    from tests.ocr.conftest import draw_line
    from testkit.credits.render import CreditFont
    from vidsearch.ocr.engine import OcrWord
    from vidsearch.ocr.tesseract import _digit_garbage

    assert _digit_garbage(OcrWord("C)", 0, 1, 0.9)) and _digit_garbage(OcrWord("<)", 0, 1, 0.9))
    assert not any(_digit_garbage(OcrWord(t, 0, 1, 0.9)) for t in ("(KR)", "CJ", "(주)", "I", "ENM"))
    from vidsearch.ocr.reading import read_crops

    crops = [draw_line("CJ ENM", font_px=px, font=font) for font in CreditFont for px in (26, 36)]
    reads = [r.line.text for r in read_crops(tesseract, crops, 40)]  # first read and second look, as credits do
    assert sum(text == "CJ ENM" for text in reads) >= 7, reads


def test_a_comma_the_engine_dropped_between_names_is_put_back(tesseract):
    """kor+eng read "권성덕, Valentine Abington" (Nanum Gothic Bold, 26 px) without its comma, running two names
    together; the comma is the last blob of 권성덕's box, set off from its ink. No comma appears where none is."""
    from tests.ocr.conftest import draw_line
    from testkit.credits.render import CreditFont
    from vidsearch.ocr.separators import find_dropped_commas

    image = binarize_for_ocr(draw_line("권성덕, Valentine Abington", font_px=26, font=CreditFont.GOTHIC_BOLD), 40)
    assert tesseract.read_lines([image])[0].text == "권성덕, Valentine Abington"
    names = ["김민수 박지영", "쥬세페 토르나토레", "Jane Porter", "조명 감독 정우성", "Michael Beugg", "CJ ENM"]
    for font in CreditFont:
        images = [binarize_for_ocr(draw_line(n, font_px=30, font=font), 40) for n in names]
        for image, line in zip(images, tesseract.read_lines(images)):
            assert "," not in line.text
            assert [w.text for w in find_dropped_commas(image, line.words)] == [w.text for w in line.words]
