"""Cleaning credit text and telling roles from names."""

from __future__ import annotations

import pytest

from vidsearch.credits.cleanup import clean_text, letter_share, normalise, split_fields, split_names
from vidsearch.credits.lexicon import clean_role, is_korean_name, name_score, role_score


@pytest.mark.parametrize(("text", "fields"), [
    ("Director of Photography ........... 김민수", ["Director of Photography", "김민수"]),
    ("촬영 / 김민수 · 이영희", ["촬영", "김민수 · 이영희"]),
    ("제작 : 스튜디오드래곤", ["제작", "스튜디오드래곤"]),
    ("음악 | 최유나", ["음악", "최유나"]),
    ("음악 l 최유나", ["음악", "최유나"]),  # a bar read as a letter between Hangul words
    ("| 편집 |", ["편집"]),
    ("Artist", ["Artist"]),
])
def test_fields_split_at_leaders_slashes_bars_and_colons(text, fields):
    assert split_fields(text) == fields


@pytest.mark.parametrize(("text", "names"), [
    ("김민수 · 이영희", ["김민수", "이영희"]),
    ("정우성, 한가인, 송혜교", ["정우성", "한가인", "송혜교"]),
    ("이영희   박지성", ["이영희", "박지성"]),  # a wide gap sets names apart
    ("쥬세페 토르나토레", ["쥬세페 토르나토레"]),  # a single space does not: a Hangul-written foreign name
    ("쥬세페 토르나토레   Michael Beugg", ["쥬세페 토르나토레", "Michael Beugg"]),
    ("윌리엄·셰익스피어 · 짐 캐쉬", ["윌리엄·셰익스피어", "짐 캐쉬"]),  # a tight middle dot is inside a name
    ("Jane Doe, John Smith", ["Jane Doe", "John Smith"]),
    ("Jane Doe   John Smith", ["Jane Doe", "John Smith"]),  # set apart by a wide gap
    ("한가인 · 김 민 수", ["한가인", "김민수"]),  # a name read syllable by syllable
    ("CJ E&M 방송사업부문", ["CJ E&M 방송사업부문"]),
])
def test_names_split_at_separators_and_gaps(text, names):
    assert split_names(text) == names


def test_normalise_fixes_common_confusions():
    assert normalise("Pr0duction  Manager") == "Production · Manager"  # digit in a word; double space = gap
    assert normalise("Sound  Mixer").startswith("Sound")
    assert normalise("정우성ㆍ한가인") == "정우성·한가인"
    assert normalise("Co1orist") == "Colorist"


def test_clean_text_drops_decoration_keeps_words():
    assert clean_text("조명 ..... 정우성, 한가인") == "조명 정우성 한가인"
    assert clean_text("촬영 / 김민수 · 이영희") == "촬영 김민수 이영희"


def test_letter_share_flags_symbol_soup():
    assert letter_share("촬영감독 김민수") == 1.0
    assert letter_share("@#% ^&* 1") < 0.2


@pytest.mark.parametrize(("text", "role", "name"), [
    ("촬영감독", True, False), ("연출", True, False), ("조명", True, False), ("Director of Photography", True, False),
    ("Gaffer", True, False), ("김민수", False, True), ("조명희", False, True), ("연정훈", False, True),
    ("남궁민", False, True), ("Jane Doe", False, True),
])
def test_roles_and_names_are_told_apart(text, role, name):
    assert (role_score(text) >= 0.8) is role
    assert (name_score(text) >= 0.5) is name


def test_korean_names_start_with_a_surname():
    assert is_korean_name("김민수") and is_korean_name("황보혜정")
    assert not is_korean_name("스튜디오") and not is_korean_name("촬영")


def test_clean_role_removes_ocr_spaces_inside_role_compounds():
    assert clean_role("촬 영 감독") == "촬영감독"
    assert clean_role("동시 녹음") == "동시녹음"
    assert clean_role("조명.") == "조명"
    assert clean_role("Director of Photography") == "Director of Photography"


