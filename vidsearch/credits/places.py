"""When two reads of a section are one line of the roll: the same place at the same time, or one piece inside the
other (one detection cut a row whole, another in parts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidsearch.credits.reader import ReadLine


def same_place(a: ReadLine, b: ReadLine) -> bool:
    """Two reads at one place of one run (same height, each covering most of the other's columns) while both were
    on screen: one line that tracking split in two (its picture changed with the busy footage behind it), read
    twice. A piece of a row is not this (``covers``): the row's read keeps its other names."""
    shared_s = min(a.last_s, b.last_s) - max(a.first_s, b.first_s)
    shorter_s = min(a.last_s - a.first_s, b.last_s - b.first_s)
    return (a.run == b.run and abs(a.roll_y - b.roll_y) < 0.5 * max(a.height, b.height)
            and a.box.x_overlap(b.box) >= 0.7 * max(a.box.width, b.box.width)
            and shared_s >= 0.5 * shorter_s and shared_s > 0)


def covers(whole: ReadLine, part: ReadLine) -> bool:
    """``part`` is a piece of the same row that ``whole`` spans, and its text is inside whole's."""
    if whole.run != part.run or whole.overlay != part.overlay or whole.box.width <= part.box.width:
        return False
    if abs(whole.roll_y - part.roll_y) > 0.5 * max(whole.height, part.height) and not whole.overlay:
        return False
    inner = part.text.replace(" ", "")
    return bool(inner) and whole.box.x_overlap(part.box) >= 0.85 * part.box.width \
        and inner in whole.text.replace(" ", "")


def boxed_twice(a: ReadLine, b: ReadLine) -> bool:
    """Two reads of one row that start at one x, one box inside the other, texts about as long: one line whose box
    took in a dot leader's dots in one detection and not in another ("투자 ......" read 투자 and 루가), so
    tracking kept the two apart. A row read whole and one of its pieces differ in length (``covers``)."""
    if a.run != b.run or a.overlay != b.overlay or abs(a.roll_y - b.roll_y) > 0.5 * max(a.height, b.height):
        return False
    if min(a.last_s, b.last_s) < max(a.first_s, b.first_s):
        return False  # never on screen together: two cards' titles at one place ("음악", then "음향")
    long_a, long_b = len(a.text.replace(" ", "")), len(b.text.replace(" ", ""))
    return (abs(a.box.x0 - b.box.x0) <= 0.5 * max(a.height, b.height)
            and a.box.x_overlap(b.box) >= 0.85 * max(1, min(a.box.width, b.box.width))
            and min(long_a, long_b) > 0 and abs(long_a - long_b) <= max(1, 0.25 * max(long_a, long_b)))
