"""Credit lines from the pieces a section reading returns: columns, rows, roles and their names.

Pieces are grouped into rows by their position on the roll. A two-column layout shows itself as a gutter: most
multi-piece rows have a gap at the same x, so pieces left of it are roles and pieces right of it names (x-positions
clustered over the whole section, not guessed per row). A row without that structure is parsed from its text:
a dot leader, slash or colon splits role from names; otherwise it is a role heading or a list of names, told apart
by the role lexicon, name shapes and type size. Rows of names under a role (a continuation in the name column, or
a centred list under a heading) join that role until the next role starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.credits.cleanup import clean_text, split_fields, split_names
from vidsearch.credits.lexicon import (
    TitleEvidence,
    clean_role,
    correct_korean_role,
    is_boilerplate,
    is_connective,
    is_known_title,
    is_listed_title,
    name_score,
    repair_role,
    role_score,
)
from vidsearch.credits.leaders import leader_pair, outer_pair
from vidsearch.credits.reader import ReadLine
from vidsearch.credits.structure import (
    block_openers,
    column_edges,
    column_headings,
    headed_blocks,
    heading_types,
    on_edges,
    on_outer_edges,
    outer_edges,
    roles_right,
    styled_headings,
    type_size,
    types_apart,
)
from vidsearch.ocr.reading import ballot_key


_HANGUL_ONLY = re.compile(r"[\uac00-\ud7a3 ]+")
# names without a role above them: Hangul words (a tight middle dot inside), capitalised Latin words, acronyms
_NAME_WORD = r"(?:[\uac00-\ud7a3]+(?:·[\uac00-\ud7a3]+)*|[A-Z][A-Za-z.'\-]*|(?=\S*[A-Z])[A-Z0-9&][A-Z0-9&.\-]+)"
_NAME_SHAPE = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD})*")


@dataclass
class CreditLine:
    """One row of a roll: the role it is credited under (as printed; "" on a roll that names no roles) and the
    names on the row, with when the row is most readable (``time``) and the span it is entirely on screen."""

    role_text: str
    names: list[str]
    time: float
    confidence: float
    end_time: float = 0.0
    line_text: str = ""
    start_time: float = -1.0

    def __post_init__(self) -> None:
        if self.start_time < 0:
            self.start_time = self.time
        self.end_time = max(self.end_time, self.time)


@dataclass
class _Row:
    pieces: list[ReadLine]
    run: int
    roll_y: float
    height: float

    @property
    def text(self) -> str:
        return "   ".join(p.text for p in self.pieces)

    @property
    def first_s(self) -> float:
        return min(p.first_s for p in self.pieces)

    @property
    def last_s(self) -> float:
        return max(p.last_s for p in self.pieces)

    @property
    def confidence(self) -> float:
        return float(np.mean([p.confidence for p in self.pieces]))

    def best_s(self, pieces: Sequence[ReadLine] | None = None) -> float:
        """When the row (or these of its pieces) is most readable, within when it is all on screen."""
        chosen = [p for p in (pieces or self.pieces) if p.best_s >= 0] or list(self.pieces)
        best = float(np.median([p.best_s if p.best_s >= 0 else (p.first_s + p.last_s) / 2 for p in chosen]))
        return min(max(best, self.first_s), self.last_s)


@dataclass(frozen=True)
class ReadText:
    """One row of credit text as read and cleaned (role and names, separators removed), with when it showed."""

    text: str
    first_s: float
    last_s: float
    confidence: float


def text_rows(pieces: Sequence[ReadLine]) -> list[ReadText]:
    rows = (ReadText(clean_text(r.text), r.first_s, r.last_s, r.confidence)
            for r in group_rows([p for p in pieces if p.readable]))
    return [r for r in rows if r.text]


def group_rows(pieces: Sequence[ReadLine]) -> list[_Row]:
    rows: list[_Row] = []
    for piece in sorted(pieces, key=lambda p: (p.run, p.roll_y, p.box.x0)):
        row = rows[-1] if rows else None
        if row is not None and row.run == piece.run and abs(piece.roll_y - row.roll_y) <= 0.5 * max(row.height, piece.height):
            row.pieces.append(piece)
            row.pieces.sort(key=lambda p: p.box.x0)
        else:
            rows.append(_Row([piece], piece.run, piece.roll_y, float(piece.height)))
    return rows


def find_gutter(rows: Sequence[_Row], frame_width: int) -> float | None:
    """The x of the gap between a role column and a name column, if the section has one: most multi-piece rows
    have a gap at the same x, and what stands left of it reads as role titles (names set in two or three columns
    under a heading have gaps at the same x too, with names on both sides)."""
    # only pieces read as text: detections in the footage around a roll (shapes read '' or '>') would place a
    # gutter where no column is, and a role column would then seem to hold unreadable text
    multi = [[p for p in r.pieces if p.readable] for r in rows]
    multi = [pieces for pieces in multi if len(pieces) >= 2]
    if len(multi) < 2 and not (multi and len(rows) <= 2):
        return None
    centres = []
    for pieces in multi:
        for left, right in zip(pieces, pieces[1:]):
            if right.box.x0 > left.box.x1:
                centres.append((left.box.x1 + right.box.x0) / 2)
    if not centres:
        return None
    bin_width = 0.03 * frame_width
    bins = np.round(np.asarray(centres) / bin_width)
    values, counts = np.unique(bins, return_counts=True)
    for best in values[np.argsort(-counts, kind="stable")][:3]:
        support = [c for c, b in zip(centres, bins) if abs(b - best) <= 1]
        if len(support) < max(1, 0.4 * len(multi)):
            break
        gutter = float(np.median(support))
        # judged on the rows the gutter splits: centred headings above 2-3 name columns stand left of the
        # outer column gap too, and would outvote the names standing there
        split = [r for r in rows
                 if any(p.box.x1 <= gutter for p in r.pieces) and any(p.box.x0 >= gutter for p in r.pieces)]
        lefts = [" ".join(p.text for p in r.pieces if p.box.x1 <= gutter and p.readable) for r in split]
        lefts = [t for t in lefts if t.strip()]
        if lefts and sum(role_score(clean_role(t)) >= 0.8 for t in lefts) >= 0.5 * len(lefts):
            return gutter
        if column_edges(rows, gutter, frame_width) is not None:
            return gutter  # titles the lexicon lacks, set flush right against names set flush left
    return None


def _fields(text: str) -> list[str]:
    """``split_fields``, except that titles joined by a slash are one composite title ("편집/CG", "의상/분장"), not a
    role and a name: a slash touching Hangul splits a role from its name ("극본/송창의"), and 편집/CG read right was
    credited as 편집 naming 'CG' (fuzz cards 2305)."""
    fields = split_fields(text)
    if len(fields) >= 2 and "/" in text and all(role_score(f) >= 0.8 for f in fields):
        return ["/".join(fields)]
    return fields


def _classify_single(text: str, height: float, typical_height: float, after_heading: bool = False
                     ) -> tuple[str, str | None, list[str]]:
    """One row of text with no column structure → ("pair", role, names) | ("heading", role, []) |
    ("names", None, names) | ("unknown", None, []) | ("small", text, names): smaller type than the rows around,
    a heading only if names follow it (``parse_credit_lines`` decides). ``after_heading``: the row above was a role heading, so small
    type here is a name set under it (a Latin name's box is shorter than a Hangul one's), not another heading."""
    fields = _fields(text)
    if len(fields) >= 2:
        return "pair", fields[0], split_names(" · ".join(fields[1:]))
    if not fields:
        return "unknown", None, []
    names = split_names(fields[0])
    if len(names) >= 2 and role_score(names[0]) >= 0.8 and role_score(" ".join(names[1:])) < 0.5:
        return "pair", names[0], names[1:]  # "연출   김민수": role and name set apart by a wide gap
    corrected = correct_korean_role(fields[0].replace(" ", "")) if _HANGUL_ONLY.fullmatch(fields[0]) else fields[0]
    if corrected == fields[0].replace(" ", ""):
        corrected = fields[0]  # nothing corrected: judged as printed ("이김 프로덕션" is a company, "이김프로덕션" a title)
    role, name = role_score(corrected), max((name_score(n) for n in names), default=0.0)
    if role >= 0.8 and (role > name or corrected != fields[0]):  # "백보정" is 색보정 misread, not a name
        return "heading", corrected, []
    if typical_height and height < 0.9 * typical_height and name < 1.0 and len(names) == 1 and not after_heading:
        return "small", fields[0], names  # set smaller than the names around it, and no sure Korean name
    return "names", None, names


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _is_latin(row: _Row) -> bool:
    return not _HANGUL.search(row.text)


def _typical_heights(rows: Sequence[_Row]) -> dict[bool, float]:
    """The usual row height for Latin-only rows and for the others, each from its own rows where there are at
    least three: a Latin line's box (no Hangul block, few descenders) is shorter than a Hangul one in the same
    type, so a names-only roll's Latin names would all look like smaller headings next to Hangul rows."""
    overall = float(np.median([r.height for r in rows]))
    out = {}
    for latin in (True, False):
        heights = [r.height for r in rows if _is_latin(r) == latin]
        out[latin] = float(np.median(heights)) if len(heights) >= 3 else overall
    return out


