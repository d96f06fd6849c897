"""Role headings told from their names by the roll's own structure when no space between credits shows the
blocks: the headings' type size (learnt from the titles the lexicon knows), the heading's axis (a name set in a
column off the centre is no second line of a title). Rendered and read by real Tesseract."""

from __future__ import annotations

import pytest

from testkit.credits.render import CreditEntry, CreditLayout, CreditRollSpec
from testkit.credits.spec import CreditFont

# film titles, most unknown to the role lexicon (조감독, 차량, 편곡 even read like Korean names to a surname test)
NO_GAP = [
    CreditEntry(role="헤어실장", names=("김민수", "이영희")),
    CreditEntry(role="조감독", names=("Carmen Cowling", "러브 아이반호")),
    CreditEntry(role="편곡", names=("권순규", "최무성", "정우성")),
    CreditEntry(role="음악", names=("한혜린",)),
    CreditEntry(role="차량", names=("최낙천", "박서준")),
    CreditEntry(role="포커스풀러", names=("송강호", "배두나")),
    CreditEntry(role="분장팀", names=("이지현", "조형기")),
    CreditEntry(role="로케이션", names=("Corinth Guenter", "박해진")),
]
COLUMNS = [
    CreditEntry(role="자막", names=("정애리",)),
    CreditEntry(role="색보정", names=("코후코후 재거니스",)),
    CreditEntry(role="음악", names=("나한일",)),
    CreditEntry(role="연출", names=("앤손 세브리 몽주",)),
    CreditEntry(role="프로듀서", names=("강영아",)),
    CreditEntry(role="조연출", names=("서영명",)),
]
# one name a line, headings in the names' own type: a company or a foreign name under its title, and a title right
# under a Latin name (whose box is short enough to look like small type)
SAME_TYPE = [
    CreditEntry(role="기획", names=("최종원",)),
    CreditEntry(role="세트", names=("리더스콘텐츠컴패니", "Green Seferis")),
    CreditEntry(role="조명감독", names=("Stuckey Burke",)),
    CreditEntry(role="음악감독", names=("에몬스 카운티", "김두삼")),
    CreditEntry(role="자막", names=("Ashland County", "팬턴 알타이르")),
    CreditEntry(role="책임프로듀서", names=("사우스 오그던",)),
    CreditEntry(role="출연", names=("성지루", "Metamora Universal")),
    CreditEntry(role="음악", names=("이유영",)),
]


@pytest.mark.slow
def test_smaller_type_headings_with_no_gap_between_credits(pairs_read):
    """Headings in the names' colour, 0.7 of their size, no extra space between credits: every title heads its
    own names, the unknown ones too."""
    spec = CreditRollSpec(entries=NO_GAP, layout=CreditLayout.HEADING_LIST, names_per_line=3, entry_gap=0.0,
                          role_scale=0.7, role_colour=(255, 255, 255), text_size=0.05, width=1280, height=720,
                          fps=10, scroll_speed=0.15)
    score = pairs_read("no-gap-small-headings", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors


@pytest.mark.slow
def test_larger_headings_over_one_name_columns_with_no_gap(pairs_read):
    """Centred headings larger than the names, each credit's one name in the left column, no gap: no heading and
    name glue into one title."""
    spec = CreditRollSpec(entries=COLUMNS, layout=CreditLayout.COLUMNS, columns=2, entry_gap=0.0, role_scale=1.15,
                          line_spacing=2.1, text_size=0.04, width=1280, height=720, fps=10, scroll_speed=0.15)
    score = pairs_read("no-gap-column-headings", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors


@pytest.mark.slow
def test_headings_in_the_names_type_with_one_name_a_line_and_no_gap(pairs_read):
    """Headings the size and colour of their names, one name a line, no gap, wide spacing: a company or a foreign
    name right under its title is a name, not the title's second line (it was "세트 리더스콘텐츠컴패니", "음악감독
    에몬스 카운티"), and a title under a name whose box read as small type opens its own credit (it was glued to
    the title above the name: "자막책임프로듀서", "출연음악")."""
    spec = CreditRollSpec(entries=SAME_TYPE, layout=CreditLayout.HEADING_LIST, names_per_line=1, entry_gap=0.0,
                          role_scale=1.0, role_colour=(255, 255, 255), line_spacing=2.1, text_size=0.04,
                          font=CreditFont.MYEONGJO_BOLD.path, role_font=CreditFont.MYEONGJO_BOLD.path, width=1280,
                          height=720, fps=10, scroll_speed=0.15)
    score = pairs_read("same-type-headings-one-name", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors
