"""Rows set with a dot leader between a title and its names ("편곡 ........ Adamson Waynesboro"): the leader, or
the flush-left/flush-right columns it makes, says which side is the role, whatever the title's words."""

from __future__ import annotations

from collections.abc import Sequence

from vidsearch.credits.cleanup import split_names
from vidsearch.credits.reader import ReadLine
from vidsearch.ocr.engine import WIDE_GAP


def leader_pair(pieces: Sequence[ReadLine]) -> tuple[str, list[str]] | None:
    """(role, names) of a row with a dot leader between them: the dots say which side is the role, whatever its
    words ("편곡 ........ Adamson Waynesboro": 편곡 reads like a personal name, 투자 is in no lexicon). The leader is
    erased before reading; where it stood inside one piece, the read has a wide gap there."""
    for k, piece in enumerate(pieces):
        before, after = [p.text for p in pieces[:k]], [p.text for p in pieces[k + 1:]]
        if piece.leader == "end" and after:
            role, names = " ".join(before + [piece.text]), after
        elif piece.leader == "start" and before:
            role, names = " ".join(before), [piece.text] + after
        elif piece.leader == "inside" and WIDE_GAP in piece.text.strip():
            head, tail = piece.text.strip().split(WIDE_GAP, 1)
            role, names = " ".join(before + [head]), [tail] + after
        else:
            continue
        names = [n for text in names for n in split_names(text)]
        return (role, names) if role.strip() and names else None
    return None


def outer_pair(pieces: Sequence[ReadLine]) -> tuple[str, list[str]] | None:
    """(role, names) of a row standing on a leader roll's outer edges: its first piece is the title (one piece
    for the whole row: the text before its first wide gap, where the leader was)."""
    if len(pieces) >= 2:
        role, names = pieces[0].text, [p.text for p in pieces[1:]]
    elif WIDE_GAP in pieces[0].text.strip():
        role, tail = pieces[0].text.strip().split(WIDE_GAP, 1)
        names = [tail]
    else:
        return None
    names = [n for text in names for n in split_names(text)]
    return (role, names) if role.strip() and names else None
