"""Laying read pieces out into credits: two columns, dot leaders, slashes, headings with lists, continuations."""

from __future__ import annotations

from vidsearch.credits.layout import find_gutter, group_rows, parse_credit_lines, text_rows
from vidsearch.credits.lexicon import correct_korean_role
from vidsearch.credits.reader import ReadLine
from vidsearch.ocr.geometry import Box

W = 1280


def piece(text: str, x0: int, x1: int, y: float, t: float = 0.0, run: int = 0, h: int = 32,
          confidence: float = 0.95) -> ReadLine:
    box = Box(x0, int(y - h / 2), x1, int(y + h / 2))
    return ReadLine(text, confidence, (), box, run, y, t, t + 5.0, t)


def pairs(lines) -> list[tuple[str, list[str]]]:
    return [(line.role_text, line.names) for line in lines]


def test_two_columns_with_continuation_rows():
    pieces = [
        piece("연출", 540, 610, 100, 1.0), piece("김민수", 680, 780, 100, 1.0),
        piece("촬영감독", 490, 610, 160, 2.0), piece("이영희   박지성", 680, 890, 160, 2.0),
        piece("송혜교", 680, 780, 215, 2.5),  # a second row of names, role column empty
        piece("Director of Photography", 300, 610, 290, 3.0), piece("최민호", 680, 780, 290, 3.0),
    ]
    assert find_gutter(group_rows(pieces), W) == 645
    lines = parse_credit_lines(pieces, W)
    # every row is its own credit line, with its own time: rows under one role share the role, not the moment
    assert pairs(lines) == [("연출", ["김민수"]), ("촬영감독", ["이영희", "박지성"]), ("촬영감독", ["송혜교"]),
                            ("Director of Photography", ["최민호"])]
    assert [line.time for line in lines] == [1.0, 2.0, 2.5, 3.0]
    assert [(line.start_time, line.end_time) for line in lines][2] == (2.5, 7.5)


def test_dot_leader_and_slash_lines_split_at_their_separators():
    pieces = [piece("Director of Photography ........ 김민수", 250, 1030, 100),
              piece("조명 / 정우성 · 한가인", 430, 850, 160), piece("편집 ....... 김태희", 250, 1030, 220),
              piece("박지성", 920, 1030, 270)]  # a continuation right-aligned under the last name
    assert pairs(parse_credit_lines(pieces, W)) == [("Director of Photography", ["김민수"]),
                                                    ("조명", ["정우성", "한가인"]), ("편집", ["김태희"]),
                                                    ("편집", ["박지성"])]


def test_heading_followed_by_a_centred_list():
    pieces = [piece("촬영감독", 580, 700, 100, h=27), piece("이영희", 590, 690, 140),
              piece("박지성    최민호", 520, 760, 185),
              piece("Gaffer", 600, 680, 260, h=27), piece("정우성", 590, 690, 300)]
    assert pairs(parse_credit_lines(pieces, W)) == [("촬영감독", ["이영희"]), ("촬영감독", ["박지성", "최민호"]),
                                                    ("Gaffer", ["정우성"])]


def test_a_smaller_unknown_word_above_names_is_their_heading():
    pieces = [piece("Greensman", 590, 690, 100, h=26), piece("이영희", 590, 690, 140, h=32),
              piece("김태희", 590, 690, 180, h=32)]
    assert pairs(parse_credit_lines(pieces, W)) == [("Greensman", ["이영희"]), ("Greensman", ["김태희"])]


def test_names_do_not_attach_across_runs_or_big_gaps():
    pieces = [piece("연출", 580, 700, 100, run=0), piece("김민수", 590, 690, 140, run=0),
              piece("이영희", 590, 690, 140, run=1),  # a new card: no heading for it
              piece("편집", 580, 700, 300, run=2), piece("김태희", 590, 690, 600, run=2)]
    # names that no role heads stay credits (a roll that names no roles), under the role ""
    assert pairs(parse_credit_lines(pieces, W)) == [("연출", ["김민수"]), ("", ["이영희"]), ("", ["김태희"])]


