"""The second look: which of several readings of one unsure line is kept."""

from __future__ import annotations

import pytest

from tests.ocr.conftest import draw_line
from vidsearch.ocr.engine import OcrLine
from vidsearch.ocr.reading import CropReading, _vote, read_crops


def reading(text: str, confidence: float, source: int = 0) -> CropReading:
    return CropReading(OcrLine(text, confidence), source)


def test_the_text_most_looks_agree_on_wins_over_a_surer_lone_misread():
    """안홍진 binarised at 40 px reads 안흥진 at 0.85; grey and smaller looks read 안홍진 less surely."""
    kept = _vote([reading("안흥진", 0.85), reading("안홍진", 0.80, 1), reading("안 홍진", 0.82, 1)])
    assert kept.line.text == "안 홍진" and kept.source == 1  # spaces aside they agree; the surer of the two


def test_without_agreement_the_surest_reading_is_kept():
    kept = _vote([reading("Colima", 0.70), reading("Colma", 0.90, 1), reading("Calma", 0.60, 2)])
    assert kept.line.text == "Colma"
    assert _vote([reading("김민수", 0.95)]).line.text == "김민수"


@pytest.mark.parametrize("below", [0.0, 1.0])
def test_read_crops_keeps_one_reading_per_crop_in_order(tesseract, below):
    """With no second look (below 0) and with every line looked at again (below 1), with real Tesseract."""
    crops = [draw_line(text, font_px=32) for text in ("촬영감독 김민수", "Director of Photography")]
    readings = read_crops(tesseract, crops, 40, second_look_below=below)
    assert [r.line.text for r in readings] == ["촬영감독 김민수", "Director of Photography"]


def test_sightings_vote_over_a_sure_misread_of_the_best_placed_one():
    """Over busy footage the sighting nearest mid-screen can be misread surely (Colma read Colima at 0.92);
    the other sightings of the line, read once each, outvote it."""
    from vidsearch.ocr.reading import vote_lines

    ballots = [(OcrLine("Colima", 0.92), 0), (OcrLine("Colma", 0.85), 1), (OcrLine("Col ma", 0.80), 2)]
    line, source = vote_lines(ballots)
    assert (line.text, source) == ("Colma", 1)
    # empty reads do not vote (two of them are no agreement); with no two agreeing the surest reading stands
    assert vote_lines([(OcrLine("", 0.0), 0), (OcrLine("", 0.0), 1), (OcrLine("김민주", 0.6), 2)])[1] == 2
    assert vote_lines([(OcrLine("김민수", 0.5), 0), (OcrLine("김민주", 0.9), 1), (OcrLine("김민지", 0.8), 2)])[1] == 1


def test_sightings_that_read_a_middle_dot_differently_still_agree():
    """The three sightings of a composite role on the dev fast_scroll roll, as real Tesseract read them: two agree
    on every letter but wrote the middle dot as ':' and 'ㆍ'; the third lost the first syllable and was the surest.
    The two outvote it (before, no two agreed and '장·미용' took the names of '분장·미용')."""
    from vidsearch.ocr.reading import ballot_key, vote_lines

    ballots = [(OcrLine("분장:미용", 0.84), 0), (OcrLine("장·미용", 0.95), 1), (OcrLine("분장ㆍ미용", 0.87), 2)]
    line, source = vote_lines(ballots)
    assert (line.text, source) == ("분장ㆍ미용", 2)
    assert ballot_key("편집 / CG") == "편집/CG"  # only a dot between Hangul words is folded
    assert ballot_key("Dr.Kim:Lee") == "Dr.Kim:Lee"
    assert ballot_key("분장 · 미용") == ballot_key("분장ㆍ미용") == "분장·미용"


def test_read_sightings_with_real_tesseract_follows_the_majority_of_sightings(tesseract):
    """The best-placed sighting shows a different picture (as a shape crossing a letter makes Tesseract read
    another name); two later sightings show the line as it is: the line is read as they show it, from one of
    them, and a line seen once or twice is read from its first sighting as before."""
    from vidsearch.ocr.reading import read_sightings

    right, wrong = draw_line("김민자", font_px=36), draw_line("김민지", font_px=36)
    other = draw_line("촬영감독", font_px=36)
    readings = read_sightings(tesseract, [[wrong, right, right], [other], [other, other]], 40,
                              second_look_below=0.0)
    assert [line.text for line, _ in readings] == ["김민자", "촬영감독", "촬영감독"]
    assert readings[0][1] in (1, 2) and readings[1][1] == 0 and readings[2][1] == 0


