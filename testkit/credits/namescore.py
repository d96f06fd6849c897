"""Scoring a roll's credits name by name: read exactly, CER, pair right, and whether the credit's time (where a
search hit points) falls inside the span the name is entirely on screen — grouped by any tag (layout, origin)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from testkit.credits.scoring import pair_key
from testkit.credits.truth import CreditRollTruth
from vidsearch.credits.cleanup import edit_distance
from vidsearch.credits.search import name_spacing_free as name_key_spacing


def name_form(name: str) -> str:
    """A name as compared: NFC, without spaces or the middle dots that stand for them ("힐스버로·비치" and
    "힐스버로 비치" write one name); case kept ("SBS" read "Sbs" is not exact)."""
    return name_key_spacing(unicodedata.normalize("NFC", name))


@dataclass(frozen=True)
class ReadCredit:
    role: str
    name: str
    time_s: float
    start_s: float
    end_s: float


@dataclass
class NameScore:
    names: int = 0
    exact: int = 0
    chars: int = 0
    edits: int = 0
    timed: int = 0  # exact names whose credit time is inside the truth's on-screen span
    pairs_right: int = 0  # (role, name) exactly as drawn
    found_pairs: int = 0  # predicted pairs (only in the overall score: a wrong name has no origin)
    correct_found: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: NameScore) -> NameScore:
        for key in ("names", "exact", "chars", "edits", "timed", "pairs_right", "found_pairs", "correct_found"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.errors += other.errors
        return self

    def ratio(self, part: str, whole: str) -> float | None:
        denominator = getattr(self, whole)
        return getattr(self, part) / denominator if denominator else None

    @property
    def cer(self) -> float | None:
        return self.edits / self.chars if self.chars else None

    @property
    def pair_precision(self) -> float | None:
        return self.correct_found / self.found_pairs if self.found_pairs else None


def score_names(truth: CreditRollTruth, credits: Sequence[ReadCredit], slack_s: float = 1.0,
                time_slack_s: float = 0.05) -> dict[str, NameScore]:
    """NameScore per origin of the truth's names (plus "all", which also counts pair precision)."""
    scores: dict[str, NameScore] = {}
    true_pairs = {(pair_key(role, "")[0], name_form(name)) for role, names in truth.entries for name in names}
    for line in truth.lines:
        role = truth.entries[line.entry][0]
        for name in line.names:
            origin = truth.origin(name)
            score = scores.setdefault(origin, NameScore())
            score.names += 1
            near = [c for c in credits if c.start_s <= line.last_s + slack_s and c.end_s >= line.first_s - slack_s]
            target = name_form(name)
            exact = [c for c in near if name_form(c.name) == target]
            best = min((edit_distance(target, name_form(c.name)) for c in near), default=len(target))
            score.chars += len(target)
            score.edits += min(best, len(target))
            if exact:
                score.exact += 1
                if any(line.first_s - time_slack_s <= c.time_s <= line.last_s + time_slack_s for c in exact):
                    score.timed += 1
                else:
                    score.errors.append(f"{name!r} at {exact[0].time_s:.2f} s, on screen "
                                        f"{line.first_s:.2f}-{line.last_s:.2f} s")
            else:
                guess = min(near, key=lambda c: edit_distance(target, name_form(c.name)), default=None)
                score.errors.append(f"{name!r} ({origin}) read as {guess.name if guess else None!r}")
            if any(pair_key(c.role, "") == pair_key(role, "") for c in exact):  # names already equal
                score.pairs_right += 1
            elif exact:
                score.errors.append(f"{name!r} credited as {[c.role for c in exact]}, drawn under {role!r}")
    overall = NameScore()
    for score in scores.values():
        overall.add(NameScore(**{k: getattr(score, k) for k in ("names", "exact", "chars", "edits", "timed",
                                                                  "pairs_right")}))
    found = {(pair_key(c.role, "")[0], name_form(c.name)) for c in credits}
    overall.found_pairs = len(found)
    overall.correct_found = len(found & true_pairs)
    scores["all"] = overall
    return scores
