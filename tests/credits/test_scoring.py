"""Scoring a reading against a roll's truth: CER overall and by the language of each line's role (the
benchmark's Korean / English figures), and pair F1."""

from __future__ import annotations

from vidsearch.credits.layout import ReadText
from testkit.credits.scoring import score_lines, score_pairs
from testkit.credits.truth import CreditRollTruth, TruthLine


def _truth() -> CreditRollTruth:
    lines = [TruthLine(text="촬영감독 이영희", role="촬영감독", names=["이영희"], kind="pair", entry=0,
                       first_s=1.0, last_s=3.0),
             TruthLine(text="Gaffer 박지성", role="Gaffer", names=["박지성"], kind="pair", entry=1,
                       first_s=2.0, last_s=4.0),
             TruthLine(text="김민수", role=None, names=["김민수"], kind="names", entry=1, first_s=2.5, last_s=4.5)]
    return CreditRollTruth(path="roll.mp4", duration_s=6.0, start_s=0.0, width=1280, height=720,
                           layout="two_column", motion="scroll",
                           entries=[("촬영감독", ["이영희"]), ("Gaffer", ["박지성", "김민수"])], lines=lines)


def test_cer_is_split_by_the_language_of_each_lines_role():
    read = [ReadText("촬영감독 이영희", 1.0, 3.0, 0.9), ReadText("Gatfer 박지성", 2.0, 4.0, 0.9),
            ReadText("김민주", 2.5, 4.5, 0.9)]
    score = score_lines(_truth(), read)
    assert score.cer_of("ko") == 0.0
    # the continuation line of names belongs to its entry's English role: 2 edits over 10 + 3 characters
    assert score.cer_of("en") == 2 / 13
    assert score.cer == 2 / (8 + 10 + 3)
    merged = score_lines(_truth(), read).add(score)
    assert merged.cer_of("en") == 2 / 13 and merged.chars_by_lang == {"ko": 16, "en": 26}


def test_a_line_nothing_matches_counts_as_deleted_and_pairs_score_f1():
    score = score_lines(_truth(), [ReadText("촬영감독 이영희", 1.0, 3.0, 0.9)])
    assert score.lines_missed == 2 and score.cer_of("en") == 1.0
    pairs = score_pairs(_truth(), [("촬영감독", "이영희", 2.0), ("Gaffer", "박지성", 9.0), ("Gaffer", "김민주", 3.0)])
    assert (pairs.true_pairs, pairs.found_pairs, pairs.correct_pairs, pairs.timed_pairs) == (3, 3, 2, 1)
    assert round(pairs.f1, 4) == round(2 / 3, 4)