def test_an_implausible_reading_does_not_vote_while_a_plausible_one_exists():
    """Over busy footage 'Cutter' was read 00009, Cutter, 60009, Cutter, 60009: digit reads are no credit line."""
    from vidsearch.ocr.reading import vote_lines

    ballots = [(OcrLine(text, conf), k) for k, (text, conf) in
               enumerate([("00009", 0.58), ("Cutter", 0.40), ("60009", 0.49), ("Cutter", 0.73), ("60009", 0.66)])]
    assert vote_lines(ballots, min_confidence=0.0)[0].text == "60009"  # summed confidence keeps the digits
    assert vote_lines(ballots, plausible=lambda text: not text.isdigit()) == ballots[3]
    digits_only = ballots[:1] + ballots[2:3]
    assert vote_lines(digits_only, plausible=lambda text: not text.isdigit())[0].text == "00009"


def test_guesses_do_not_outvote_a_sure_reading():
    """small_font: the role 구성ㆍ연출 read surely from its best sighting, and 'FAAS' at 0.3–0.4 from four others."""
    from vidsearch.ocr.reading import vote_lines

    ballots = [(OcrLine("구성ㆍ연출", 0.81), 0)] + [(OcrLine("FAAS", c), k) for k, c in enumerate((.38, .37, .29, .29), 1)]
    assert vote_lines(ballots)[0].text == "구성ㆍ연출"
    assert vote_lines(ballots[1:])[0].text == "FAAS"  # guesses alone still give a reading


def test_between_reads_agreeing_but_for_spaces_the_one_spacing_latin_words_wins():
    """The vote groups reads spaces aside; a glued Latin read, however sure, loses to the spaced one (Tesseract
    glues words, it does not split them), while Hangul spacing is still left to the confidence."""
    from vidsearch.ocr.reading import vote_lines
    kept = _vote([reading("Seoulskylineatnight", 0.93), reading("Seoul skyline at night", 0.81, 1),
                  reading("Seoul skylineat night", 0.85, 1)])
    assert kept.line.text == "Seoul skyline at night"
    line, _ = vote_lines([(OcrLine("CJENM", 0.9), 0), (OcrLine("CJ ENM", 0.8), 1)])
    assert line.text == "CJ ENM"
    assert _vote([reading("김 민수", 0.7), reading("김민수", 0.9, 1)]).line.text == "김민수"


def test_empty_looks_do_not_outvote_the_look_that_read_the_line():
    """Tesseract reads nothing at all off some clean crops at one size (dev film_no_gap's 최종환, at one moment of
    its passage) and the same crop smaller right: the two empty looks were one group and outvoted that read, and
    the line went to a lone sighting's misread '치종환'."""
    kept = _vote([reading("", 0.0), reading("", 0.0, 1), reading("최종환", 0.84, 1)])
    assert kept.line.text == "최종환"
    assert _vote([reading("", 0.0), reading("", 0.0, 1)]).line.text == ""


def test_every_look_and_sighting_read_is_kept_on_the_winner(tesseract):
    """The role-title repair asks whether a line's looks and sightings agreed (``OcrLine.readings``): with real
    Tesseract, three sightings of one line give the winner three readings, a line read from one crop its own and
    those of the looks it got (a word below ``LONE_WEAK_WORD``: Tesseract gives a Hangul syllable ~0.93 at best)."""
    from vidsearch.ocr.reading import read_sightings

    crop = draw_line("촬영감독", font_px=32)
    [(many, _), (once, _)] = read_sightings(tesseract, [[crop, crop, crop], [crop]], 40, second_look_below=0.0)
    assert many.readings == ("촬영감독",) * 3
    assert once.readings and set(once.readings) == {"촬영감독"}


def test_a_comma_between_names_that_one_look_dropped_is_kept():
    """dev film_dot_leader, as real Tesseract read one row's looks and sightings: one look and two sightings read
    '고몽 Almeria' (the comma against 몽 dropped), one look '고몽, Almeria'. Agreeing but for the comma they are one
    vote, and the read keeping it wins; before, the two comma-less sightings won and two names read as one."""
    from vidsearch.ocr.reading import ballot_key, vote_lines

    kept = _vote([reading("벨타운 툼스톤 7, Almeria Goodale Alta", 0.88),
                  reading("벨타운 툼스톤 고몽, Almeria Goodale Alta", 0.95, 1),
                  reading("벨타운 툼스톤 We, Almeria Goodale Alta", 0.90, 1),
                  reading("벨타운 툼스톤 고몽 Almeria Goodale Alta", 0.96, 2)])
    assert kept.line.text == "벨타운 툼스톤 고몽, Almeria Goodale Alta"
    line, _ = vote_lines([(OcrLine("벨타운 툼스톤 고몽 Almeria Goodale Alta", 0.96), 0),
                          (OcrLine("벨타운 툼스톤 고몽, Almeria Goodale Alta", 0.95), 1),
                          (OcrLine("벨타운 툼스톤 고몽 Almeria Goodale Alta", 0.95), 2),
                          (OcrLine("벨타운 EAE is, Almeria Goodale Alta", 0.92), 3)])
    assert line.text == "벨타운 툼스톤 고몽, Almeria Goodale Alta"
    assert ballot_key("김민수,이영희") != ballot_key("김민수이영희")  # a comma with no gap after it is a letter's


# still-card lines as bench/credits_name_reads.py renders them (testkit fonts and backgrounds, softened, JPEG): one
# crop each, read surely with one stroke or letter wrong when binarised at 40 px (키든, 판타지오이미저, Skrvabin)
_ONE_CROP_MISREADS = (("키튼 캐니언", "foreign_hangul", "MYEONGJO_BOLD", 0.03, "moving_colour", 0.636, 74, 133),
                      ("판타지오이미지", "company", "MYEONGJO_BOLD", 0.026, "moving_colour", 0.503, 55, 221),
                      ("Jaspers Skryabin Wagner", "latin", "MYEONGJO", 0.022, "black", 0.429, 40, 192))


@pytest.mark.parametrize("drawn", _ONE_CROP_MISREADS, ids=lambda d: d[0])
def test_a_line_read_from_one_crop_gets_the_second_look_below_a_sure_word(tesseract, drawn):
    """A still card over black gives its line one crop: no sightings to outvote a sure one-stroke misread (line
    confidence above the second look's 0.8, the misread syllable or word at 0.88-0.91). The looks (grey, smaller)
    read it as printed and outvote it; read alone at 40 px it stays misread."""
    from bench.credits_name_reads import Case, sightings, same
    from vidsearch.ocr.preprocess import binarize_for_ocr
    from vidsearch.ocr.reading import read_sightings

    *fields, seed = drawn
    crop = sightings(Case(*fields), 1, seed)[0]
    alone = tesseract.read_lines([binarize_for_ocr(crop, 40)])[0]
    assert not same(alone.text, drawn[0]) and alone.confidence >= 0.8  # the sure misread the looks must undo
    (line, _), = read_sightings(tesseract, [[crop]])
    assert same(line.text, drawn[0]), line.readings


@pytest.mark.parametrize("drawn", [("얼반웍스미디어", "company", "MYEONGJO", 0.026, "light", 0.485, 48, 218),
                                   ("신병철", "company", "GOTHIC", 0.022, "light", 0.547, 48, 257)],
                         ids=lambda d: d[0])
def test_a_sure_lone_read_is_changed_only_by_two_looks_agreeing(tesseract, drawn):
    """The looks a lone line gets are no better guesses than its sure read: 얼반웍스미디어 read right, then each look
    reads it another way (the surest 얼반원스미디어); 신병철 read right, the grey look '신병, 철' (commas win between
    reads that agree on the letters). Neither changes the sure read."""
    from bench.credits_name_reads import Case, sightings
    from vidsearch.ocr.reading import read_sightings

    *fields, seed = drawn
    (line, _), = read_sightings(tesseract, [sightings(Case(*fields), 1, seed)])
    assert line.text == drawn[0] and len(line.readings) == 3 and set(line.readings) != {drawn[0]}, line.readings
