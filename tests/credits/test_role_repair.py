"""Role titles read right: a heading the layout found but OCR misread ("VEX 슈퍼바이저2]" for VFX 슈퍼바이저,
"그럽텀" for 그립팀) is repaired toward the one title the lexicon or the role taxonomy knows that it is close to,
so its names pair with the title printed — on the dev rolls where real Tesseract misreads them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.credits_rolls import cases
from testkit.credits.sample import FILM_CREW_ROLES, KOREAN_CREW_ROLES
from testkit.credits.spec import NANUM_DIR
from vidsearch.credits.layout import parse_credit_lines
from vidsearch.credits.lexicon import SURE_TITLE, TitleEvidence, agrees_with_change, clean_role, repair_role
from vidsearch.credits.reader import ReadLine
from vidsearch.ocr.engine import OcrWord
from vidsearch.ocr.geometry import Box
from vidsearch.ocr.reading import LazyReread, read_sightings
from vidsearch.ocr.tesseract import TesseractEngine


@pytest.mark.parametrize(("read", "printed"), [
    ("VEX 슈퍼바이저2]", "VFX 슈퍼바이저"),  # stray marks after Hangul, an acronym one letter off
    ("그럽텀", "그립팀"),  # two vowels misread in a three-syllable title
    ("촬영강독", "촬영감독"),
    # the same misread with a space in it (read spacing follows ink gaps: which sighting won decided it, and
    # dev film_no_gap's 그립팀 names paired with '그립 텀' at one sampling phase of four)
    ("그립 텀", "그립팀"),
    ("그럽 텀", "그립팀"),
    ("편칩", "편집"),  # a two-syllable title the slash set as the role, one letter off (fuzz side 908: 4 names)
    ("촬영·주명", "촬영·조명"),  # one part of a composite title one letter off (fuzz 1301: four names lost)
    ("조연출·펀집", "조연출·편집"),
    ("음향·믹셍", "음향·믹싱"),
])
def test_a_misread_title_is_repaired(read, printed):
    assert repair_role(read) == printed


def test_a_composite_whose_other_part_is_no_title_is_left_alone():
    """Only beside parts that are titles as printed is a two-syllable part a title: names set with a middle dot
    ("김민수·이영희", "주명·조명희") and two odd parts stay as read."""
    for text in ("김민수·이영희", "주명·조명희", "주명·편짐", "Hair/Makeup"):
        assert repair_role(text) == text


def test_titles_as_printed_are_left_alone():
    """Real titles (known or not) are never rewritten toward another one: 제작투자 is not 제작부장."""
    titles = set(FILM_CREW_ROLES) | set(KOREAN_CREW_ROLES) | {"Art Director", "라인 PD", "B캠 촬영", "ABC"}
    assert {t: repair_role(t) for t in titles if repair_role(t) != t} == {}


def test_a_title_printed_with_a_space_keeps_its_words():
    """A rank printed as its own word is no two-syllable title to repair: "촬영 기사" became 촬영 기자 (기사, a rank,
    is one letter from 기자), and "각본 기사" joined into 극본기사 where 각본기사 was not listed (its rank counted
    as no title word). Found by bench/credits_role_repair.py (leave-one-out over the repair vocabulary)."""
    for title in ("촬영 기사", "조명 기사", "동시녹음 기사", "각본 기사", "미술 실장", "연출 팀장", "편집 기사"):
        assert repair_role(title) == title


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["film_tight", "film_columns2_light"])
def test_dev_rolls_with_misread_titles_pair_every_name(kind, pairs_read):
    """Tesseract reads film_tight's 'VFX 슈퍼바이저' as 'VEX 슈퍼바이저2]' and film_columns2_light's '그립팀' as
    '그럽텀': without the repair those names pair with a title that was never printed."""
    case = next(c for c in cases("dev") if c.kind == kind)
    score = pairs_read(case.name, case.spec, case.filler)
    assert score.correct_pairs == score.true_pairs, score.errors


# real titles the vocabulary lacks or that the layout lexicon did not know, one letter from a title it knows: the
# repair made 연출보 연출부, 운전 안전, and the layout's own correction made a lyricist (작사, 작사가) and a composer
# (작곡가) writers (작가) — read surely, alike on every sighting, all their names credited to another role
UNLISTED_OR_NEAR = ("연출보", "운전", "작사", "작사가", "작곡가")


def first_role(title: str, confidence: float, readings: tuple[str, ...] = ()) -> str:
    """The role a slash row "TITLE / 김민수" (the separator, not the words, makes TITLE the role) is laid out
    under, the title's word read with ``confidence`` and the line's looks and sightings read as ``readings``."""
    words = (OcrWord(title, 0, 100, confidence), OcrWord("/", 110, 120, 0.95), OcrWord("김민수", 130, 230, 0.95))
    row = ReadLine(f"{title} / 김민수", min(confidence, 0.95), words, Box(500, 84, 780, 116), 0, 100, 0.0, 5.0, 2.0,
                   readings=tuple(f"{r} / 김민수" for r in readings))
    return parse_credit_lines([row], 1280)[0].role_text


@pytest.mark.parametrize("title", UNLISTED_OR_NEAR)
def test_a_title_read_surely_and_alike_on_every_sighting_is_the_title_printed(title):
    """No evidence of a misread, no rewrite: the heading and the credit keep the title as read."""
    sure = TitleEvidence(0.93, ((title, title, title),))
    assert repair_role(title, sure) == title
    assert first_role(title, 0.93, (title, title, title)) == title


@pytest.mark.parametrize(("read", "confidence", "readings", "printed"), [
    ("그럽텀", 0.93, ("그럽텀", "그립 텀", "그럽 텀"), "그립팀"),  # sure, but another sighting read 그립: nearer 그립팀
    ("편칩", 0.62, ("편칩",), "편집"),  # read once, unsure
    ("촬영·주명", 0.70, (), "촬영·조명"),
    ("굴연", 0.70, (), "출연"),  # the layout's own correction of an unsure heading
])
def test_a_misread_title_with_evidence_is_repaired(read, confidence, readings, printed):
    assert first_role(read, confidence, readings) == printed


def test_a_latin_acronym_read_surely_one_letter_off_a_role_acronym_is_still_repaired():
    """dev film_no_gap_columns: every sighting read VFX surely as 'VEX' (no title is 'VEX'): the Latin fix stays
    (pairs 1.000 → 0.950 when the evidence rule held it back)."""
    assert first_role("VEX 슈퍼바이저", 0.93, ("VEX 슈퍼바이저",) * 3) == "VFX 슈퍼바이저"
    assert first_role("작사", 0.93, ("작사",) * 3) == "작사"  # beside it, a Hangul title read surely stays


def test_an_english_title_read_surely_is_not_corrected_into_a_neighbouring_role_word():
    """Fuzz heading 1600-1611: 'News Reader' and '3D Modeler', printed so and read right, became 'News Render' and
    '3D Modeller' (one letter from a role word the lexicon lists), taking their names with them."""
    assert first_role("News Reader", 0.93, ("News Reader",) * 3) == "News Reader"
    assert first_role("3D Modeler", 0.93, ("3D Modeler",) * 3) == "3D Modeler"
    assert first_role("Rigging Gatfer", 0.62) == "Rigging Gaffer"  # read unsure: the misread is repaired


def test_sightings_that_disagree_elsewhere_are_no_evidence_for_a_rewrite():
    """One garbled sighting of a sure 무술슈퍼바이저 (real Tesseract, bench/credits_role_repair.py --ocr) reads no
    letter nearer 미술슈퍼바이저: the vocabulary lacking the title is no reason to rewrite it."""
    from vidsearch.credits import lexicon

    title = "촬영·무술슈퍼바이저"
    said = TitleEvidence(lexicon.SURE_TITLE + 0.05, ((title, "함영·우술슈피바이저", title),))
    assert not said.supports(title, "촬영·미술슈퍼바이저")
    assert said.supports("촬영·무술슈퍼바이저", "촬영·무술슈퍼바이저") is False  # nothing to rewrite
    assert TitleEvidence(lexicon.SURE_TITLE - 0.01).supports(title, "촬영·미술슈퍼바이저")  # read unsure


@pytest.mark.parametrize(("read", "printed"), [
    ("Scheduling Diréeror", "Scheduling Director"),  # two letters off, one of them read with an accent
    ("Computer Progammer", "Computer Programmer"),  # a letter dropped: Programmer is a listed title's word
    ("Music Programuner", "Music Programmer"),  # the second m read 'un'
    ("Music Prograrnmer", "Music Programmer"),  # m read 'rn': Programmer before Programme
])
def test_an_unsure_english_title_misread_by_more_than_one_letter_is_repaired(read, printed):
    """Fuzz heading (stop 19): English titles misread two letters off, or off a word only the taxonomy's titles
    hold, stayed unmatched and their names lost their role. Read unsure, they are the title printed; read surely
    and alike on every sighting, they stay as read."""
    assert first_role(read, 0.62) == printed
    assert first_role(read, 0.93, (read,) * 3) == read


def test_an_unsure_english_word_as_near_two_role_words_stays_as_read():
    """'Directer' is one letter from both Director and Directed: no word to choose, so the title stays as read;
    a listed word is never edited, however unsure."""
    unsure = TitleEvidence(0.5)
    assert repair_role("Assistant Directer", unsure) == "Assistant Directer"
    assert repair_role("Boom Operator", unsure) == "Boom Operator"
    assert repair_role("Assistant Diréeror") == "Assistant Diréeror"  # no word of what the recogniser said: as read


# --- a sure read a repair would change is read again from its crop (still cards are seen once) ---


def _card_title(text: str, face: str, size_px: int, blur: float) -> np.ndarray:
    """A title as a still card shows it, cut from the frame: white type drawn at 32 px, brought down to
    ``size_px``, blurred and noised (seeded)."""
    font = ImageFont.truetype(str(NANUM_DIR / face), 32)
    image = Image.new("RGB", (int(font.getlength(text)) + 40, 58), (0, 0, 0))
    ImageDraw.Draw(image).text((20, 43), text, font=font, fill=(255, 255, 255), anchor="ls")
    drawn = np.asarray(image)[:, :, ::-1]
    scale = size_px / 32
    small = cv2.resize(drawn, (int(drawn.shape[1] * scale), int(drawn.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    small = cv2.GaussianBlur(small, (3, 3), blur) + np.random.default_rng(7).normal(0, 8, small.shape)
    return np.clip(small, 0, 255).astype(np.uint8)


def _heading_read_once(crop: np.ndarray, engine: TesseractEngine, again: bool) -> tuple[str, float, str]:
    """(the title as read from one sighting, its least word confidence, the role it is laid out as): the crop read
    as the reader reads a line, set as the role of a slash row "TITLE / 김민수" (``first_role``); ``again``: the
    reader's re-read of the crop is there for the repair to ask."""
    (line, _), = read_sightings(engine, [[crop]])
    confidence = min(w.confidence for w in line.words)
    words = (*line.words, OcrWord("/", 110, 120, 0.95), OcrWord("김민수", 130, 230, 0.95))
    row = ReadLine(f"{line.text} / 김민수", min(line.confidence, 0.95), words, Box(500, 84, 780, 116), 0, 100, 0.0,
                   5.0, 2.0, readings=tuple(f"{r} / 김민수" for r in line.readings),
                   reread=LazyReread(engine, crop) if again else None)
    return line.text, confidence, parse_credit_lines([row], 1280)[0].role_text


@pytest.fixture(scope="module")
def tesseract_engine() -> TesseractEngine:
    return TesseractEngine()


def test_a_title_read_surely_but_wrong_on_a_card_is_repaired_through_its_re_read(tesseract_engine):
    """Fuzz cards 1903/1904 (stop 19): a still card is read from one sighting, and Tesseract reads its title wrong
    surely ('Special Eftects', 촬영텀); no second look disagreed, so the repair had no evidence. Rendered
    포커스풀러 is read '포커스플러' surely by real Tesseract; the crop left grey reads 풀러: the re-read vouches
    for the repair, and without it the title stays as read."""
    crop = _card_title("포커스풀러", "NanumGothic.ttf", 14, 0.8)
    read, confidence, role = _heading_read_once(crop, tesseract_engine, again=True)
    assert read == "포커스플러" and confidence >= SURE_TITLE  # sure, one letter off, no look disagreeing
    assert role == "포커스풀러"
    assert _heading_read_once(crop, tesseract_engine, again=False)[2] == "포커스플러"


@pytest.mark.parametrize("title", ["작곡가", "작사", "연출보"])
def test_a_title_printed_right_and_read_surely_stays_when_its_re_reads_repeat_it(title, tesseract_engine):
    """Real titles one letter from a listed one (작곡가/작가, 작사/작가, 연출보/연출부), rendered and read right
    surely: every re-read of the crop reads them as printed, so nothing vouches for a rewrite."""
    crop = _card_title(title, "NanumGothic.ttf", 14, 0.8)
    read, confidence, role = _heading_read_once(crop, tesseract_engine, again=True)
    assert read == title and confidence >= SURE_TITLE
    assert repair_role(title) != title or clean_role(title) != title  # a rewrite is on the table
    assert role == title


def test_a_re_read_vouches_only_for_the_letters_it_reads_as_the_repair_has_them():
    """A re-read misreading the title elsewhere still counts; one misreading the changed letters another way,
    or repeating the read, does not (real re-reads, bench/credits_role_repair.py --ocr)."""
    assert agrees_with_change("찰영·수중카메라", "촬영·수증카메라", "촬영·수중카메라")
    assert agrees_with_change("활영·촬영감득팅", "촬영·촬영강독팀", "촬영·촬영감독팀")
    assert not agrees_with_change("카메라심장", "카메라실장", "카메라팀장")
    assert not agrees_with_change("스크립트럼", "스크립트팀", "스크립터팀")
    assert not agrees_with_change("그립텀", "그립텀", "그립팀")
    sure = SURE_TITLE + 0.05
    assert TitleEvidence(sure, (), (lambda: ("포   커 ·   스   풀러",),)).supports("포커스플러", "포커스풀러")
    assert not TitleEvidence(sure, (), (lambda: ("포커스플러", "포커스플러"),)).supports("포커스플러", "포커스풀러")
