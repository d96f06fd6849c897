"""A video in, credits out: locate the roll, read it once, lay it out — and bad input handled quietly."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.credits.filler import FillerSpec, Subtitle
from testkit.credits.render import (
    CreditBackground,
    CreditEntry,
    CreditFont,
    CreditLayout,
    CreditMotion,
    CreditRollSpec,
    render_footage,
)
from testkit.credits.scoring import score_lines, score_pairs
from vidsearch.media.frames import Cv2FrameSource


def _score(truth, reading):
    score = score_lines(truth, reading.text)
    return score.add(score_pairs(truth, [(c.role_text, n, c.time) for c in reading.lines for n in c.names]))


@pytest.fixture(scope="module")
def programme(roll_factory, entries):
    """Programme footage with a subtitle, then a two-column roll scrolling over black (720p)."""
    filler = FillerSpec(seconds=16.0, seed=4, subtitles=[Subtitle(start_s=3, end_s=9, text="오늘 정말 고마웠어요")])
    spec = CreditRollSpec(entries=entries(11, n=6), width=1280, height=720, fps=10, names_per_line=2,
                          corner_text="KBS 2", scroll_speed=0.15)
    return roll_factory("programme", spec, filler)


@pytest.mark.slow
def test_scrolling_roll_after_a_programme_is_found_and_read(extractor, programme):
    path, truth = programme
    reading = extractor.extract(path)
    [section] = reading.sections
    assert section.start_s <= truth.lines[0].first_s and section.end_s >= truth.lines[-1].first_s
    assert section.start_s >= 8.0  # the subtitle in the programme is not a credit section
    score = _score(truth, reading)
    assert score.f1 >= 0.9, score.errors
    assert score.cer <= 0.05, score.errors
    assert score.timed_pairs == score.correct_pairs  # each credit's time is while it is on screen
    assert "KBS 2" not in {n for c in reading.lines for n in c.names}  # the logo is an overlay


@pytest.mark.slow
@pytest.mark.parametrize(("layout", "background", "font"), [
    (CreditLayout.HEADING_LIST, CreditBackground.MOVING_COLOUR, CreditFont.MYEONGJO),
    (CreditLayout.SLASH, CreditBackground.BLACK, CreditFont.GOTHIC),
])
def test_static_cards_are_read(extractor, roll_factory, entries, layout, background, font):
    spec = CreditRollSpec(entries=entries(20 + len(layout), n=6, english_share=0.2), layout=layout,
                          motion=CreditMotion.CARDS, background=background, font=font.path, entries_per_card=3,
                          card_seconds=3.0, width=1280, height=720, fps=10)
    path, truth = roll_factory(f"cards-{layout}-{background}", spec)
    reading = extractor.extract(path)
    score = _score(truth, reading)
    assert score.f1 >= 0.8, score.errors  # ~10 pairs: two OCR slips on rare company names still pass
    assert score.timed_pairs == score.correct_pairs


def test_a_video_without_credits_yields_nothing(extractor, shared):
    clip = shared / "eval" / "dev" / "faces" / "face_recognition_examples" / "examples" / "short_hamilton_clip.mp4"
    reading = extractor.extract(clip)
    assert reading.sections == [] and reading.lines == [] and reading.unreadable == []


def test_footage_with_subtitles_only_yields_nothing(extractor, tmp_path: Path):
    filler = FillerSpec(seconds=20, subtitles=[Subtitle(start_s=1, end_s=8, text="여기가 어디죠?"),
                                                Subtitle(start_s=10, end_s=18, text="Where are we going now?")])
    path = render_footage(filler, tmp_path / "footage.mp4", 960, 540, fps=10)
    reading = extractor.extract(path)
    assert reading.lines == [] and reading.sections == []


@pytest.mark.slow
def test_credits_in_an_unsupported_script_are_unreadable_not_garbage(extractor, roll_factory):
    georgian = [CreditEntry(role="რეჟისორი", names=("გიორგი ბერიძე",)),
                CreditEntry(role="ოპერატორი", names=("ნინო კაპანაძე", "დავით ლომიძე")),
                CreditEntry(role="მონტაჟი", names=("ანა გელაშვილი",)),
                CreditEntry(role="მუსიკა", names=("ლევან ჯაფარიძე",))]
    spec = CreditRollSpec(entries=georgian, font=Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                          width=1280, height=720, fps=10, motion=CreditMotion.CARDS, entries_per_card=4,
                          card_seconds=6.0)
    path, _ = roll_factory("georgian", spec)
    reading = extractor.extract(path)
    assert reading.sections, "the card is text-dense: it is located"
    assert reading.lines == []
    assert reading.unreadable and all(u.reason for u in reading.unreadable)


def test_the_reader_reads_each_line_once(extractor, programme):
    path, truth = programme
    section = extractor.reader.read(path, truth.start_s, truth.duration_s)
    texts = [line.text for line in section.lines]
    assert len(texts) == len(set(texts))
    assert section.frames_detected < section.frames_sampled / 3  # the detector runs on a few frames only
    assert [o.text for o in section.overlays] == ["KBS 2"]
    frames = list(Cv2FrameSource(path).frames_at([truth.lines[0].first_s + 0.5]))
    assert frames  # the truth's times are inside the video


def test_a_roll_still_moving_where_its_section_ends_is_read_to_its_end(extractor, programme):
    """The scan places a section's end only roughly (over busy footage it missed a roll's last 15 s): the reader
    follows the roll on while it keeps moving, and stops where it ends."""
    path, truth = programme
    cut = (truth.lines[0].first_s + truth.lines[-1].first_s) / 2
    late = [n for line in truth.lines if line.first_s > cut + 1.0 for n in line.names]
    assert late
    section = extractor.reader.read(path, truth.start_s, cut, follow_until_s=truth.duration_s + 30)
    read = " ".join(line.text for line in section.lines).replace(" ", "")
    assert all(name.replace(" ", "") in read for name in late), (late, read)
    assert cut < section.end_s <= truth.duration_s + 0.5
    short = extractor.reader.read(path, truth.start_s, cut)  # not followed: what the section alone holds
    assert not any(name.replace(" ", "") in " ".join(x.text for x in short.lines).replace(" ", "") for name in late[-1:])


@pytest.mark.slow
def test_the_gap_cropping_method_reads_the_roll_too(extractor, programme, credit_settings):
    from vidsearch.credits.reader import SectionReader
    from vidsearch.credits.layout import text_rows

    path, truth = programme
    settings = credit_settings.credits.model_copy(update={"crop_method": "gap"})
    reader = SectionReader(settings, extractor.reader.detector, extractor.reader.engine)
    section = reader.read(path, truth.start_s, truth.duration_s)
    score = score_lines(truth, text_rows(section.lines))
    assert score.cer <= 0.05, score.errors


@pytest.mark.slow
def test_the_east_path_feeds_the_same_reader(extractor, roll_factory, entries, tmp_path):
    """EAST through OpenCV dnn, with a graph of EAST's layout whose hand-set filter marks bright pixels as text
    (no real EAST weights can be had here): the reader crops and reads a white-on-black roll through it."""
    from tests.ocr.east_graph import build_east_like_graph
    from vidsearch.credits.layout import text_rows
    from vidsearch.credits.reader import SectionReader
    from vidsearch.ocr.heatmap import build_detector
    from vidsearch.ocr.settings import OcrSettings

    graph = build_east_like_graph(tmp_path / "frozen_east_text_detection.pb")
    detector = build_detector(OcrSettings(east_model=graph, detector_max_side=1280))
    spec = CreditRollSpec(entries=entries(31, n=4), width=1280, height=720, fps=10, scroll_speed=0.15)
    path, truth = roll_factory("east-roll", spec)
    reader = SectionReader(extractor.settings.credits, detector, extractor.reader.engine)
    score = score_lines(truth, text_rows(reader.read(path, 0.0, truth.duration_s).lines))
    assert score.lines_missed == 0 and score.cer <= 0.1, score.errors
