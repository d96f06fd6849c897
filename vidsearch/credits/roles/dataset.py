"""Training and evaluation data for the role mapper, all derived from the taxonomy and dev corpora.

A *title* is one authored credit title ("촬영감독", "DOP"); spacing, case and punctuation forms share its
compact key, so a title and its corruptions are trained on, or held out, together. The evaluation split holds
out a seeded fraction of titles per language: they are never trained on.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.credits.roles.taxonomy import RoleTaxonomy, RoleTitle
from vidsearch.credits.roles.text import compact_key
from vidsearch.credits.roles.variants import noisy_variants

_SURNAMES = "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 홍 전 고 문 양 손 배 백 허".split()
_GIVEN = "민 수 지 영 현 서 준 우 진 하 은 혜 경 호 성 재 윤 아 연 희 동 상 미 정 훈 석 유 나 태 승".split()
_FIRST = ("James Mary Robert Linda Michael Sarah David Emma Daniel Laura Thomas Anna Peter Julia Mark Helen "
          "Paul Grace Kevin Alice").split()
_LAST = ("Smith Johnson Brown Taylor Miller Wilson Moore Clark Lewis Walker Young King Wright Scott Green "
         "Baker Adams Nelson Hill Campbell").split()


@dataclass(frozen=True)
class TitleSplit:
    seed: int
    eval_fraction: float
    train: list[RoleTitle]
    eval: list[RoleTitle]


@dataclass
class LabelledTexts:
    texts: list[str]
    concepts: np.ndarray  # concept index per text
    sources: np.ndarray | None = None  # for training anchors: the index row each text was derived from

    def __len__(self) -> int:
        return len(self.texts)


def _rank(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def is_label_form(taxonomy: RoleTaxonomy, title: RoleTitle) -> bool:
    """A title that is only a spelling of its own concept's EBU label or label part: trivial to map."""
    concept = taxonomy.concept_of(title.code)
    return title.key in {compact_key(alias) for alias in concept.aliases}


def split_titles(taxonomy: RoleTaxonomy, eval_fraction: float = 0.25, seed: int = 13) -> TitleSplit:
    """Hold out ``eval_fraction`` of the non-trivial titles of each language (seeded, stable across runs)."""
    train: list[RoleTitle] = []
    held: list[RoleTitle] = []
    for lang in ("ko", "en"):
        titles = [t for t in taxonomy.titles if t.lang == lang]
        candidates = sorted((t for t in titles if not is_label_form(taxonomy, t)),
                            key=lambda t: _rank(seed, t.key))
        chosen = {t.key for t in candidates[: round(eval_fraction * len(candidates))]}
        held += [t for t in titles if t.key in chosen]
        train += [t for t in titles if t.key not in chosen]
    return TitleSplit(seed, eval_fraction, train, held)


def index_texts(taxonomy: RoleTaxonomy, titles: Sequence[RoleTitle]) -> LabelledTexts:
    """What the mapper compares a role text against: every concept's label forms plus the given titles."""
    texts: list[str] = []
    concepts: list[int] = []
    for index, concept in enumerate(taxonomy.concepts):
        texts += concept.aliases
        concepts += [index] * len(concept.aliases)
    for title in titles:
        texts.append(title.text)
        concepts.append(taxonomy.concept_index(title.code))
    return LabelledTexts(texts, np.asarray(concepts, dtype=np.int64))


def training_anchors(
    index: LabelledTexts, noise_per_text: int, seed: int, frequency: Counter[str] | None = None
) -> LabelledTexts:
    """Every index text and ``noise_per_text`` corruptions of it; texts that real credits use often (the drama
    database's role column) are repeated ``1 + log10(count)`` times so training sees them in proportion."""
    texts: list[str] = []
    concepts: list[int] = []
    sources: list[int] = []
    frequency = frequency or Counter()
    for row, (text, concept) in enumerate(zip(index.texts, index.concepts.tolist(), strict=True)):
        repeats = 1 + int(math.log10(frequency[text])) if frequency.get(text) else 1
        forms = [text] * repeats + noisy_variants(text, noise_per_text, seed)
        texts += forms
        concepts += [concept] * len(forms)
        sources += [row] * len(forms)
    return LabelledTexts(texts, np.asarray(concepts, dtype=np.int64), np.asarray(sources, dtype=np.int64))


def labelled_strings(taxonomy: RoleTaxonomy, strings: Counter[str]) -> Counter[str]:
    """The strings (e.g. from the drama database) that name a taxonomy title, with their counts."""
    known = {title.key: title.text for title in taxonomy.titles}
    labelled: Counter[str] = Counter()
    for text, count in strings.items():
        if compact_key(text) in known:
            labelled[known[compact_key(text)]] += count
    return labelled


def generated_person_names(count: int, seed: int) -> list[str]:
    """Korean (surname + two syllables) and English names: the other column of every credit roll."""
    rng = random.Random(seed)
    names = set()
    while len(names) < count:
        if rng.random() < 0.7:
            names.add(rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN))
        else:
            names.add(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}")
    return sorted(names)
