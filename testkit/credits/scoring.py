"""Scoring a credit reading against the truth of a rendered roll: character error rate of the lines read,
(role, name) pair precision/recall/F1, and whether each credit's time falls while it was on screen."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from vidsearch.credits.cleanup import edit_distance
from vidsearch.credits.layout import ReadText
from vidsearch.credits.roles.text import language_of
from testkit.credits.truth import CreditRollTruth


def pair_key(role: str, name: str) -> tuple[str, str]:
    def norm(text: str) -> str:
        return unicodedata.normalize("NFC", text).replace(" ", "").casefold()
    return norm(role), norm(name)


@dataclass
class RollScore:
    chars: int = 0
    edits: int = 0  # with single spaces between words
    chars_nospace: int = 0
    edits_nospace: int = 0
    lines: int = 0
    lines_missed: int = 0
    extra_lines: int = 0  # read lines matching no true line
    true_pairs: int = 0
    found_pairs: int = 0
    correct_pairs: int = 0
    timed_pairs: int = 0  # correct pairs whose time falls while the entry was on screen
    errors: list[str] = field(default_factory=list)
    # chars / edits of lines by the language of the role they belong to ("ko", "en"): CER per language
    chars_by_lang: dict[str, int] = field(default_factory=dict)
    edits_by_lang: dict[str, int] = field(default_factory=dict)

    @property
    def cer(self) -> float:
        return self.edits / self.chars if self.chars else 0.0

    @property
    def cer_nospace(self) -> float:
        return self.edits_nospace / self.chars_nospace if self.chars_nospace else 0.0

    def cer_of(self, lang: str) -> float | None:
        chars = self.chars_by_lang.get(lang, 0)
        return self.edits_by_lang.get(lang, 0) / chars if chars else None

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 0.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: RollScore) -> RollScore:
        for name in ("chars", "edits", "chars_nospace", "edits_nospace", "lines", "lines_missed", "extra_lines",
                     "true_pairs", "found_pairs", "correct_pairs", "timed_pairs"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        for lang, chars in other.chars_by_lang.items():
            self.chars_by_lang[lang] = self.chars_by_lang.get(lang, 0) + chars
            self.edits_by_lang[lang] = self.edits_by_lang.get(lang, 0) + other.edits_by_lang.get(lang, 0)
        return self


def score_lines(truth: CreditRollTruth, read: Sequence[ReadText], slack_s: float = 0.6) -> RollScore:
    """CER over the truth's lines: each true line is compared with the most similar unused read line that was
    on screen at an overlapping time; a true line nothing matches counts as entirely deleted."""
    score = RollScore()
    used: set[int] = set()
    for line in truth.lines:
        candidates = [i for i, r in enumerate(read) if i not in used
                      and r.first_s <= line.last_s + slack_s and r.last_s >= line.first_s - slack_s]
        best = max(candidates, key=lambda i: difflib.SequenceMatcher(None, read[i].text, line.text).ratio(),
                   default=None)
        hypothesis = ""
        if best is not None and difflib.SequenceMatcher(None, read[best].text, line.text).ratio() >= 0.3:
            used.add(best)
            hypothesis = read[best].text
        else:
            score.lines_missed += 1
        score.lines += 1
        edits = edit_distance(line.text, hypothesis)
        score.chars += len(line.text)
        score.edits += edits
        lang = language_of(line.role if line.role is not None else truth.entries[line.entry][0])
        score.chars_by_lang[lang] = score.chars_by_lang.get(lang, 0) + len(line.text)
        score.edits_by_lang[lang] = score.edits_by_lang.get(lang, 0) + edits
        score.chars_nospace += len(line.text.replace(" ", ""))
        score.edits_nospace += edit_distance(line.text.replace(" ", ""), hypothesis.replace(" ", ""))
        if hypothesis != line.text:
            score.errors.append(f"line {line.text!r} read as {hypothesis!r}")
    score.extra_lines = len(read) - len(used)
    return score


def score_pairs(truth: CreditRollTruth, credits: Sequence[tuple[str, str, float]], slack_s: float = 0.6) -> RollScore:
    """(role, name, time) credits against the truth's pairs: exact match after NFC/space/case normalisation."""
    score = RollScore()
    spans: dict[tuple[str, str], tuple[float, float]] = {}
    for index, (role, names) in enumerate(truth.entries):
        for name in names:
            spans[pair_key(role, name)] = truth.entry_span(index)
    found = {}
    for role, name, t in credits:
        found.setdefault(pair_key(role, name), t)
    score.true_pairs = len(spans)
    score.found_pairs = len(found)
    for key, t in found.items():
        if key in spans:
            score.correct_pairs += 1
            first, last = spans[key]
            if first - slack_s <= t <= last + slack_s:
                score.timed_pairs += 1
            else:
                score.errors.append(f"pair {key} at {t:.2f} s, on screen {first:.2f}-{last:.2f} s")
        else:
            score.errors.append(f"pair {key} not in the roll")
    for key in spans.keys() - found.keys():
        score.errors.append(f"pair {key} missed")
    return score