def test_role_without_names_is_not_a_credit():
    assert parse_credit_lines([piece("제작진", 580, 700, 100), piece("편집", 580, 700, 300)], W) == []


def test_text_rows_join_the_pieces_of_a_row():
    rows = text_rows([piece("연출", 540, 610, 100), piece("김민수", 680, 780, 101),
                      piece("조명 ..... 정우성", 300, 900, 160)])
    assert [r.text for r in rows] == ["연출 김민수", "조명 정우성"]


def test_names_after_an_unreadable_row_do_not_join_the_role_above_it():
    unreadable = piece("ZIsil", 600, 680, 180, h=27, confidence=0.3)
    unreadable.readable = False
    pieces = [piece("조연출", 590, 690, 100, h=27), piece("김민수", 590, 690, 140), unreadable,
              piece("더노드", 590, 690, 220), piece("박유환", 590, 690, 260)]
    assert pairs(parse_credit_lines(pieces, W)) == [("조연출", ["김민수"]), ("", ["더노드"]), ("", ["박유환"])]
    assert [r.text for r in text_rows(pieces)] == ["조연출", "김민수", "더노드", "박유환"]


def test_multi_token_names_stay_one_person_and_names_in_columns_are_not_roles():
    pieces = [piece("감독", 600, 680, 100, h=27),
              piece("쥬세페 토르나토레", 200, 500, 140), piece("Michael Beugg", 560, 760, 140),
              piece("레오나르도 디카프리오", 820, 1100, 140),
              piece("안예나", 200, 300, 180), piece("문소라", 560, 660, 180), piece("CJ ENM", 820, 940, 180)]
    lines = parse_credit_lines(pieces, W)
    assert pairs(lines) == [("감독", ["쥬세페 토르나토레", "Michael Beugg", "레오나르도 디카프리오"]),
                            ("감독", ["안예나", "문소라", "CJ ENM"])]


def test_a_roll_without_roles_keeps_its_names():
    pieces = [piece("김민수", 590, 690, 100, 1.0), piece("Jane Doe", 570, 710, 150, 2.0)]
    assert pairs(parse_credit_lines(pieces, W)) == [("", ["김민수"]), ("", ["Jane Doe"])]


