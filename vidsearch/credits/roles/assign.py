"""Role codes that abstain: a printed role title → zero, one or several EBU codes, or "unmapped".

A credit roll prints composite titles ("조연출·편집", "Hair/Make-up"): each part is mapped on its own. A part is
given a code only when the mapper is sure — its best cosine at least ``min_score`` *and* ahead of the next concept
by ``min_margin`` (an ambiguous title such as 진행, host or production coordinator, sits between two concepts).
Both thresholds are calibrated on dev titles (:func:`calibrate_selective`) so that the codes given are right at
least ``target`` of the time; everything else is stored as unmapped, with its raw title searchable and queued for
curation. Titles in scripts other than Hangul and Latin are kept as text and not mapped at all.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from vidsearch.credits.roles.mapper import RoleMapper, RoleMatch
from vidsearch.credits.roles.text import compact_key

# titles whose job depends on the programme: a code for them would be a guess, so they stay unmapped
AMBIGUOUS_TITLES = {
    "진행": "the host (MC) of a show, or the production coordinator of a drama",
    "제작": "the producer, or the production company it names",
    "배역": "a cast list's character column, not a job",
}

# separators between the parts of a composite title: middle dots, slashes, commas, ampersands, "and"/"및"
_COMPOSITE = re.compile(r"\s*[·•・∙ㆍ/／,，&＋+]\s*|\s+(?:and|및)\s+", re.IGNORECASE)


class RoleStatus(StrEnum):
    MAPPED = "mapped"  # every part of the title has a code
    PARTIAL = "partial"  # some parts have a code, the others are unmapped
    UNMAPPED = "unmapped"  # no code the mapper is sure of: the raw title is kept and queued for curation
    OTHER_LANGUAGE = "other_language"  # not Korean or English: kept as text, never mapped
    NONE = "none"  # the roll states no role for this name


@dataclass(frozen=True)
class RoleAssignment:
    text: str
    status: RoleStatus
    codes: tuple[RoleMatch, ...] = ()  # one per mapped part, in the title's order
    confidence: float = 0.0  # the weakest part's score (0 when nothing was mapped)
    parts: tuple[str, ...] = field(default=())

    @property
    def best(self) -> RoleMatch | None:
        return self.codes[0] if self.codes else None


def composite_parts(text: str) -> list[str]:
    parts = [p.strip() for p in _COMPOSITE.split(text)]
    return [p for p in parts if compact_key(p)] or ([text.strip()] if compact_key(text) else [])


def other_script(text: str) -> bool:
    """Letters of a script other than Hangul and Latin (kana, Han ideographs, Cyrillic, Arabic, Thai ...)."""
    for char in text:
        if not char.isalpha():
            continue
        if "\uac00" <= char <= "\ud7a3" or "\u1100" <= char <= "\u11ff" or "\u3130" <= char <= "\u318f":
            continue
        if unicodedata.name(char, "").startswith("LATIN"):
            continue
        return True
    return False


_AMBIGUOUS_KEYS = frozenset(compact_key(t) for t in AMBIGUOUS_TITLES)


@dataclass(frozen=True)
class _PartScore:
    match: RoleMatch | None
    score: float
    margin: float


def _score_parts(mapper: RoleMapper, parts: Sequence[str]) -> list[_PartScore]:
    """Best match, its score and lead over the next concept, per part. An ambiguous title, or a best match that
    is a whole department (EBU codes without a dot: 시각효과 → VISUAL EFFECT DEPARTMENT) rather than a role,
    scores 0."""
    if not parts:
        return []
    concepts_of = _key_concepts(mapper)
    out = []
    for part, mapping in zip(parts, mapper.map(list(parts), top_k=2), strict=True):
        key = compact_key(part)
        if not mapping.matches or key in _AMBIGUOUS_KEYS or "." not in mapping.matches[0].code:
            out.append(_PartScore(None, 0.0, 0.0))
            continue
        first = mapping.matches[0]
        second = mapping.matches[1].score if len(mapping.matches) > 1 else 0.0
        margin = first.score - second
        if len(concepts_of.get(key, ())) == 1:  # the title as the taxonomy lists it, under one concept only
            margin = 1.0
        out.append(_PartScore(first, first.score, margin))
    return out


_KEY_CONCEPTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _key_concepts(mapper: RoleMapper) -> dict[str, set[int]]:
    """Compact key of every indexed label form and title → the concepts listing it (cached per index)."""
    cached = _KEY_CONCEPTS.get(mapper.index)
    if cached is None:
        cached = {}
        for key, concept in zip(mapper.index.keys.tolist(), mapper.index.concepts.tolist(), strict=True):
            cached.setdefault(key, set()).add(concept)
        _KEY_CONCEPTS[mapper.index] = cached
    return cached


class RoleAssigner:
    """Maps role titles with abstention; ``min_score``/``min_margin`` come from :func:`calibrate_selective`."""

    def __init__(self, mapper: RoleMapper, min_score: float, min_margin: float = 0.0) -> None:
        self.mapper = mapper
        self.min_score = min_score
        self.min_margin = min_margin

    def accepts(self, score: float, margin: float) -> bool:
        return score >= self.min_score and margin >= self.min_margin

    def assign(self, texts: Sequence[str]) -> list[RoleAssignment]:
        splits = [composite_parts(t) if t.strip() and not other_script(t) else [] for t in texts]
        flat = [p for parts in splits for p in parts]
        scored = iter(_score_parts(self.mapper, flat))
        out = []
        for text, parts in zip(texts, splits, strict=True):
            if not text.strip():
                out.append(RoleAssignment(text, RoleStatus.NONE))
                continue
            if other_script(text):
                out.append(RoleAssignment(text, RoleStatus.OTHER_LANGUAGE))
                continue
            scores = [next(scored) for _ in parts]
            kept = [s for s in scores if s.match is not None and self.accepts(s.score, s.margin)]
            codes = tuple(dict.fromkeys(s.match for s in kept if s.match is not None))
            status = (RoleStatus.MAPPED if kept and len(kept) == len(scores)
                      else RoleStatus.PARTIAL if kept else RoleStatus.UNMAPPED)
            confidence = min((s.score for s in scores), default=0.0)
            out.append(RoleAssignment(text, status, codes, round(float(confidence), 4), tuple(parts)))
        return out


@dataclass(frozen=True)
class SelectiveCalibration:
    min_score: float
    min_margin: float
    accuracy: float  # share of mapped items whose codes are exactly right
    coverage: float  # share of role items (with a gold code) that got mapped
    mapped: int
    items: int


def selective_outcomes(mapper: RoleMapper, items: Sequence[tuple[str, tuple[str, ...]]]
                       ) -> list[tuple[float, float, bool]]:
    """Per item (title, gold codes — empty for a text that is no role): (weakest part's score, weakest part's
    margin, whether the mapper's best codes are exactly the gold ones)."""
    splits = [composite_parts(text) for text, _ in items]
    scored = iter(_score_parts(mapper, [p for parts in splits for p in parts]))
    out = []
    for (_, gold), parts in zip(items, splits, strict=True):
        scores = [next(scored) for _ in parts]
        codes = {s.match.code for s in scores if s.match is not None}
        score = min((s.score for s in scores), default=0.0)
        margin = min((s.margin for s in scores), default=0.0)
        out.append((score, margin, bool(gold) and codes == set(gold)))
    return out


def evaluate_selective(outcomes: Sequence[tuple[float, float, bool]], golds: Sequence[bool], min_score: float,
                       min_margin: float) -> SelectiveCalibration:
    """``golds[i]``: item i is a role (has gold codes). Accuracy over what is mapped; coverage over roles."""
    mapped = [(ok, gold) for (score, margin, ok), gold in zip(outcomes, golds, strict=True)
              if score >= min_score and margin >= min_margin]
    right = sum(ok for ok, _ in mapped)
    roles = sum(golds)
    return SelectiveCalibration(min_score, min_margin, right / len(mapped) if mapped else 1.0,
                                sum(gold for _, gold in mapped) / roles if roles else 0.0, len(mapped),
                                len(outcomes))


def calibrate_selective(outcomes: Sequence[tuple[float, float, bool]], golds: Sequence[bool],
                        target: float = 0.97, margins: Sequence[float] = (0.0, 0.01, 0.02, 0.04, 0.06, 0.1)
                        ) -> SelectiveCalibration:
    """The (score, margin) thresholds of greatest coverage whose selective accuracy is at least ``target``
    (with a small-sample guard: the errors allowed are rounded down)."""
    scores = np.unique([round(s, 4) for s, _, _ in outcomes] + [1.01])
    best: SelectiveCalibration | None = None
    for margin in margins:
        for cut in scores:
            result = evaluate_selective(outcomes, golds, float(cut), margin)
            allowed = int((1 - target) * result.mapped)
            if result.mapped and result.mapped - round(result.accuracy * result.mapped) > allowed:
                continue
            if best is None or result.coverage > best.coverage:
                best = result
            break  # higher cuts of this margin only cover less
    return best or SelectiveCalibration(1.01, 0.0, 1.0, 0.0, 0, len(outcomes))