def _names_across(left: Sequence[ReadLine]) -> bool:
    """The left side of a row split by the gutter is a name, not a role: it reads as Korean personal names (a
    surname first) and not as a title — a centred names-only row straddling the gutter. Geometry cannot tell (a
    centred pair of names ends about where the role column does), and capitalised Latin words may be a title
    the lexicon lacks ("Foam Technician"), so those stay roles."""
    text = " ".join(p.text for p in left)
    return role_score(clean_role(text)) < 0.5 and name_score(text) >= 1.0


SAME_TYPE = 0.08  # two lines whose type sizes differ by at most this share are set in one type
ALIGN_SHARE = 0.02  # of the frame width: how far apart two lines set on one axis (centre, left or right) may be


def _same_axis(a: Sequence[ReadLine], b: Sequence[ReadLine], frame_width: int) -> bool:
    """Two lines set on one axis: centred on the same x, or flush on the same left or right edge."""
    tolerance = ALIGN_SHARE * frame_width
    a0, a1 = min(p.box.x0 for p in a), max(p.box.x1 for p in a)
    b0, b1 = min(p.box.x0 for p in b), max(p.box.x1 for p in b)
    return abs((a0 + a1) - (b0 + b1)) / 2 <= tolerance or abs(a0 - b0) <= tolerance or abs(a1 - b1) <= tolerance


