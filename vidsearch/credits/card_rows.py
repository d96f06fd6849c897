"""Cards of one row each: the scan's cue for credits shown one line at a time ("연출   김민수" alone on a card).

A scan sample counts as credit-like when it shows ``min_text_lines`` lines — a card or a roll fills the screen,
footage text rarely does. A broadcaster cutting single credits shows one line per card, as footage does (a lower
third, a caption, a sign, a ticker). What one line alone does not tell, the samples around it do: cards set their
lone row where a page sets its text — in the middle of the picture, about centred (or one column of two, against
the centre line), clear of the frame's sides — and at the same height card after card. Footage text mostly does
not: a lower third or a subtitle sits low, a ticker runs across the whole width, a sign goes where the camera puts
it and goes with the shot. So a sample showing one
such row is a candidate only inside a run of them at one height (blank samples — a fade's trough, the black between
cards — do not break it; samples already credit-like count as members) of ``card_row_min_samples`` members.

What the scan's small picture cannot tell is whether the row's TEXT changes (at ~6 px a line, two names and one
caption over moving footage look alike: measured with stroke maps and their correlation, and dropped). The reading
can: a section found by this cue alone is kept only if its rows read as cards of credits (``cards_of_one_row``): two
or more different rows, most of them a role and its name. A title or caption left mid-picture reads as one line,
signs the camera passes as lines that credit no one; both are dropped. A roll of one NAME per card with no roles
is left unfound (a name alone is what a sign or a caption reads as too).
"""

from __future__ import annotations

from dataclasses import dataclass

from vidsearch.credits.layout import CreditLine

# where a card sets a lone row, in shares of the frame: its middle half in height (a subtitle, a lower third or a
# ticker sits lower), its centre near the frame's centre, clear of the sides (a ticker or a crawl runs off them)
ROW_TOP, ROW_BOTTOM = 0.25, 0.75
ROW_CENTRE_SLACK = 0.2
ROW_SIDE_MARGIN = 0.03
# ... or one edge on the frame's centre line, the row on one side of it: a card set in two columns, titles flush
# right and names flush left against a centred gutter, where the small picture sees one column only (small grey
# titles over moving colour go unseen, the names' row starts just right of the centre)
ROW_GUTTER = 0.08


@dataclass(frozen=True)
class CardRow:
    """The one line of a scan sample, where a card would set it (shares of the frame)."""

    cy: float
    height: float

    def same_height(self, other: CardRow) -> bool:
        return abs(self.cy - other.cy) <= max(self.height, other.height)


def card_row(band: tuple[float, float, float, float]) -> CardRow | None:
    """The sample's one line ``band`` (y0, y1, x0, x1 as shares of the frame) as a card row, or None where no
    card sets a lone row (low, high, off-centre and off the centre line, or touching the frame's sides)."""
    y0, y1, x0, x1 = band
    cy = (y0 + y1) / 2
    on_gutter = 0.5 <= x0 <= 0.5 + ROW_GUTTER or 0.5 - ROW_GUTTER <= x1 <= 0.5
    if not ROW_TOP <= cy <= ROW_BOTTOM or (abs((x0 + x1) / 2 - 0.5) > ROW_CENTRE_SLACK and not on_gutter):
        return None
    if x0 < ROW_SIDE_MARGIN or x1 > 1 - ROW_SIDE_MARGIN:
        return None
    return CardRow(cy, y1 - y0)


def card_row_samples(rows: list[CardRow | None], lines: list[int], min_lines: int, min_samples: int) -> set[int]:
    """Indices of the samples whose lone row may be a card's: members of runs of card rows at one height (samples
    with ``min_lines`` or more lines count as members; blank ones are skipped) of at least ``min_samples`` members."""
    found: set[int] = set()
    run: list[int] = []
    last_row: CardRow | None = None
    for i, (row, count) in enumerate(zip(rows, lines)):
        if count == 0:
            continue
        if count < min_lines and (row is None or (last_row is not None and not last_row.same_height(row))):
            if len(run) >= min_samples:
                found.update(k for k in run if rows[k] is not None)
            run, last_row = [], None
            if row is None:
                continue
        run.append(i)
        if count < min_lines:
            last_row = row
    if len(run) >= min_samples:
        found.update(k for k in run if rows[k] is not None)
    return found


def cards_of_one_row(lines: list[CreditLine]) -> bool:
    """Whether the credit rows read in a section that the lone-row cue alone found are cards of credits: the row's
    text changed (two or more different rows), and most rows read as a role and its name — footage text left
    mid-picture (a title, a caption, signs) reads as one line, or as lines crediting no one."""
    rows = [line for line in lines if line.names]
    different = {"".join((line.role_text + " ".join(line.names)).split()) for line in rows}
    return len(different) >= 2 and sum(1 for line in rows if line.role_text) * 2 >= len(rows)
