"""A roll's own structure, read from geometry rather than from what the words mean.

The role lexicon knows broadcast job titles, but real film and broadcast credits print many it does not (팀/실장/부장
ranks, loanword jobs, investors and distributors), and some of those read like a Korean personal name to a surname
test (조감독, 제작팀, 조명팀). Where the text cannot tell a title from a name, the layout still can:

- **Two columns**: the role column is set flush right against the gutter and the name column flush left from it,
  so the pieces left of the gutter end at one x and those right of it start at one x, while the titles' own
  starts vary with their length. Centred name columns end and start wherever each name's length puts them.
- **Type**: a roll sets its role headings in one type and its names in another (smaller, larger). Where the
  titles the lexicon knows share a type size clearly apart from the names', a single line in that size is a
  heading too, known or not, even with no space between credits to show the blocks. The size is measured from
  the line's width per character (a Hangul syllable is one em wide), far steadier than a detector box's height.
- **Columns**: names set in columns under centred headings fill the columns from the left, so every row of names
  holds a piece on the first column's axis; a single line on the headings' axis with that column empty is a
  heading, whatever its words, type or spacing.
- **Blocks**: credits are set in blocks, one role each, with more space between blocks than between the rows of
  one block (or a cut between cards). Where blocks open with a single line and a fair share of those lines are
  titles the lexicon knows, the opening line of every block is that block's role heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from vidsearch.credits.cleanup import split_fields, split_names
from vidsearch.credits.lexicon import (
    KOREAN_ROLE_WORDS,
    clean_role,
    is_boilerplate,
    is_connective,
    is_known_title,
    name_score,
    role_score,
)
from vidsearch.credits.reader import ReadLine

ALIGN_TOLERANCE = 0.012  # of the frame width: how far apart the edges of one column's pieces may be
EDGE_TOLERANCE = 0.006  # of the frame width: a row's pieces stand on the column edges (not a centred pair near them)
MAX_ACROSS = 0.1  # share of rows whose text may cross a two-column gutter (a names-only row between credits)
BLOCK_GAP = 1.2  # a gap this many usual row pitches or more opens a new block (rows of one block: within 1.07)
KNOWN_HEADINGS = 0.3  # share of block openers the lexicon must know for the section to be set in headed blocks
PERSONAL_OPENERS = 0.5  # ... or it knows some, and at most this share read like personal names (a names-only roll)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
BOX_PADDING = 0.35  # of a detector box's height: the margin its width adds around the text
AXIS_TOLERANCE = 0.02  # of the frame width: how far apart the centres of lines set on one axis may be
FIRST_COLUMN = 0.8  # share of the rows of several names that must start on the first column's axis
STYLE_APART = 0.12  # headings and names whose type sizes differ by this share are set in two types
STYLE_MARGIN = 0.6  # a line in the headings' type: this share of the way from the names' size to the headings'
LATIN_MARGIN = 0.9  # ... for Latin-only text, whose letters' widths vary more than Hangul syllables' (one em each)


class RowLike(Protocol):
    pieces: list[ReadLine]
    run: int
    roll_y: float
    height: float


def column_edges(rows: Sequence[RowLike], gutter: float, frame_width: int) -> tuple[float, float] | None:
    """(role column's right edge, name column's left edge) when the rows split by ``gutter`` are set flush right
    and flush left against it, with titles of varying length on the left, and hardly any text crosses it; else
    None."""
    lefts, rights, across = [], [], 0
    for row in rows:
        if is_boilerplate(" ".join(p.text for p in row.pieces)):
            continue  # "© 2024 ... All rights reserved" centred under the columns is no column text
        left = [p for p in row.pieces if p.readable and p.box.x1 <= gutter]
        right = [p for p in row.pieces if p.readable and p.box.x0 >= gutter]
        if any(p.readable and p.box.x0 < gutter < p.box.x1 for p in row.pieces):
            across += 1
        elif left and right:
            lefts.append(max(left, key=lambda p: p.box.x1))
            rights.append(min(right, key=lambda p: p.box.x0))
    # text crossing the gap (centred headings, single centred names) says the gap is between two centred names
    if len(lefts) < 3 or across > MAX_ACROSS * len(rows):
        return None
    tolerance = ALIGN_TOLERANCE * frame_width
    end, start = float(np.median([p.box.x1 for p in lefts])), float(np.median([p.box.x0 for p in rights]))
    flush = [left for left, right in zip(lefts, rights)
             if abs(left.box.x1 - end) <= tolerance and abs(right.box.x0 - start) <= tolerance]
    # centred pairs of names of one width line up too, but then their starts do as well, and pairs of other
    # widths do not: a two-column roll has (nearly) every split row flush, with titles of several lengths
    if len(flush) < 3 or len(flush) < 0.8 * len(lefts) or np.ptp([p.box.x0 for p in flush]) <= tolerance:
        return None
    return end, start


def on_edges(left: Sequence[ReadLine], right: Sequence[ReadLine], edges: tuple[float, float] | None,
             frame_width: int) -> bool:
    """The row's text stands on both column edges: a title and its names, whatever the title's words."""
    if edges is None or not left or not right:
        return False
    tolerance = EDGE_TOLERANCE * frame_width
    return abs(max(p.box.x1 for p in left) - edges[0]) <= tolerance \
        and abs(min(p.box.x0 for p in right) - edges[1]) <= tolerance


def outer_edges(rows: Sequence[RowLike], frame_width: int) -> tuple[float, float] | None:
    """(role column's left edge, name column's right edge) when the rows of several pieces start at one x and end
    at one x while the end of their first piece moves with the title's length: titles set flush left, names flush
    right, a dot leader or tab between ("편곡 ........ Adamson Waynesboro"; the leader's thin dots are no piece).
    Centred rows of names start and end wherever their widths put them."""
    split = [[p for p in row.pieces if p.readable] for row in rows]
    split = [pieces for pieces in split if len(pieces) >= 2]
    if len(split) < 3:
        return None
    tolerance = ALIGN_TOLERANCE * frame_width
    start = float(np.median([pieces[0].box.x0 for pieces in split]))
    end = float(np.median([pieces[-1].box.x1 for pieces in split]))
    flush = [pieces for pieces in split
             if abs(pieces[0].box.x0 - start) <= tolerance and abs(pieces[-1].box.x1 - end) <= tolerance]
    if len(flush) < 3 or len(flush) < 0.8 * len(split) or np.ptp([p[0].box.x1 for p in flush]) <= tolerance:
        return None
    return start, end


def on_outer_edges(pieces: Sequence[ReadLine], edges: tuple[float, float], frame_width: int) -> bool:
    """The row starts on the titles' left edge and ends on the names' right edge (``outer_edges``)."""
    tolerance = ALIGN_TOLERANCE * frame_width
    return bool(pieces) and abs(pieces[0].box.x0 - edges[0]) <= tolerance \
        and abs(max(p.box.x1 for p in pieces) - edges[1]) <= tolerance


def block_openers(rows: Sequence[RowLike]) -> list[bool]:
    """Per row: it opens a block (first of its run, or after a gap wider than the usual row pitch)."""
    gaps = [b.roll_y - a.roll_y for a, b in zip(rows, rows[1:]) if a.run == b.run]
    # the usual pitch is the shorter one: a roll of one-name credits has more gaps between blocks than in them
    pitch = float(np.percentile(gaps, 20)) if gaps else 0.0
    opens = []
    for i, row in enumerate(rows):
        before = rows[i - 1] if i else None
        opens.append(before is None or before.run != row.run or row.roll_y - before.roll_y > BLOCK_GAP * pitch)
    return opens


def _has_role_word(text: str) -> bool:
    """A title the lexicon knows, or one holding a job word inside it (제작실장, 의상팀, VFX 슈퍼바이저): a vote
    for a section set under headings, never a judgement on one line (a name may hold one: 조명희)."""
    compact = text.replace(" ", "")
    return role_score(text) >= 0.8 or any(word in compact for word in KOREAN_ROLE_WORDS if len(word) >= 2)


def headed_blocks(rows: Sequence[RowLike], opens: Sequence[bool]) -> tuple[list[bool], bool]:
    """Per row, whether it is the role heading of its block; and whether the section is set in blocks at all
    (two or more blocks of several rows). Headings only where the section is set in headed blocks: each block
    opened by a single line, and either a fair share of those lines titles or holding a job word, or some
    titles the lexicon knows and most lines not shaped like personal names (a names-only roll's blocks open with names: the lexicon knows none of
    them as titles, and most look like names)."""
    openers = [i for i in range(len(rows)) if opens[i] and i + 1 < len(rows) and not opens[i + 1]]
    none = [False] * len(rows)
    if len(openers) < 2:
        return none, False
    single = [i for i in openers if len([p for p in rows[i].pieces if p.readable]) == 1]
    if len(single) < 2 or len(single) < 0.8 * len(openers):
        return none, True
    texts = [clean_role(" ".join(p.text for p in rows[i].pieces if p.readable)) for i in single]
    known = sum(role_score(t) >= 0.8 for t in texts)
    titled = sum(_has_role_word(t) for t in texts)
    personal = sum(name_score(t) >= 0.7 for t in texts)
    if titled < KNOWN_HEADINGS * len(single) and not (known and personal <= PERSONAL_OPENERS * len(single)):
        return none, True
    chosen = set(single)
    return [i in chosen for i in range(len(rows))], True


def roles_right(rows: Sequence[RowLike], gutter: float) -> bool:
    """The role column stands right of the names (names flush right against the gutter, titles after them):
    rows that continue a credit's names hold text on the names' side only, and the titles the lexicon knows stand
    on their own side. Both votes counted; a tie (no continuation rows, no known titles) keeps roles left."""
    vote = 0
    for row in rows:
        pieces = [p for p in row.pieces if p.readable]
        if not pieces or any(p.box.x0 < gutter < p.box.x1 for p in pieces):
            continue
        left = " ".join(p.text for p in pieces if p.box.x1 <= gutter)
        right = " ".join(p.text for p in pieces if p.box.x0 >= gutter)
        if left and right:
            vote += (role_score(clean_role(right)) >= 0.8) - (role_score(clean_role(left)) >= 0.8)
        else:
            vote += 1 if left else -1
    return vote > 0


def _em_units(text: str) -> float:
    """How many ems wide ``text`` is set: a Hangul syllable one, Latin letters and marks by their usual width."""
    units = 0.0
    for ch in text:
        if "\uac00" <= ch <= "\ud7a3":
            units += 1.0
        elif ch.isspace():
            units += 0.28
        elif ch in "iljtfI.,·:;'!|":
            units += 0.3
        elif ch.isupper():
            units += 0.68
        elif ch.isalnum():
            units += 0.53
        else:
            units += 0.4
    return units


def type_size(piece: ReadLine) -> float:
    """The piece's type size in pixels (one em), from its width and its text."""
    units = _em_units(piece.text.strip())
    return max(0.0, piece.box.width - BOX_PADDING * piece.box.height) / units if units >= 1.0 else 0.0


def _name_size(piece: ReadLine) -> float:
    """The type size of a line that is no title, measured without the spaces read inside a Korean name: the
    recogniser's Hangul spacing is not the print's (오정세 read '오정 세' counted an em-quarter too many and
    measured as the smaller type of the headings above it, and took its role with it as a heading)."""
    compact = piece.text.replace(" ", "")
    if compact == piece.text or not _HANGUL.search(compact) or name_score(compact) < 1.0:
        return type_size(piece)
    return type_size(replace(piece, text=compact))


def heading_types(rows: Sequence[RowLike]) -> tuple[float, float] | None:
    """The type sizes of the roll's role headings and of its names (medians), where the roll shows both (two or
    more titles, three or more names; see ``styled_headings``); None where it does not."""
    return _heading_types(rows)[0]


def _heading_types(rows: Sequence[RowLike]) -> tuple[tuple[float, float] | None, list[tuple[int, str, float]]]:
    """(heading size, name size) or None (as ``heading_types``), and each single line's (row, text, size)."""
    singles: list[tuple[int, str, float]] = []
    heads, names = [], []
    for i, row in enumerate(rows):
        pieces = [p for p in row.pieces if p.readable]
        sizes = [type_size(p) for p in pieces]
        if len(pieces) >= 2:
            names += [s for s in sizes if s > 0]
            continue
        if len(pieces) != 1 or not sizes[0]:
            continue
        text = pieces[0].text
        if is_boilerplate(text) or all(is_connective(n) for n in split_names(text)) or len(split_fields(text)) > 1:
            continue  # "in · association with" (a dot read into it) credits no one; "연출 / 김민수" is a pair
        title = _has_role_word(clean_role(text)) or is_known_title(clean_role(text))
        size = sizes[0] if title else _name_size(pieces[0])
        singles.append((i, text, size))
        if title and name_score(text) < 1.0:
            heads.append(size)
        elif not title and name_score(text.replace(" ", "")) >= 1.0:
            names.append(size)
    if len(heads) < 2 or len(names) < 3:
        return None, singles
    return (float(np.median(heads)), float(np.median(names))), singles


def types_apart(types: tuple[float, float] | None) -> bool | None:
    """Whether a roll sets its headings in a type of their own (``heading_types``); None where it cannot tell."""
    return None if types is None else abs(types[0] - types[1]) >= STYLE_APART * types[1]


def styled_headings(rows: Sequence[RowLike]) -> list[bool]:
    """Per row, whether it is a single line set in the type of the roll's role headings: the titles the lexicon
    or the role taxonomy knows, or lines holding a job word (two or more, none shaped like a Korean name) share a type size clearly apart from the names' (rows of names set a gap apart, sure
    Korean names; three or more), and the line's size is on the headings' side. All False where the roll sets
    both in one size (then only the words and the blocks can tell)."""
    types, singles = _heading_types(rows)
    out = [False] * len(rows)
    if not types_apart(types):
        return out
    head, name = types
    for i, text, size in singles:
        margin = STYLE_MARGIN if _HANGUL.search(text) else LATIN_MARGIN
        out[i] = abs(size - name) >= margin * abs(head - name) and abs(size - head) < abs(size - name)
    return out


def _centre(pieces: Sequence[ReadLine]) -> float:
    return (min(p.box.x0 for p in pieces) + max(p.box.x1 for p in pieces)) / 2


def _titled(text: str) -> bool:
    """A line the lexicon or the role taxonomy knows as a title, or holding a job word, and not a Korean name."""
    role = clean_role(text)
    return (_has_role_word(role) or is_known_title(role)) and name_score(text) < 1.0


def column_headings(rows: Sequence[RowLike], frame_width: int) -> list[bool]:
    """Per row, whether it is a single line on the headings' axis in a roll whose names fill columns from the
    left: the titles known (two or more) share one axis, the rows of several names (two or more) nearly all start
    on one first-column axis apart from it, and lone lines stand on that column too. All False otherwise (names
    centred as a group under their heading start wherever their widths put them)."""
    tolerance = AXIS_TOLERANCE * frame_width
    # a lone line: one piece in all (a piece that could not be read still stands in a column: "스튜디오 605")
    singles = [(i, list(row.pieces)) for i, row in enumerate(rows)]
    singles = [(i, pieces) for i, pieces in singles if len(pieces) == 1 and pieces[0].readable
               and not is_boilerplate(pieces[0].text) and len(split_fields(pieces[0].text)) == 1]
    heads = [_centre(pieces) for _, pieces in singles if _titled(pieces[0].text)]
    firsts = [_centre([min((p for p in row.pieces if p.readable), key=lambda q: q.box.x0)])
              for row in rows if len([p for p in row.pieces if p.readable]) >= 2]
    out = [False] * len(rows)
    if len(heads) < 2 or len(firsts) < 2:
        return out
    axis = float(np.median(heads))
    if sum(abs(c - axis) <= tolerance for c in heads) < 0.8 * len(heads):
        return out
    first = float(np.median(firsts))
    if abs(first - axis) <= 3 * tolerance or sum(abs(c - first) <= tolerance for c in firsts) < FIRST_COLUMN * len(firsts):
        return out
    lone = [_centre(pieces) for _, pieces in singles if abs(_centre(pieces) - axis) > tolerance]
    if not lone or sum(abs(c - first) <= tolerance for c in lone) < FIRST_COLUMN * len(lone):
        return out
    for i, pieces in singles:
        text = pieces[0].text
        out[i] = abs(_centre(pieces) - axis) <= tolerance and not all(is_connective(n) for n in split_names(text))
    return out
