"""Dot-leader rolls ("Role ........ Name") whose titles no lexicon knows and whose names wrap onto more rows:
the leader and the columns it makes say which side is the role. Real render, real Tesseract."""

from __future__ import annotations

import pytest

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditBackground, CreditEntry, CreditLayout, CreditRollSpec
from vidsearch.ocr.preprocess import leader_place

UNLISTED = [  # film crew titles the role lexicon does not know, some read like personal names (편곡, 투자)
    CreditEntry(role="편곡", names=("Adamson Waynesboro", "Future City", "Ladeca Acres")),
    CreditEntry(role="투자", names=("권성덕", "Valentine Abington", "마운트 피스가", "Poplar Coquelin")),
    CreditEntry(role="동시녹음기사", names=("이경희",)),
    CreditEntry(role="발전차", names=("Baron Rudd", "헤인즈 매킨더", "로즈파인 캐플러")),
    CreditEntry(role="CG 팀장", names=("트리몬턴 트렌턴", "San Clemente")),
]


@pytest.mark.parametrize("text, place", [("투자 ..........", "end"), ("편곡 .......... Adamson Waynesboro", "inside"),
                                         (".......... 김민수", "start"), ("김민수, 이영희", "")])
def test_where_a_leader_stands_in_a_piece(text, place):
    assert leader_place(draw_line(text, font_px=30), 40) == place


@pytest.mark.slow
def test_unlisted_titles_with_wrapped_names_keep_their_role(pairs_read):
    """Names joined by commas wrap onto rows set flush right under the first (fuzz side seed 9: pairs 0.32)."""
    spec = CreditRollSpec(entries=UNLISTED, layout=CreditLayout.DOT_LEADER, names_per_line=3, name_separator="comma",
                          background=CreditBackground.BLACK, text_size=0.055, line_spacing=2.1, entry_gap=1.2,
                          width=1280, height=720, fps=10, scroll_speed=0.15)
    score = pairs_read("leader-unlisted", spec)
    # a name misread (권성덕 before a comma and a Latin name: a reading limit) may cost a pair or two; before the
    # columns were read from geometry, 편곡's and 투자's seven names were credited under no role
    assert score.correct_pairs >= score.true_pairs - 2, score.errors
    assert not any("('', " in error for error in score.errors), score.errors


def test_fragments_of_a_broken_word_are_no_leader():
    """A yellow title binarised into fragments (the colour channel's threshold inside its strokes) leaves small
    blobs of many sizes at uneven pitches along the line: no leader ("Question Setter" was taken for a role
    ending in one)."""
    import numpy as np
    crop = draw_line("김민수", font_px=30)
    x = crop.shape[1]
    canvas = np.zeros((crop.shape[0], x + 200, 3), np.uint8)
    canvas[:, :x] = crop
    y = int(crop.shape[0] * 0.7)
    for left, (w, h) in zip((x + 10, x + 22, x + 30, x + 48, x + 56), ((3, 3), (6, 4), (2, 2), (5, 5), (3, 4))):
        canvas[y - h:y, left:left + w] = 255
    assert leader_place(canvas, 40) == ""
    even = canvas.copy()
    even[:, x:] = 0
    for k in range(8):
        even[y - 5:y, x + 10 + 18 * k:x + 15 + 18 * k] = 255
    assert leader_place(even, 40) == "end"