def _wrapped_title(rows: Sequence[_Row], opens: Sequence[bool], i: int, kind: str, role: str,
                   typical_height: float, heading: Sequence[ReadLine], frame_width: int,
                   apart: bool | None = None) -> bool:
    """Row ``i``, right under its block's heading (``heading``: that line's pieces), is that title's second line
    ("Sound" / "Mixer", "VFX" / "슈퍼바이저"): one piece in the same block, set on the heading's axis (a name set
    in a column off the heading's centre is no part of it), more rows of that block after it (the names), no
    separator between names in it, and a title itself, or the two lines together a title the lexicon or the role
    taxonomy knows ("라인" / "PD"), or set in the headings' smaller type and not shaped like names — only where
    the roll's headings are not set in the names' own type (``apart`` False, ``structure.types_apart``): there
    the heading's type is every name's, and a foreign name or a company under its title is no part of it."""
    row = rows[i]
    if opens[i] or i + 1 >= len(rows) or opens[i + 1] or len(row.pieces) != 1:
        return False
    if not heading or not _same_axis(heading, row.pieces, frame_width):
        return False
    if len(split_names(row.text)) != 1 or is_connective(row.text):
        return False  # "A and B", "A, B": names set apart; "together with": credits no one
    # the two lines a title together, where the first alone is not one: one English role word makes any text a
    # title to the lexicon ("Gaffer 김민수"), so a known first line proves nothing about the second
    together = is_listed_title(f"{role} {row.text}") or (is_known_title(f"{role} {row.text}")
                                                         and not is_known_title(role))
    # an unknown second line: in the heading's own type (a name's box is often shorter than a title's, so box
    # height alone would make any short name a title's second line) and not shaped like names
    sizes = [type_size(p) for p in (*heading, *row.pieces)]
    same_type = all(sizes) and abs(type_size(row.pieces[0]) - np.median(sizes[:-1])) <= SAME_TYPE * max(sizes)
    return kind == "heading" or together or (same_type and apart is not False
                                             and row.height <= 0.9 * typical_height and name_score(row.text) < 0.7)


