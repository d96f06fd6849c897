"""The credit-roll renderer: H.264 files whose ground truth says what is on screen when."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from testkit.credits.filler import FillerSpec, Subtitle
from testkit.credits.render import (
    CreditBackground,
    CreditEntry,
    CreditLayout,
    CreditMotion,
    CreditRollSpec,
)
from vidsearch.media.frames import Cv2FrameSource
from vidsearch.media.probe import probe_video


def _brightness_at(path, t: float) -> float:
    [frame] = list(Cv2FrameSource(path).frames_at([t]))
    return float(frame.image.mean())


def test_scroll_roll_is_h264_with_lines_on_screen_when_the_truth_says(roll_factory, entries):
    spec = CreditRollSpec(entries=entries(1, n=4), width=960, height=540, fps=10, names_per_line=2)
    path, truth = roll_factory("scroll-two-column", spec)
    probe = probe_video(path, with_hash=False)
    assert (probe.codec, probe.width, probe.height) == ("h264", 960, 540)
    assert probe.duration_s == pytest.approx(truth.duration_s, abs=0.2)
    assert truth.pairs() == {(e.role, n) for e in spec.entries for n in e.names}
    firsts = [line.first_s for line in truth.lines]
    assert firsts == sorted(firsts)  # a roll shows its lines in order
    on_screen = (540 - 32) / (0.1 * 540)  # a line is whole on screen while it travels the frame height
    assert all(line.last_s - line.first_s == pytest.approx(on_screen, abs=1.0) for line in truth.lines)
    assert _brightness_at(path, 0.2) < 1.0  # black before the roll enters
    assert _brightness_at(path, truth.lines[0].last_s) > 1.0


def test_cards_show_their_lines_together(roll_factory, entries):
    spec = CreditRollSpec(entries=entries(2, n=5), layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS,
                          background=CreditBackground.MOVING_COLOUR, entries_per_card=2, card_seconds=2.0,
                          width=960, height=540, fps=10)
    _, truth = roll_factory("cards-heading", spec)
    spans = sorted({(line.first_s, line.last_s) for line in truth.lines})
    assert len(spans) == 3  # 5 entries, 2 per card
    assert [line.kind for line in truth.lines if line.entry == 0][0] == "heading"
    assert spans[0][0] == pytest.approx(1.0) and spans[1][0] == pytest.approx(3.0)


@pytest.mark.parametrize("layout", list(CreditLayout))
def test_every_layout_records_roles_and_names_per_line(layout):
    from testkit.credits.render import _Fonts, _rows

    spec = CreditRollSpec(entries=[CreditEntry(role="조명", names=("정우성", "한가인", "송혜교"))], layout=layout)
    rows = _rows(spec, _Fonts(spec))
    assert sorted(n for row in rows for n in row.names) == ["송혜교", "정우성", "한가인"]
    assert [row.role for row in rows if row.role] == ["조명"]
    assert all(" / " not in row.text and "." not in row.text for row in rows)  # truth text has no decoration


def test_filler_first_shifts_the_truth(roll_factory, entries):
    filler = FillerSpec(seconds=3.0, subtitles=[Subtitle(start_s=0.5, end_s=2.5, text="안녕하세요")])
    spec = CreditRollSpec(entries=entries(3, n=2), width=640, height=360, fps=10, motion=CreditMotion.CARDS,
                          card_seconds=1.5)
    path, truth = roll_factory("with-filler", spec, filler)
    assert truth.start_s == pytest.approx(3.0)
    assert min(line.first_s for line in truth.lines) == pytest.approx(4.0)  # filler + lead-in
    assert probe_video(path, with_hash=False).duration_s == pytest.approx(truth.duration_s, abs=0.2)


def test_1080p_roll(roll_factory):
    spec = CreditRollSpec(entries=[CreditEntry(role="연출", names=("김민수",))], width=1920, height=1080, fps=5,
                          scroll_speed=0.3, lead_in_s=0, tail_s=0)
    path, _ = roll_factory("hd", spec)
    probe = probe_video(path, with_hash=False)
    assert (probe.width, probe.height) == (1920, 1080)


def test_a_missing_font_is_rejected_naming_the_package(tmp_path):
    with pytest.raises(ValidationError, match="fonts-nanum"):
        CreditRollSpec(entries=[CreditEntry(role="연출", names=("김민수",))], font=tmp_path / "none.ttf")


def test_a_roll_scrolling_down_shows_credits_in_order_each_read_top_to_bottom(roll_factory):
    """Scrolling down, the first credit enters first (at the top), and each credit keeps its role row above the
    rows that continue its names: a downward roll enters a credit's last row first, then its role row."""
    spec = CreditRollSpec(entries=[CreditEntry(role="연출", names=("김민수", "이영희")),
                                   CreditEntry(role="편집", names=("박지성", "한가인"))],
                          motion=CreditMotion.SCROLL_DOWN, names_per_line=1, width=960, height=540, fps=10)
    path, truth = roll_factory("scroll-down", spec)
    assert [(line.entry, line.role, line.names) for line in truth.lines] == [
        (0, "연출", ["김민수"]), (0, None, ["이영희"]), (1, "편집", ["박지성"]), (1, None, ["한가인"])]
    role_row, continuation, next_role, _ = truth.lines
    assert continuation.first_s < role_row.first_s < next_role.first_s  # below enters first; credit 0 before 1
    assert _brightness_at(path, 0.2) < 0.1 < _brightness_at(path, (role_row.first_s + role_row.last_s) / 2)


