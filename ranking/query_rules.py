"""Query-aware weights: small rules that shift a profile's weights for the query at hand.

A rule has a condition on the query (it names a credited person, it is written in Hangul, it is short, it
matches a pattern) and an action on list weights (``set``, then ``floor``, then ``scale``; lists chosen by name or
glob such as ``"*credit*"``). Rules apply in order; the result is renormalised to sum to 1 and records which rules fired and
why, so ``explain`` can say "leaned on credits: the query names 김민수".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ranking.fusion.weights import checked_weights

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Particles and endings that follow a name in a Korean query ("김민수가", "김민수의", "김민수 감독이").
_KO_PARTICLES = ("에게서", "에게", "께서", "한테", "으로", "이랑", "와", "과", "의", "이", "가", "은", "는", "을",
                 "를", "도", "만", "로", "랑", "께")


def normalised_name(text: str) -> str:
    """NFKC, lowercase, no spaces or punctuation: "Bong Joon-ho" and "bong joonho" compare equal."""
    return "".join(_TOKEN.findall(unicodedata.normalize("NFKC", text).lower()))


class CreditedNames:
    """The names that appear in credits (and person labels), for matching against queries.

    A name matches when it equals one query word, a query word minus a trailing Korean particle, or two or three
    adjacent words joined ("봉 준호", "Bong Joon-ho"). Substrings inside longer words do not match, so a
    two-syllable name does not fire on every word that happens to contain it.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: dict[str, str] = {}
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        key = normalised_name(name)
        if len(key) >= 2:
            self._names.setdefault(key, name.strip())

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: str) -> bool:
        return normalised_name(name) in self._names

    def match(self, query: str) -> list[str]:
        """Credited names the query mentions, as they were written in the credits, in query order."""
        words = [normalised_name(w) for w in unicodedata.normalize("NFKC", query).lower().split()]
        words = [w for w in words if w]
        found: dict[str, None] = {}
        for i, word in enumerate(words):
            candidates = [word] + [word[: -len(p)] for p in _KO_PARTICLES if word.endswith(p) and
                                   len(word) > len(p) + 1]
            candidates += ["".join(words[i:i + n]) for n in (2, 3) if i + n <= len(words)]
            for candidate in candidates:
                if candidate in self._names:
                    found.setdefault(self._names[candidate], None)
        return list(found)


class RuleCondition(StrEnum):
    CREDITED_NAME = "credited_name"  # the query names someone in the credits
    HANGUL = "hangul"  # the query contains Hangul
    LATIN_ONLY = "latin_only"  # letters, but no Hangul
    SHORT = "short"  # at most ``max_words`` words
    PATTERN = "pattern"  # ``pattern`` (a regular expression) matches the query


class QueryRule(BaseModel):
    """When ``when`` holds for a query: set these list weights, raise these to a floor, then scale these
    (list names or globs). Weights are renormalised afterwards."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="shown in explain when the rule fires")
    when: RuleCondition
    pattern: str | None = Field(None, description="regular expression, for when=pattern")
    max_words: int = Field(2, ge=1, description="for when=short")
    set: dict[str, float] = Field(default_factory=dict, description="list name or glob → weight")
    floor: dict[str, float] = Field(default_factory=dict, description="list name or glob → at least this weight")
    scale: dict[str, float] = Field(default_factory=dict, description="list name or glob → multiplier")

    @field_validator("set", "floor", "scale")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for key, number in value.items():
            if not number >= 0:
                raise ValueError(f"{key!r}: {number} must be >= 0")
        return value

    @model_validator(mode="after")
    def _pattern_given(self) -> QueryRule:
        if self.when is RuleCondition.PATTERN:
            if not self.pattern:
                raise ValueError(f"rule {self.name!r}: when=pattern needs a pattern")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"rule {self.name!r}: bad pattern {self.pattern!r}: {exc}") from None
        return self

    def reason(self, query: str, names: CreditedNames | None) -> str | None:
        """Why the rule fires for this query, or None when it does not."""
        if self.when is RuleCondition.CREDITED_NAME:
            found = names.match(query) if names is not None else []
            return f"the query names {', '.join(found)}" if found else None
        if self.when is RuleCondition.HANGUL:
            return "the query is in Korean" if _HANGUL.search(query) else None
        if self.when is RuleCondition.LATIN_ONLY:
            return "the query has no Hangul" if _LATIN.search(query) and not _HANGUL.search(query) else None
        if self.when is RuleCondition.SHORT:
            count = len(query.split())
            return f"the query has {count} word(s)" if 0 < count <= self.max_words else None
        assert self.pattern is not None
        return f"the query matches /{self.pattern}/" if re.search(self.pattern, query) else None


@dataclass
class RuleOutcome:
    weights: dict[str, float]
    fired: list[dict[str, str]] = field(default_factory=list)  # [{"rule", "reason"}]
    notices: list[str] = field(default_factory=list)


def _matching(pattern: str, lists: Sequence[str]) -> list[str]:
    return [name for name in lists if fnmatchcase(name, pattern)]


def apply_rules(weights: Mapping[str, float], rules: Sequence[QueryRule], query: str | None,
                names: CreditedNames | None = None, lists: Sequence[str] | None = None) -> RuleOutcome:
    """Weights for this query: the profile's weights adjusted by every rule that fires, summing to 1.

    ``lists`` are the list names this search produces; globs in rules match them (and the weights' own names).
    A rule may give weight to a list the profile left at 0, e.g. credits for a query naming a credited person.
    """
    current = dict(weights)
    fired: list[dict[str, str]] = []
    if query and rules:
        known = list(dict.fromkeys([*current, *(lists or [])]))
        for rule in rules:
            reason = rule.reason(query, names)
            if reason is None:
                continue
            for pattern, value in rule.set.items():
                is_glob = any(c in pattern for c in "*?[")
                for name in _matching(pattern, known) if is_glob else [pattern]:
                    current[name] = value
            for pattern, least in rule.floor.items():
                for name in _matching(pattern, known):
                    current[name] = max(current.get(name, 0.0), least)
            for pattern, factor in rule.scale.items():
                for name in _matching(pattern, known):
                    if name in current:
                        current[name] *= factor
            fired.append({"rule": rule.name, "reason": reason})
    if not any(v > 0 for v in current.values()):
        return RuleOutcome(dict(weights), fired, ["rules left no positive weight; profile weights kept"])
    checked, notices = checked_weights(current)
    return RuleOutcome(checked, fired, [] if fired else notices)  # rules rescale by design: no notice