def test_a_title_one_syllable_off_a_known_one_is_corrected():
    assert clean_role("촬영강독") == "촬영감독"
    assert clean_role("조영출") == "조연출"
    assert clean_role("미술감둑") == "미술감독"
    assert clean_role("김민수") == "김민수" and clean_role("조명희") == "조명희"  # names are not roles
    assert clean_role("펴진") == "펴진"  # two syllables: too short to guess
    # a title as printed is kept even where another title is one syllable away (issue 12 (g))
    assert clean_role("녹음실장") == "녹음실장" and clean_role("녹음팀장") == "녹음팀장"


def test_names_are_kept_as_read_and_english_role_words_are_corrected():
    from vidsearch.credits.cleanup import split_names

    # no surname "correction": a first syllable that is no Korean surname is a foreign name, or the OCR's reading
    assert split_names("검무열 · 프랑코 · 스탈디 · 로지에 · 브렌든 · 흥민지") == [
        "검무열", "프랑코", "스탈디", "로지에", "브렌든", "흥민지"]
    assert split_names("짐 캐쉬   팀 르두") == ["짐 캐쉬", "팀 르두"]
    assert split_names("김민준황승언") == ["김민준황승언"]  # no gap on screen: not split by a surname list
    assert clean_role("Rigging Gatfer") == "Rigging Gaffer"
    assert clean_role("Graphic Designer") == "Graphic Designer"  # a right word is never "corrected"


def test_role_words_are_not_taken_for_misread_names():
    from vidsearch.credits.layout import _classify_single

    assert _classify_single("색보정", 27, 32) == ("heading", "색보정", [])
    assert _classify_single("백보정", 27, 32) == ("heading", "색보정", [])  # one syllable off a role title


def test_a_serif_capital_j_read_as_a_bracket_is_restored():
    # a Latin word that opened no bracket ends in "]": Myeongjo's descending J ("KPJ" → "KP]" → stripped to "KP")
    assert split_names("KP]") == ["KPJ"]
    assert split_names("KP], SBS") == ["KPJ", "SBS"]
    assert normalise("제작 KP]") == "제작 KPJ"
    assert normalise("Ra]") == "Raj"
    # brackets that are brackets stay brackets (and are stripped as decoration, not turned into letters)
    assert split_names("[KBS]") == ["KBS"]
    assert split_names("김민수]") == ["김민수"]


def test_kpj_in_myeongjo_read_by_tesseract_keeps_its_j():
    from tests.ocr.conftest import draw_line
    from testkit.credits.render import CreditFont
    from vidsearch.ocr.preprocess import binarize_for_ocr
    from vidsearch.ocr.tesseract import TesseractEngine

    image = binarize_for_ocr(draw_line("KPJ", font_px=32, font=CreditFont.MYEONGJO))
    (line,) = TesseractEngine().read_lines([image])
    assert split_names(line.text) == ["KPJ"], line.text


def test_a_symbol_read_against_a_title_is_no_part_of_it():
    """Over busy footage (fuzz cards 1705) a shape against a title's first letter was read as a symbol glued to
    it: its names were credited to '€casting Director' and 'Video Playback ®operator', titles no one searches
    for. No title prints a currency sign or a registered mark; ㈜ stays (a company's name), as do separators."""
    assert clean_role("€casting Director").casefold() == "casting director"
    assert clean_role("Video Playback ®operator").casefold() == "video playback operator"
    assert clean_role("㈜초록뱀미디어") == "㈜초록뱀미디어"
    assert clean_role("조연출·편집") == "조연출·편집" and clean_role("Hair/Makeup") == "Hair/Makeup"


def test_a_composite_titles_dot_read_as_an_apostrophe_is_its_dot():
    """Light fuzz cards 1709: the middle dot of 음향·믹싱, a little high in its type, was read as an apostrophe on
    every sighting, and four names were credited to "음향'믹싱" (a title no one searches and no code maps)."""
    assert clean_role("음향'믹싱") == clean_role("음향’믹싱") == "음향·믹싱"
    assert clean_role("조연출-편집") == "조연출·편집"