def test_a_small_type_row_is_a_heading_only_if_names_follow():
    """Latin names set in the same type as Hangul ones have shorter boxes: a last "Hans Georg Dehmelt" under a
    list is a name, while a short "Anchor" with names under it is the heading."""
    def piece(text, y, height, x0=300, x1=700):
        return ReadLine(text, 0.95, (), Box(x0, y - height // 2, x1, y + height // 2), 0, float(y), 1.0, 5.0, 3.0)

    lines = parse_credit_lines([piece("조명", 100, 50), piece("김혜은", 155, 50), piece("Hans Georg Dehmelt", 210, 38),
                                piece("Anchor", 300, 38), piece("Burfordville Icon", 355, 38),
                                piece("작가", 445, 50), piece("유소정", 500, 50)], 1280)
    assert [(c.role_text, c.names) for c in lines] == [("조명", ["김혜은"]), ("조명", ["Hans Georg Dehmelt"]),
                                                      ("Anchor", ["Burfordville Icon"]), ("작가", ["유소정"])]


def test_headings_above_three_name_columns_do_not_make_a_role_gutter():
    """Centred headings stand left of the outer column gap too; when half the rows are headings they used to
    carry the vote, the gap became a role/name gutter and the left and middle names became roles (columns3)."""
    w = 1920
    pieces = [piece("안무", 908, 1014, 100), piece("Winckless Zanuck", 181, 590, 150),
              piece("이준혁", 881, 1042, 150), piece("홍자매", 1456, 1619, 150),
              piece("CG", 915, 1006, 220), piece("들리브 가이벨", 235, 536, 270), piece("남지연", 885, 1041, 270),
              piece("음악감독", 872, 1049, 340), piece("엄현경", 306, 465, 390),
              piece("작가", 905, 1023, 460), piece("박철민", 306, 467, 510), piece("Bering Donofrio", 777, 1145, 510),
              piece("Netflix", 1453, 1623, 510),
              piece("음향", 906, 1020, 580), piece("오주은", 302, 469, 630), piece("Millay Thornberry", 758, 1162, 630),
              piece("Animatics animator", 769, 1157, 700), piece("Bellatrix Darien Phuket", 129, 648, 750),
              piece("노광수", 877, 1045, 750), piece("장미인애", 1435, 1643, 750)]
    assert find_gutter(group_rows(pieces), w) is None
    assert pairs(parse_credit_lines(pieces, w)) == [
        ("안무", ["Winckless Zanuck", "이준혁", "홍자매"]), ("CG", ["들리브 가이벨", "남지연"]), ("음악감독", ["엄현경"]),
        ("작가", ["박철민", "Bering Donofrio", "Netflix"]), ("음향", ["오주은", "Millay Thornberry"]),
        ("Animatics animator", ["Bellatrix Darien Phuket", "노광수", "장미인애"])]


def test_a_two_syllable_heading_one_letter_off_is_the_role_and_a_surname_word_is_left_alone():
    """"출연" read "굴연" (cards_fade) left its name without a role; "기은" starts with a surname: not a title.
    The read is unsure (0.7): a title read surely is the title printed (``test_role_repair.py``)."""
    pieces = [piece("굴연", 604, 678, 100, h=40, confidence=0.7), piece("사미자", 590, 690, 150, h=40),
              piece("작가", 604, 678, 240, h=40), piece("Headland Andrea", 500, 780, 290, h=40)]
    assert pairs(parse_credit_lines(pieces, W)) == [("출연", ["사미자"]), ("작가", ["Headland Andrea"])]
    assert correct_korean_role("기은") == "기은" and correct_korean_role("연줄") == "연줄"


def test_latin_names_in_a_names_only_roll_are_not_smaller_headings():
    """A Latin line's box is shorter than a Hangul one in the same type: judged against the Hangul rows, the
    last Latin name of a names-only roll became the heading of the Korean name under it (names_only)."""
    pieces = [piece("예당엔터테인먼트", 448, 693, 100, h=52), piece("배해선", 733, 840, 100, h=52),
              piece("West Hollywood", 402, 650, 160, h=36), piece("Rayville Vest", 693, 883, 160, h=36),
              piece("Liberty Lake", 412, 595, 220, h=40), piece("박철민", 587, 696, 280, h=58),
              piece("모빌 카운티", 486, 656, 340, h=42), piece("조윤우", 691, 798, 340, h=42),
              piece("Herriman Glass", 526, 756, 400, h=36), piece("이철향", 588, 697, 460, h=55)]
    assert pairs(parse_credit_lines(pieces, W)) == [
        ("", ["예당엔터테인먼트", "배해선"]), ("", ["West Hollywood", "Rayville Vest"]), ("", ["Liberty Lake"]),
        ("", ["박철민"]), ("", ["모빌 카운티", "조윤우"]), ("", ["Herriman Glass"]), ("", ["이철향"])]


def test_names_beside_an_unreadable_role_do_not_inherit_the_role_above():
    """Over busy video a role can be unreadable while its names read fine: they are credited under no role
    rather than under the role of the rows above (busy_video: 전영신 under 기획 instead of 음향)."""
    pieces = [piece("기획", 541, 611, 100), piece("Battleford Bandello", 677, 963, 100),
              piece("송주환", 671, 778, 150), piece("8", 540, 615, 210, confidence=0.42),
              piece("조복래", 670, 778, 210), piece("전영신", 673, 776, 260),
              piece("Tailor", 529, 611, 320), piece("지상학", 673, 777, 320)]
    for p in pieces:
        p.readable = p.confidence >= 0.55
    assert pairs(parse_credit_lines(pieces, W)) == [("기획", ["Battleford Bandello"]), ("기획", ["송주환"]),
                                                    ("", ["조복래"]), ("", ["전영신"]), ("Tailor", ["지상학"])]


def test_a_centred_row_of_names_in_a_two_column_roll_is_not_a_pair():
    """An entry with no role, centred in a two-column roll, straddles the gutter: "김민수   Michael Beugg" is
    two names, not the role 김민수 (issue 12 (e)); roles still pair."""
    pieces = [piece("김민수", 520, 625, 100), piece("Michael Beugg", 665, 860, 100),
              piece("연출", 540, 610, 160), piece("쥬세페 토르나토레", 680, 960, 160),
              piece("편집", 540, 610, 220), piece("이영희", 680, 780, 220),
              piece("Gaffer", 520, 610, 280), piece("송혜교", 680, 780, 280)]
    assert pairs(parse_credit_lines(pieces, W)) == [("", ["김민수", "Michael Beugg"]), ("연출", ["쥬세페 토르나토레"]),
                                                    ("편집", ["이영희"]), ("Gaffer", ["송혜교"])]


def test_names_read_as_one_piece_across_the_gutter_head_no_role():
    """The detector may take a centred "김민수   Michael Beugg" as one piece across the gutter: names under no
    role, not a continuation of the role above (a continuation stands in the name column)."""
    pieces = [piece("편집", 540, 610, 100), piece("이영희", 680, 780, 100),
              piece("연출", 540, 610, 160), piece("쥬세페 토르나토레", 680, 960, 160),
              piece("김민수   Michael Beugg", 520, 860, 230)]
    assert pairs(parse_credit_lines(pieces, W)) == [("편집", ["이영희"]), ("연출", ["쥬세페 토르나토레"]),
                                                    ("", ["김민수", "Michael Beugg"])]


def test_an_unknown_latin_title_beside_a_name_stays_a_role():
    """Capitalised Latin words left of the gutter may be a title the lexicon lacks: still a role."""
    pieces = [piece("연출", 540, 610, 100), piece("이영희", 680, 780, 100),
              piece("Greens Master", 420, 610, 160), piece("안승훈", 680, 780, 160)]
    assert pairs(parse_credit_lines(pieces, W)) == [("연출", ["이영희"]), ("Greens Master", ["안승훈"])]


def test_names_in_a_column_off_the_headings_axis_never_wrap_a_title():
    """Role and name rows evenly spaced (no gap between credits), headings centred in larger type, each credit's
    one name in the left column: a name set off the heading's centre is no second line of its title, and neither
    is the next heading."""
    pieces = []
    credits = [("색보정", "코후코후 재거니스"), ("음악", "나한일"), ("연출", "앤손 세브리 몽주"), ("프로듀서", "강영아")]
    y = 100
    for role, name in credits:
        pieces += [piece(role, 640 - 28 * len(role), 640 + 28 * len(role), y, y / 100, h=55),
                   piece(name, 140, 140 + 28 * len(name), y + 60, y / 100 + 0.5, h=36)]
        y += 120
    assert pairs(parse_credit_lines(pieces, W)) == [(role, [name]) for role, name in credits]


def test_a_title_goes_over_two_lines_at_most():
    """"Visual Effects" / "Supervisor": one title; the small-type Hangul-written foreign name under it (not shaped
    like a Korean name) is its name, not a third line of the title."""
    pieces = [piece("Visual Effects", 560, 720, 100, h=27), piece("Supervisor", 580, 700, 140, h=27),
              piece("코후코후 재거니스", 520, 760, 180, h=26), piece("이영희", 590, 690, 220),
              piece("Gaffer", 600, 680, 320, h=27), piece("정우성", 590, 690, 360)]
    assert pairs(parse_credit_lines(pieces, W)) == [("Visual Effects Supervisor", ["코후코후 재거니스"]),
                                                    ("Visual Effects Supervisor", ["이영희"]),
                                                    ("Gaffer", ["정우성"])]


def test_a_heading_read_with_stray_marks_stays_one_title():
    """A block's opening line read "Colour· Timer·" (a shadow read as middle dots) is the block's title, not the
    role "Colour" and a name "Timer"."""
    pieces = [piece("Video Editor", 580, 700, 100, h=27), piece("신혜진", 595, 690, 148),
              piece("Music Director", 570, 713, 218, h=27), piece("정우 · 천시 아르자마스", 500, 785, 266),
              piece("Colour· Timer·", 576, 708, 336, h=27), piece("크리에이티브 미디어그룹", 482, 799, 384)]
    assert pairs(parse_credit_lines(pieces, W)) == [("Video Editor", ["신혜진"]),
                                                    ("Music Director", ["정우", "천시 아르자마스"]),
                                                    ("Colour Timer", ["크리에이티브 미디어그룹"])]


def test_headings_set_in_their_own_type_head_their_names_with_no_gap_between_credits():
    """No space between credits, titles the lexicon lacks (조감독 and 차량 even read like Korean names): the known
    titles' type (smaller than the names', measured from width per character) marks the unknown ones too."""
    credits = [("헤어실장", ["Chandragupta Lipps", "러브 아이반호"]), ("조감독", ["권순규", "최무성"]),
               ("포커스풀러", ["이상아"]), ("차량", ["최낙천"]), ("분장팀", ["이지현", "조형기"]),
               ("음악", ["한혜린", "동켈 제프리"])]
    pieces, y = [], 100
    for role, names in credits:
        width = 27 * len(role) + 15  # 27 px type (the names: 38 px), and the box's margin
        pieces.append(piece(role, 640 - width // 2, 640 + width // 2, y, y / 100, h=44))
        widths = [round(38 * (len(n.replace(" ", "")) + 0.28 * n.count(" ")) * (0.6 if n.isascii() else 1)) + 18
                  for n in names]
        x = 640 - (sum(widths) + 60 * (len(names) - 1)) // 2
        pieces += [piece(n, x + sum(widths[:k]) + 60 * k, x + sum(widths[:k + 1]) + 60 * k, y + 66, y / 100 + 0.5,
                         h=52) for k, n in enumerate(names)]
        y += 132
    assert pairs(parse_credit_lines(pieces, W)) == [(role, names) for role, names in credits]


def test_a_name_read_with_a_stray_space_is_no_heading_in_the_headings_smaller_type():
    """Headings in a smaller type than the names, one credit after another with no gap: 오정세 (set a little
    narrower than the other names) read '오정 세' counted the stray space an em-quarter wide and measured as the
    headings' type; it became a heading and took its own title 음향·믹싱 with it. Its width without the read's
    spaces is a name's."""
    credits = [("촬영", "이선희", 30), ("출연", "박솔미", 30), ("미술감독", "민지은", 30), ("음향·믹싱", "오정 세", 28.5),
               ("진행", "김민자", 30), ("조명", "최낙천", 30)]
    pieces, y = [], 100
    for role, name, size in credits:
        width = round(24 * len(role) + 16)  # 24 px type, and the box's margin (0.35 of its height)
        pieces.append(piece(role, 640 - width // 2, 640 + width // 2, y, y / 100, h=44))
        width = round(size * len(name.replace(" ", "")) + 17)
        pieces.append(piece(name, 640 - width // 2, 640 + width // 2, y + 66, y / 100 + 0.5, h=48))
        y += 132
    assert pairs(parse_credit_lines(pieces, W)) == [(role, [name]) for role, name, _ in credits]


def test_type_size_does_not_make_headings_where_roles_and_names_share_one_size():
    pieces = [piece("Gaffer", 600, 700, 100), piece("김민수", 583, 697, 150), piece("이영희   박지성", 520, 760, 200),
              piece("최민호", 583, 697, 250), piece("송혜교", 583, 697, 300)]
    assert pairs(parse_credit_lines(pieces, W)) == [("Gaffer", ["김민수"]), ("Gaffer", ["이영희", "박지성"]),
                                                    ("Gaffer", ["최민호"]), ("Gaffer", ["송혜교"])]


def test_a_connective_in_the_headings_type_is_no_heading():
    """"in · association with" (a stray dot read into it) set in the headings' type credits no one and opens no
    credit: the names under it stay with the title above."""
    credits = [("헤어실장", "김민수   이영희"), ("조감독", "권순규   최무성"), ("미술감독", "정우성   박서준")]
    pieces, y = [], 100
    for k, (role, names) in enumerate(credits):
        width = 27 * len(role) + 15
        pieces.append(piece(role, 640 - width // 2, 640 + width // 2, y, y / 100, h=44))
        if k == 1:
            y += 66
            pieces.append(piece("in · association with", 560, 720, y, y / 100, h=44))
        pieces += [piece(names.split()[0], 450, 582, y + 66, y / 100 + 0.5, h=52),
                   piece(names.split()[1], 700, 832, y + 66, y / 100 + 0.5, h=52)]
        y += 132
    assert pairs(parse_credit_lines(pieces, W)) == [(role, names.split()) for role, names in credits]


def test_a_lone_line_on_the_headings_axis_over_names_filling_columns_from_the_left_is_a_heading():
    """Titles in the names' type, no gap between credits, names in three columns filled from the left (one name:
    the first column): a lone centred line is a heading, known words or not; a lone line in the first column is
    a name, even one shaped like a title."""
    credits = [("발전차", ["박정수", "Zond Copland"]), ("데이터매니저", ["커튼콜하우스"]), ("미술감독", ["박은빈"]),
               ("스턴트", ["Monette Glass"]), ("조감독", ["김진숙", "박철", "최우식"]), ("현장음", ["백일섭"]),
               ("캐스팅 디렉터", ["신국", "자주영"])]
    centres = (256, 640, 1024)
    pieces, y = [], 100
    for role, names in credits:
        half = 14 * len(role)
        pieces.append(piece(role, 640 - half, 640 + half, y, y / 100))
        y += 50
        pieces += [piece(n, centres[k] - 14 * len(n), centres[k] + 14 * len(n), y, y / 100) for k, n in enumerate(names)]
        y += 50
    assert pairs(parse_credit_lines(pieces, W)) == [(role, names) for role, names in credits]


def test_a_title_ending_in_a_bracket_keeps_it():
    """"Editor/Producer (News)" (EBU titles carry such notes): the closing bracket is the title's, not a mark around
    it; marks around a title or name still go."""
    pieces = [piece("Editor/Producer (News)", 520, 760, 100, h=27), piece("김민수", 590, 690, 140),
              piece("- 편집 -", 600, 680, 220, h=27), piece("(주)초록뱀미디어", 560, 720, 260)]
    assert pairs(parse_credit_lines(pieces, W)) == [("Editor/Producer (News)", ["김민수"]),
                                                    ("편집", ["(주)초록뱀미디어"])]


def test_a_short_box_in_the_names_type_is_no_second_title_line():
    """Headings larger than the names, no gap, one name per credit: a Hangul-written foreign name whose box came
    out short is in the names' type (width per syllable), so it is the heading's name, not its title's second
    line."""
    credits = [("믹싱", "버밍엄 시티"), ("조감독", "김진엽"), ("작곡", "헥스트 리버베일 넷플릭스"), ("음악", "하희라"),
               ("제작자", "김채연"), ("케이터링", "최영인"), ("로케이션", "널라버 평원")]
    pieces, y = [], 100
    for role, name in credits:
        rw, nw = 28 * len(role) + 16, round(23 * (len(name.replace(" ", "")) + 0.28 * name.count(" "))) + 14
        pieces += [piece(role, 640 - rw // 2, 640 + rw // 2, y, y / 100, h=50),
                   piece(name, 640 - nw // 2, 640 + nw // 2, y + 54, y / 100 + 0.5, h=38)]
        y += 108
    assert pairs(parse_credit_lines(pieces, W)) == [(role, [name]) for role, name in credits]


def test_titles_flush_left_and_names_flush_right_pair_whatever_the_titles_words():
    """A dot-leader roll whose leader dots were too thin to be pieces: 편곡 reads like a personal name and 투자,
    발전차 are in no lexicon, but every split row starts on one x and ends on one x while the titles' ends vary;
    wrapped name rows (flush right, one starting near the middle) stay under their title."""
    pieces = [
        piece("편곡", 252, 356, 100), piece("Adamson Waynesboro", 628, 1026, 100),
        piece("Future City, Ladeca Acres", 566, 1029, 145),
        piece("투자", 249, 330, 230), piece("권성덕, Valentine Abington", 547, 1029, 230),
        piece("마운트 피스가, Poplar Coquelin", 476, 1025, 275),
        piece("동시녹음기사", 255, 470, 360), piece("이경희", 904, 1032, 360),
        piece("발전차", 254, 380, 445), piece("Baron Rudd, 헤인즈 매킨더", 539, 1025, 445),
    ]
    assert pairs(parse_credit_lines(pieces, W)) == [
        ("편곡", ["Adamson Waynesboro"]), ("편곡", ["Future City", "Ladeca Acres"]),
        ("투자", ["권성덕", "Valentine Abington"]), ("투자", ["마운트 피스가", "Poplar Coquelin"]),
        ("동시녹음기사", ["이경희"]), ("발전차", ["Baron Rudd", "헤인즈 매킨더"])]


def test_centred_pairs_of_names_are_no_flush_columns():
    """Rows of two names centred under a heading start and end wherever their widths put them: no outer edges."""
    from vidsearch.credits.structure import outer_edges
    rows = group_rows([piece("김민수", 480, 580, 100), piece("이영희", 700, 800, 100),
                       piece("쥬세페 토르나토레", 400, 620, 140), piece("박지성", 700, 800, 140),
                       piece("Michael Beugg", 420, 610, 180), piece("Jane Porter", 690, 860, 180)])
    assert outer_edges(rows, W) is None


def test_a_dot_leader_inside_a_piece_names_the_role_side():
    """The leader is erased before reading; where the reader saw it ("end": the role's piece took in the dots)
    the piece before it is the title, even a title no lexicon knows and a row of one name and one title."""
    role = piece("루가투자", 250, 540, 100)
    role.leader = "end"
    assert pairs(parse_credit_lines([role, piece("권성덕", 900, 1030, 100)], W)) == [("루가투자", ["권성덕"])]
    whole = piece("발전차   Baron Rudd", 250, 1030, 160)
    whole.leader = "inside"
    assert pairs(parse_credit_lines([whole], W)) == [("발전차", ["Baron Rudd"])]


def test_one_line_boxed_with_and_without_its_leader_dots_is_read_once():
    """"투자 ......" boxed with its dots in one detection (read 투자) and without them in another (read 루가): one
    line; the surer read stays. Titles at one place on two cards never on screen together stay two."""
    from vidsearch.credits.places import boxed_twice
    with_dots, without = piece("투자", 249, 536, 100, t=3.0), piece("루가", 247, 362, 101, t=3.5, confidence=0.85)
    assert boxed_twice(with_dots, without)
    assert not boxed_twice(piece("음악", 249, 330, 100, t=0.0), piece("음향", 249, 330, 100, t=9.0))
    assert not boxed_twice(piece("편곡", 252, 356, 100), piece("편곡   Adamson Waynesboro", 252, 1026, 100))


def test_a_company_named_under_a_heading_is_its_name_not_a_second_title():
    """"이김 프로덕션" under 제작투자 on a card of headings: the company pattern needs the space as printed, and the
    heading test judged the text with its spaces taken out ("이김프로덕션" ends in a role word) — the company
    became the title's second line and both were lost (fuzz-cards-1304)."""
    pieces = [piece("조명", 594, 686, 159, h=40), piece("Valle Crucis", 552, 729, 217, h=26),
              piece("제작투자", 563, 719, 306, h=40), piece("이김 프로덕션", 543, 739, 364, h=32),
              piece("편집", 594, 686, 452, h=40), piece("Lange Stark", 550, 733, 510, h=28)]
    assert pairs(parse_credit_lines(pieces, W)) == [("조명", ["Valle Crucis"]), ("제작투자", ["이김 프로덕션"]),
                                                    ("편집", ["Lange Stark"])]