def test_a_changed_renderer_never_reuses_a_rendered_roll(tmp_path):
    # the bench's roll cache is keyed by the spec AND the renderer's source: the same spec drawn by changed
    # renderer code gets a new file name (a stale scroll_down roll was once benched after a renderer fix)
    import shutil

    from bench.credits_rolls import RENDERER, renderer_version

    copy = tmp_path / "credits"
    shutil.copytree(RENDERER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = renderer_version(copy)
    assert renderer_version(copy) == before == renderer_version(RENDERER)
    render = copy / "render.py"
    render.write_text(render.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert renderer_version(copy) != before


def test_a_dot_leader_row_of_long_names_wraps_instead_of_running_over_its_role():
    """Three names of a large font right-aligned at 0.8 w ran back over the role (and past the frame's left edge)."""
    from testkit.credits import render

    names = ("Adamson Waynesboro", "Future City", "Ladeca Acres", "Mishawaka Hiawatha")
    spec = CreditRollSpec(entries=[CreditEntry(role="편곡", names=names)], layout=CreditLayout.DOT_LEADER,
                          text_size=0.055, role_scale=1.15, names_per_line=3, name_separator="comma")
    fonts = render._Fonts(spec)
    rows = render._rows(spec, fonts)
    assert [n for row in rows for n in row.names] == list(names)  # every name still drawn, in order
    role_end = spec.width * 0.2 + fonts.role.getlength("편곡 ...")
    for row in rows:
        [piece] = [p for p in row.pieces if p.text == ", ".join(row.names)]
        assert piece.x - fonts.name.getlength(piece.text) >= role_end


def test_a_slash_row_too_wide_for_the_frame_goes_on_to_a_second_line():
    """"Video Rental Technician / Lucas County · 퀘스트 로이터 · Dresser Council Medway" in large type was drawn as
    one centred line wider than the frame: its ends were off screen ("...ney /", "Tusk...") yet in the truth
    (fuzz side 903, 908). The names that do not fit go on to a centred line below; a row that fits is one line."""
    from testkit.credits import render

    names = ("Lucas County", "퀘스트 로이터", "Dresser Council Medway", "Tuskegee Bardsdale")
    spec = CreditRollSpec(entries=[CreditEntry(role="Video Rental Technician", names=names),
                                   CreditEntry(role="편집", names=("김민수", "이영희"))],
                          layout=CreditLayout.SLASH, text_size=0.055)
    fonts = render._Fonts(spec)
    rows = render._rows(spec, fonts)
    assert [n for row in rows for n in row.names] == [*names, "김민수", "이영희"]  # every name drawn, in order
    assert [row.role for row in rows] == ["Video Rental Technician"] + [None] * (len(rows) - 2) + ["편집"]
    assert len(rows) >= 3 and rows[-1].pieces[0].text == "편집 / 김민수 · 이영희"
    for row in rows:
        assert fonts.name.getlength(row.pieces[0].text) <= spec.width  # on screen, end to end
