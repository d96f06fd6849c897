"""Credit lists for rendering test rolls from real data: names and Korean roles from the K-drama wiki list, English
role titles from the EBU RoleCodeCS taxonomy, and the Korean crew titles broadcasters print.

The data files are read from wherever the caller keeps them (tests and benchmarks pass ``../shared/eval/...``);
nothing here ships data. Sampling is seeded.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from testkit.credits.render import CreditEntry

# Korean crew titles as printed in broadcast end credits (from the list, plus common variants)
KOREAN_CREW_ROLES = (
    "연출", "조연출", "촬영", "촬영감독", "조명", "조명감독", "음향", "동시녹음", "편집", "미술", "미술감독", "분장",
    "의상", "극본", "작가", "구성", "음악", "음악감독", "제작", "기획", "CG", "진행", "책임프로듀서", "프로듀서",
    "특수효과", "소품", "세트", "타이틀", "자막", "색보정", "믹싱", "스크립터", "캐스팅", "무술감독", "안무",
)
_HANGUL_NAME = re.compile(r"[\uac00-\ud7a3]{2,4}")
# a wiki cell holding a person and a company ("조형진 초록뱀미디어"): one credit to the list, two on screen
_PERSON_THEN_MORE = re.compile(r"[\uac00-\ud7a3]{3} \S|.*\S [\uac00-\ud7a3]{3}$")


@dataclass(frozen=True)
class CreditSources:
    names: tuple[str, ...]  # Korean personal names (clean, 2-4 syllables)
    companies: tuple[str, ...]  # production companies (제작사)
    korean_roles: tuple[str, ...]
    english_roles: tuple[str, ...]
    titles: tuple[str, ...]  # programme titles


def _cell(value: str) -> str:
    return value.replace("\r", "").strip().strip('"').strip()


def load_sources(kdrama_tsv: Path, ebu_tsv: Path, max_role_chars: int = 30) -> CreditSources:
    """Clean names/companies/roles out of the two TSVs (wiki markup and bracketed notes dropped)."""
    names, companies, roles_ko, titles = set(), set(), set(), set()
    with Path(kdrama_tsv).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name = _cell(row.get("name_raw") or "")
            role = _cell(row.get("role_ko") or "")
            title = _cell(row.get("title") or "")
            if title and len(title) <= 20 and not any(ch in title for ch in "{}[]|="):
                titles.add(title)
            if role == "제작사" and 2 <= len(name) <= 14 and "  " not in name \
                    and not any(ch in name for ch in "{}[]()|=:/") and not _PERSON_THEN_MORE.fullmatch(name) \
                    and not _PERSON_THEN_MORE.match(name):
                companies.add(name)
            elif _HANGUL_NAME.fullmatch(name):
                names.add(name)
                if role in ("극본", "출연"):
                    roles_ko.add(role)
    english = set()
    with Path(ebu_tsv).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if not (row.get("parent_path") or "").strip():
                continue  # department headings, not roles
            name = " ".join(_cell(row.get("name") or "").split()).split(" / ")[0].strip()
            if name and len(name) <= max_role_chars:
                english.add(name)
    return CreditSources(tuple(sorted(names)), tuple(sorted(companies)),
                         tuple(sorted(roles_ko | set(KOREAN_CREW_ROLES))), tuple(sorted(english)),
                         tuple(sorted(titles)))


def sample_entries(sources: CreditSources, seed: int, n_entries: int = 12, max_names: int = 3,
                   english_share: float = 0.3, company_share: float = 0.05,
                   roles: tuple[str, ...] | None = None) -> list[CreditEntry]:
    """A roll's worth of credits: distinct roles (Korean, some English), one to ``max_names`` names each."""
    rng = np.random.default_rng(seed)
    picked: list[str] = []
    pool_ko = list(roles if roles is not None else sources.korean_roles)
    pool_en = [] if roles is not None else list(sources.english_roles)
    while len(picked) < n_entries:
        use_en = pool_en and rng.random() < english_share
        pool = pool_en if use_en else pool_ko
        if not pool:
            break
        role = pool.pop(int(rng.integers(len(pool))))
        picked.append(role)
    entries = []
    for role in picked:
        count = int(rng.integers(1, max_names + 1))
        if rng.random() < company_share and sources.companies:
            names = (str(rng.choice(sources.companies)),)
        else:
            names = tuple(str(n) for n in rng.choice(sources.names, size=count, replace=False))
        entries.append(CreditEntry(role=role, names=names))
    return entries
