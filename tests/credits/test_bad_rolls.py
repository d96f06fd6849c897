"""Rolls that break the easy assumptions: two rolls in one programme, a roll scrolling down, a roll that names no
roles, and one cut off mid-way by the end of the video — every name read is kept with its own moment."""

from __future__ import annotations

import pytest

from testkit.credits.filler import FillerSpec
from testkit.credits.namescore import ReadCredit, name_form, score_names
from testkit.credits.render import CreditEntry, CreditLayout, CreditMotion, CreditRollSpec, render_programme
from vidsearch.credits.stage import credit_pairs

FIRST = [CreditEntry(role="", names=("김민수", "Michael Beugg")), CreditEntry(role="연출", names=("쥬세페 토르나토레",)),
         CreditEntry(role="편집", names=("이영희",))]
SECOND = [CreditEntry(role="촬영감독", names=("박지성", "브렌든 프레이저")), CreditEntry(role="조명", names=("정우성",)),
          CreditEntry(role="음악", names=("한가인",)), CreditEntry(role="미술", names=("송혜교",))]


@pytest.mark.slow
def test_two_rolls_one_scrolling_down_one_cut_off(extractor, tmp_path):
    down = CreditRollSpec(entries=FIRST, motion=CreditMotion.SCROLL_DOWN, fps=10, scroll_speed=0.15, lead_in_s=0.5)
    cards = CreditRollSpec(entries=SECOND, layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS,
                           entries_per_card=2, card_seconds=3.0, fps=10, cut_after_s=3.5)  # ends before the 2nd card
    first, second = render_programme([FillerSpec(seconds=6.0, seed=1), down, FillerSpec(seconds=12.0, seed=2), cards],
                                     tmp_path / "two-rolls.mp4")
    assert [name for _, names in second.entries for name in names] == ["박지성", "브렌든 프레이저", "정우성"]
    reading = extractor.extract(tmp_path / "two-rolls.mp4")
    assert len(reading.sections) == 2
    credits = [ReadCredit(line.role_text, name, line.time, line.start_time, line.end_time)
               for line, name in credit_pairs(reading.lines)]
    for truth in (first, second):
        scores = score_names(truth, credits)
        score, errors = scores["all"], [e for s in scores.values() for e in s.errors]
        # name accuracy is the bench's job (bench/credits_ocr.py); here: every roll is found and read, and each
        # name read is credited at a moment it is on screen, whichever way the roll moves or however it ends
        assert score.exact >= score.names - 1, errors
        assert score.timed == score.exact, errors
    # names no role heads stay credits, under no role: a centred names-only row straddling the two-column
    # gutter is two names, not the role 김민수 over Michael Beugg
    assert {name_form(c.name) for c in credits if c.role == ""} >= {"김민수", "MichaelBeugg"}
    assert not any(c.name in ("한가인", "송혜교") for c in credits)  # never on screen: the video ended first
