"""Locating credits shown card by card: short cards, faded, on a light picture, and a short clip of them.

Encoders put keyframes at scene changes, and a fade is one: the keyframe scan sampled a faded card roll only in its
fades (text barely there) and found no credits at all (fuzz-cards-2); a clip of two cut cards lay between the
scan's two samples (fuzz-cards-5). Real renders, the real detector."""

from __future__ import annotations

import pytest

from testkit.credits.render import CreditEntry, CreditRollSpec
from testkit.credits.spec import CreditBackground, CreditFont, CreditLayout, CreditMotion
from vidsearch.credits.sections import CreditLocator
from vidsearch.media.probe import probe_video

NAMES = ["김태관", "윤은경", "김보정", "유미경", "헤르더 그레이디", "배서스트 세빌", "팔라디오 하우얼스", "윌밍턴 비치",
         "Fort Deposit", "Togiak Uden", "Ogburn Massillon"]
ROLES = ["촬영감독", "조명감독", "편집", "음악", "미술감독", "의상", "분장", "동시녹음", "프로듀서", "각본", "감독"]


def _entries(n: int) -> list[CreditEntry]:
    return [CreditEntry(role=role, names=(name,)) for role, name in zip(ROLES[:n], NAMES[:n])]


@pytest.fixture(scope="module")
def faded_light_cards(roll_factory):
    spec = CreditRollSpec(entries=_entries(11), layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS,
                          background=CreditBackground.LIGHT, font=CreditFont.GOTHIC_BOLD.path, text_size=0.035,
                          role_scale=1.15, entry_gap=1.2, card_seconds=1.8, entries_per_card=1, fade_s=0.6, seed=2)
    return roll_factory("faded-light-cards", spec)


def _scan(locator: CreditLocator, path):
    return locator.scan(path, probe_video(path, with_hash=False).duration_s)


@pytest.mark.slow
def test_faded_short_cards_are_found_although_keyframes_fall_in_their_fades(extractor, faded_light_cards):
    path, truth = faded_light_cards
    locator = extractor.locator
    sparse = {"scan_min_samples": 1}  # one sample per scan_interval_s, as over a long programme

    def located(**update):
        return _scan(CreditLocator(locator.settings.model_copy(update=update), locator.detector), path).sections
    assert located(scan_lookahead_s=0.0, **sparse) == []  # the keyframes show the cards' fades only
    first = min(line.first_s for line in truth.lines)
    last = max(line.last_s for line in truth.lines)
    for sections in (located(**sparse), _scan(locator, path).sections):
        assert len(sections) == 1
        assert sections[0].start_s <= first and sections[0].end_s >= last


@pytest.mark.slow
def test_a_short_clip_of_two_cut_cards_is_found(extractor, roll_factory):
    spec = CreditRollSpec(entries=_entries(8), layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS,
                          font=CreditFont.MYEONGJO_BOLD.path, text_size=0.04, card_seconds=1.8, entries_per_card=4,
                          entry_gap=0.3, seed=5)
    path, truth = roll_factory("short-clip-cards", spec)
    [section] = _scan(extractor.locator, path).sections
    assert section.start_s <= min(line.first_s for line in truth.lines)
    assert section.end_s >= max(line.last_s for line in truth.lines)
    reading = extractor.extract(path)
    read = {name for line in reading.lines for name in line.names}
    assert len(read & set(NAMES[:8])) >= 6


@pytest.mark.slow
def test_the_next_cut_card_of_one_layout_is_a_new_card_not_the_last_one_moved(extractor, roll_factory):
    """Two-column cards cut one after the other over a moving picture: the next card's rows, at the same pitch,
    match most of the last card's edges a few rows off, and the aligner took the cut for the roll moving — both
    cards became one run, rows of the second read as if shown before it, names under the first card's last role
    (fuzz-cards-9). Every name read keeps its own role and its time falls while its card is on screen."""
    others = ["박찬홍", "남명렬", "Barunson E&A", "최순식", "리언 레더먼", "조이현", "Valentine Abington", "권성덕"]
    pairs = [(ROLES[k], (NAMES[k], others[k])) for k in range(8)]
    spec = CreditRollSpec(entries=[CreditEntry(role=r, names=n) for r, n in pairs], layout=CreditLayout.TWO_COLUMN,
                          motion=CreditMotion.CARDS, background=CreditBackground.MOVING_COLOUR,
                          font=CreditFont.MYEONGJO_BOLD.path, line_spacing=2.1, entry_gap=1.2, names_per_line=3,
                          name_separator="comma", card_seconds=1.8, entries_per_card=4, seed=9)
    path, truth = roll_factory("cut-cards-one-layout", spec)
    shown = {name: (line.first_s, line.last_s) for line in truth.lines for name in line.names}
    role_of = {name: role for role, names in pairs for name in names}
    reading = extractor.extract(path)
    read = [(line, name) for line in reading.lines for name in line.names if name in role_of]
    assert len(read) >= 12
    for line, name in read:
        assert line.role_text == role_of[name], (name, line.role_text)
        first, last = shown[name]
        assert first - 0.3 <= line.time <= last + 0.3, (name, line.time, first, last)


@pytest.mark.slow
def test_cards_of_one_role_name_row_each_are_found(extractor, roll_factory):
    """'연출   김민수' alone on each card, as broadcasters cut single credits: one text line per card, below
    credits.min_text_lines, so no scan sample was credit-like (fuzz card seed 508). A lone centred row at one height
    sample after sample is a candidate; its reading (rows changing, role and name) confirms it."""
    spec = CreditRollSpec(entries=_entries(8), layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.CARDS,
                          card_seconds=2.5, entries_per_card=1, fade_s=0.3, seed=9)
    path, truth = roll_factory("one-row-cards", spec)
    off = CreditLocator(extractor.locator.settings.model_copy(update={"card_row_min_samples": 0}),
                        extractor.locator.detector)
    assert _scan(off, path).sections == []  # one line per sample: never credit-like by its line count
    [section] = _scan(extractor.locator, path).sections
    assert section.tentative
    assert section.start_s <= min(line.first_s for line in truth.lines)
    assert section.end_s >= max(line.last_s for line in truth.lines)
    reading = extractor.extract(path)
    shown = {name: (line.first_s, line.last_s) for line in truth.lines for name in line.names}
    right = [(c.role_text, n) for c in reading.lines for n in c.names
             if (c.role_text, n) in set(zip(ROLES[:8], NAMES[:8])) and shown[n][0] - 0.3 <= c.time <= shown[n][1] + 0.3]
    assert len(right) >= 7, [(c.role_text, c.names) for c in reading.lines]


@pytest.mark.slow
def test_small_type_over_busy_footage_is_seen_by_a_wider_look_near_the_credits(extractor, roll_factory):
    """One-row cards over busy footage: at the 320-px scan width the first cards' type is lost in the footage's
    texture (no line at all), later ones are seen. Busy samples near what looks like credits get a second look at
    credits.scan_wide_width, and the section then starts before the first card."""
    spec = CreditRollSpec(entries=_entries(8), layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.CARDS,
                          background=CreditBackground.BUSY, card_seconds=2.5, entries_per_card=1, fade_s=0.3, seed=9)
    path, truth = roll_factory("one-row-cards-busy", spec)
    first = min(truth.lines, key=lambda line: line.first_s)
    narrow = CreditLocator(extractor.locator.settings.model_copy(update={"scan_wide_width": 0}),
                           extractor.locator.detector)
    [seen_small] = _scan(narrow, path).sections
    assert seen_small.start_s > first.last_s  # the small look alone misses the first card
    [section] = _scan(extractor.locator, path).sections
    assert section.start_s <= first.first_s
    read = {name for line in extractor.extract(path).lines for name in line.names}
    assert len(read & set(NAMES[:8])) >= 7, read


@pytest.mark.slow
def test_a_composite_title_on_a_card_keeps_both_its_titles(pairs_read):
    """One credit a card over moving colour, titles in Myeongjo 1.15 of the names' size (fuzz-cards-2305): the
    looks of 편집/CG read '편집/<', '편집/' and 'WA/CG', the vote kept '편집/', and its names were credited under
    편집; read whole, a slash between two titles split 편집 from 'CG' as a role and its name."""
    rows = [("의상", ("포트 앤", "슬러터 우즈")), ("CG", ("Brasher Larsen Spock", "베로니카 블라이", "오유나", "배그린")),
            ("조명", ("베이·하버·아일랜즈", "나이지리아 멜바 위드로", "전인화", "조달환")), ("분장·미용", ("한주완", "볼리버 뉴커크")),
            ("출연", ("우드빌 플로리", "엄마 문화사업단")), ("편집/CG", ("볼타 데즈먼드", "이아람")),
            ("진행", ("김해인", "카라치 포럼", "유소정")), ("분장", ("사이먼·차일드", "Somalia Kilmore", "서갑숙", "김지은")),
            ("프로듀서", ("정경순", "이엘", "손호준", "Juniata County")), ("극본", ("김윤서", "피네로 알마티")),
            ("스크립터", ("강혜정", "크리스탈·리버", "Shady Spartanburg", "블랜차드 차마")),
            ("소품", ("예지원", "박미령", "에이미 에이커프", "엘리스빌·홈우드"))]
    spec = CreditRollSpec(entries=[CreditEntry(role=r, names=n) for r, n in rows], layout=CreditLayout.COLUMNS,
                          motion=CreditMotion.CARDS, background=CreditBackground.MOVING_COLOUR,
                          font=CreditFont.GOTHIC.path, role_font=CreditFont.MYEONGJO.path, role_colour=(255, 255, 255),
                          name_colour=(255, 255, 255), text_size=0.04,
                          role_scale=1.15, line_spacing=1.4, entry_gap=0.6, names_per_line=1, name_separator="gap",
                          fade_s=0.6, card_seconds=3.5, entries_per_card=1, seed=2305)
    score = pairs_read("composite-title-cards", spec)
    missed = [e for e in score.errors if "편집" in e or "데즈먼드" in e or "이아람" in e]
    assert not missed, score.errors