def _evidence(pieces: Sequence[ReadLine], title: str) -> TitleEvidence:
    """What the recogniser said of the pieces ``title`` was read from (``lexicon.repair_role`` asks it): the
    confidence of the words of the title (a piece may hold names too), every reading of the pieces, and how to
    read each piece's crop again (asked only where the read is sure and a rewrite is on the table)."""
    key = ballot_key(title)
    words = [w for p in pieces for w in p.words]
    confidences = [w.confidence for w in words if ballot_key(w.text) and ballot_key(w.text) in key] \
        or [w.confidence for w in words] or [p.confidence for p in pieces]
    return TitleEvidence(min(confidences, default=0.0), tuple(p.readings for p in pieces),
                         tuple(p.reread for p in pieces if p.reread is not None))


def parse_credit_lines(pieces: Sequence[ReadLine], frame_width: int) -> list[CreditLine]:
    """One CreditLine per row that carries names, each with its own time: rows under one role share the role,
    never the moment. Names on a roll that states no role get the role "". A row in smaller type than the rest
    is a role heading only if names follow it; otherwise (a Latin name last in its list) it is names."""
    rows = group_rows(pieces)
    if not rows:
        return []
    # titles flush left and names flush right, a leader between: the columns say which is which, not the words
    outer = outer_edges(rows, frame_width)
    gutter = find_gutter(rows, frame_width) if outer is None else None
    edges = column_edges(rows, gutter, frame_width) if gutter is not None else None
    # names flush right against the gutter and the role after them: the columns' meanings swap
    flipped = gutter is not None and roles_right(rows, gutter)
    opens = block_openers(rows)
    headings, in_blocks = headed_blocks(rows, opens) if gutter is None else ([False] * len(rows), False)
    if gutter is None:  # headings set in their own type, whether or not space between credits shows the blocks
        headings = [a or b or c for a, b, c in zip(headings, styled_headings(rows), column_headings(rows, frame_width))]
    # set in blocks, one heading each (or none: names only): a row in smaller type than the rest inside a block is
    # a name (a Latin or Hangul-written foreign name's box is shorter) or a connective ("그리고"), never a heading
    small_heads = not in_blocks
    typical = _typical_heights(rows)
    apart = types_apart(heading_types(rows))  # headings in a type of their own (None: the roll cannot tell)
    out: list[CreditLine] = []
    role: str | None = None
    last: _Row | None = None
    previous = ""  # how the row above was classified
    heading_pieces: Sequence[ReadLine] = ()  # the last heading's pieces, and whether its title went on a 2nd line
    wrapped = False
    pending: tuple[_Row, str, list[str], str | None] | None = None  # a small-type row: (row, text, names, role)
    evidence: dict[str, TitleEvidence] = {}  # each role as laid out: what the recogniser said of its pieces

    def heads(text: str, source: Sequence[ReadLine]) -> str:
        """``text`` (a title as read) becomes the role, read from ``source``: corrected toward a role word only
        where the recogniser was in doubt (``lexicon.TitleEvidence``)."""
        said, printed = _evidence(source, text), clean_role(text, correct=False)
        corrected = clean_role(text)
        title = corrected if said.supports(printed, corrected) else printed
        evidence[title] = said
        return title

    def emit(names: list[str], row: _Row, named: Sequence[ReadLine], under: str | None) -> None:
        names = [n for n in names if n and not is_connective(n)]  # "in association with" credits no one
        if under is None and not all(_NAME_SHAPE.fullmatch(n) for n in names):
            return  # no role vouches for it: text not shaped like names (misread script, stray marks) is not a credit
        if names:
            # the layout set ``under`` as the role: undo a misread of it ("그럽텀" for 그립팀), never of a name
            title = repair_role(under or "", evidence.get(under or ""))
            out.append(CreditLine(title, names, row.best_s(named), row.confidence, row.last_s, row.text,
                                  row.first_s))

    def settle(heading: bool) -> bool:
        """The small-type row above turned out a heading (names follow) or names (anything else follows); True
        where it turned out names (the row above was then no heading: nothing below continues its title)."""
        nonlocal pending, role
        named = False
        if pending is not None:
            small, text, names, under = pending
            if heading:
                role = heads(text, small.pieces)
            else:
                emit(names, small, small.pieces, under)
                named = True
        pending = None
        return named

    for i, row in enumerate(rows):
        if last is not None and (row.run != last.run or row.roll_y - last.roll_y > 3.5 * max(row.height, last.height)):
            settle(False)
            role = None  # a new card or a wide gap: names after it do not inherit the role before it
        if not any(p.readable for p in row.pieces):
            settle(False)
            role, last, previous = None, row, ""  # an unreadable row may be the next role: names must not join
            continue
        if is_boilerplate(row.text):
            settle(False)
            role, last, previous = None, row, ""  # "© 2024 ... All rights reserved": credits no one
            continue
        if gutter is not None and any(not p.readable and (p.box.x0 >= gutter if flipped else p.box.x1 <= gutter)
                                      for p in row.pieces):
            settle(False)
            role = None  # the role column holds text that could not be read: a new role, not the one above
        row = _Row([p for p in row.pieces if p.readable], row.run, row.roll_y, row.height)
        last = row
        leader = leader_pair(row.pieces)
        if leader is None and outer is not None and on_outer_edges(row.pieces, outer, frame_width):
            leader = outer_pair(row.pieces)
        if leader is not None:
            settle(False)
            role, previous = heads(leader[0], row.pieces), "pair"
            heading_pieces, wrapped = (), False
            emit(leader[1], row, row.pieces, role)
            continue
        left = [p for p in row.pieces if gutter is not None and p.box.x1 <= gutter]
        right = [p for p in row.pieces if gutter is not None and p.box.x0 >= gutter]
        if flipped:
            left, right = right, left
        if not flipped and left and right and _names_across(left) and not on_edges(left, right, edges, frame_width):
            settle(False)
            role, previous = None, "names"  # a centred row of names that no role heads straddles the gutter
            emit([n for p in left + right for n in split_names(p.text)], row, row.pieces, None)
            continue
        if gutter is not None and len(left) + len(right) == len(row.pieces) and (left or right):
            settle(not left)
            if left:
                role = heads(" ".join(p.text for p in left), left)
            previous = "pair"
            emit([n for p in right for n in split_names(p.text)], row, right, role)
            continue
        kind, text_role, names = _classify_single(row.text, row.height, typical[_is_latin(row)],
                                                  previous == "heading")
        # a heading's title as read, not as corrected to judge it (the correction waits for the evidence)
        printed = _fields(row.text)[0] if kind == "heading" else text_role
        if headings[i] and (kind in ("names", "small") or kind == "pair" and len(row.pieces) == 1
                            and len(_fields(row.text)) == 1):
            # opens a block set under a heading: its title, known or not; a title read with a stray mark inside
            # ("Colour· Timer·") is one line of the heading's type, not a role and a name set a gap apart
            kind, text_role = "heading", " ".join(split_names(row.text)) if kind == "pair" else row.text
            printed = text_role
        elif kind == "small" and not small_heads:
            kind = "names"
        if settle(kind == "names"):
            # the small row above was a name: the next heading opens a credit of its own, never the second line
            # of the title above that name ("자막" / names / "책임프로듀서" is two credits, not "자막 책임프로듀서")
            previous, heading_pieces = "names", ()
        if kind == "small":
            pending, kind = (row, text_role or "", names, role), "heading"
            heading_pieces, wrapped = row.pieces, False
        elif previous == "heading" and role and not wrapped \
                and _wrapped_title(rows, opens, i, kind, role, typical[_is_latin(row)], heading_pieces, frame_width,
                                   apart):
            kind, wrapped = "heading", True  # a title is set over two lines at most: a third is its names
            # a title set over two lines in one block: one role
            role = heads(f"{role} {row.text}", [*heading_pieces, *row.pieces])
        elif kind in ("pair", "heading"):
            role = heads(printed or "", row.pieces)
            heading_pieces, wrapped = row.pieces, False
        elif kind == "names" and gutter is not None and any(p.box.x0 < gutter < p.box.x1 for p in row.pieces):
            role = None  # names set across the gutter are centred, under no role: never a name column's row
        previous = kind
        if kind in ("pair", "names"):
            emit(names, row, row.pieces, role)
    settle(False)
    return out
