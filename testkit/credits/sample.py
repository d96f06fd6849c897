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

ORIGINS = ("korean", "foreign_hangul", "latin", "company")
_PERSON_LIKE = re.compile(r"[\uac00-\ud7a3]{2,4}|[A-Z][a-z]+ [A-Z][a-z]+")  # the drama list's 제작사 holds producers too
_LATIN_WORD = re.compile(r"[A-Z][a-z]+(?:[-'][A-Za-z][a-z]+)?")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
# Korean composite titles as rolls print them (a tight middle dot or slash between two jobs)
COMPOSITE_ROLES = ("조연출·편집", "촬영·조명", "구성·연출", "분장·미용", "편집/CG", "음향·믹싱", "미술·소품")
# Film and broadcast crew titles as Korean end credits print them, many of which the layout's role lexicon does not
# know (team and rank suffixes 팀/실장/부장/기사, loanword jobs, investors and distributors): authored here, not taken
# from the lexicon, so a dev roll does not share the pipeline's idea of what a role looks like. Several read like
# a Korean name to a surname test (조감독, 제작팀, 조명팀, 차량, 배급).
FILM_CREW_ROLES = (
    "조감독", "제작실장", "제작부장", "제작팀", "연출팀", "촬영팀", "조명팀", "미술팀", "의상팀", "분장팀", "그립팀",
    "포커스풀러", "붐오퍼레이터", "동시녹음기사", "스틸", "메이킹", "현장편집", "로케이션", "섭외", "차량", "발전차",
    "렌탈", "데이터매니저", "무술팀", "스턴트", "캐스팅디렉터", "프로덕션디자이너", "컨셉아트", "작곡", "편곡",
    "주제가", "현장음", "후반작업", "예고편", "포스터", "배급", "투자", "제작투자", "책임투자", "제작자", "회계",
    "케이터링", "지미집", "의상실장", "헤어실장", "소품팀", "제작관리", "자료조사", "성우", "촬영", "조명", "편집",
    "각본", "음악", "미술감독", "동시녹음", "특수분장", "색보정", "믹싱", "시각효과", "스크립터",
    # mixed Korean/Latin and spaced titles
    "VFX 슈퍼바이저", "라인 PD", "DI 컬러리스트", "B캠 촬영", "CG 팀장", "프로덕션 디자이너", "사운드 디자인",
)
# titles with a space in them, which a roll may set over two lines (Korean film titles and English ones)
SPACED_ROLES = tuple(r for r in FILM_CREW_ROLES if " " in r) + (
    "Production Designer", "Director of Photography", "Sound Mixer", "Costume Designer", "Script Supervisor",
    "Visual Effects Supervisor", "Casting Director", "Location Manager", "Stunt Coordinator")
# what a roll prints after its credits that credits no one: company boilerplate
BOILERPLATE = ("© 2024 Studio Dragon. All rights reserved.", "Presented by", "Copyright © 2023 CJ ENM",
               "이 영화의 저작권은 제작사에 있습니다", "All Rights Reserved")
# lines set between a role and its names that credit no one
CONNECTIVES = ("with", "and", "in association with", "together with", "그리고", "featuring")
LATIN_COMPANIES = ("CJ ENM", "Studio Dragon", "Showbox", "Barunson E&A", "Lotte Entertainment", "Netflix",
                   "MBC C&I", "SBS", "KBS Media", "Megabox Plus M")


@dataclass(frozen=True)
class Transliterations:
    """Proper nouns (people, places) in Latin and Hangul, one word each, from the dev transliteration pairs."""

    words: tuple[tuple[str, str], ...]  # (Latin, Hangul)
    full: tuple[tuple[str, str], ...]  # multi-word entries whose words pair one to one

    def name(self, rng: np.random.Generator) -> tuple[str, str]:
        """A two- or three-word name (Latin, Hangul): a multi-word entry, or two single words put together."""
        if self.full and rng.random() < 0.3:
            return self.full[int(rng.integers(len(self.full)))]
        parts = [self.words[int(rng.integers(len(self.words)))] for _ in range(2 if rng.random() < 0.85 else 3)]
        return " ".join(p[0] for p in parts), " ".join(p[1] for p in parts)


def load_transliterations(pairs_tsv: Path) -> Transliterations:
    """Capitalised Latin words with their Hangul spelling (no loanwords in lower case, no digits)."""
    words, full = [], []
    with Path(pairs_tsv).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            latin, hangul = (row.get("latin") or "").strip(), (row.get("hangul") or "").strip()
            lw, hw = latin.split(), hangul.split()
            if not lw or not all(_LATIN_WORD.fullmatch(w) for w in lw) or not all(_HANGUL_WORD.fullmatch(w) for w in hw):
                continue
            if len(lw) == 1 and len(hw) == 1 and 2 <= len(hw[0]) <= 5 and len(lw[0]) >= 3:
                words.append((latin, hangul))
            elif 2 <= len(lw) <= 3 and len(lw) == len(hw) and all(len(w) <= 6 for w in hw):
                full.append((latin, hangul))
    return Transliterations(tuple(sorted(set(words))), tuple(sorted(set(full))))

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


def sample_mixed_entries(sources: CreditSources, names: Transliterations, seed: int, n_entries: int = 10,
                         max_names: int = 3, shares: dict[str, float] | None = None, english_share: float = 0.25,
                         composite_share: float = 0.1, no_role_share: float = 0.0,
                         role_pool: tuple[str, ...] | None = None, connective_share: float = 0.0
                         ) -> list[CreditEntry]:
    """A roll's credits with names of every origin: native Korean (drama list), Hangul-written foreign and
    Latin names (transliteration pairs, some with a tight middle dot), and companies (drama list's production
    companies, Latin company names); Korean, English and composite role titles; ``origins`` tag every name.
    ``role_pool``: draw the titles from this list instead (e.g. ``FILM_CREW_ROLES``), no English or composites;
    ``connective_share``: that share of credits sets a line crediting no one (``CONNECTIVES``) above its names."""
    rng = np.random.default_rng(seed)
    shares = shares or {"korean": 0.4, "foreign_hangul": 0.3, "latin": 0.22, "company": 0.08}
    kinds, weights = list(shares), np.asarray(list(shares.values()), float)
    pool_ko, pool_en = list(sources.korean_roles), list(sources.english_roles)
    if role_pool is not None:
        pool_ko, pool_en, composite_share = list(role_pool), [], 0.0
    companies = [c for c in list(sources.companies) + list(LATIN_COMPANIES) if not _PERSON_LIKE.fullmatch(c)]
    entries = []
    for _ in range(n_entries):
        draw = rng.random()
        if draw < no_role_share:
            role = ""
        elif draw < no_role_share + composite_share:
            role = str(rng.choice(COMPOSITE_ROLES))
        else:
            pool = pool_en if pool_en and rng.random() < english_share else pool_ko
            role = pool.pop(int(rng.integers(len(pool)))) if pool else str(rng.choice(sources.korean_roles))
        count = int(rng.integers(1, max_names + 1))
        chosen, origins = [], []
        while len(chosen) < count:
            origin = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
            if origin == "korean":
                name = str(rng.choice(sources.names))
            elif origin == "company":
                # a wiki cell may hold the company and, on a second line, its producer: the roll shows the company
                # (a line break inside one drawn name also makes the text shaper fail)
                name = str(rng.choice(companies)).splitlines()[0].strip()
            else:
                latin, hangul = names.name(rng)
                name = latin if origin == "latin" else hangul
                if origin == "foreign_hangul" and rng.random() < 0.15:
                    name = name.replace(" ", "·")  # "윌리엄·셰익스피어"
            if name not in chosen:
                chosen.append(name)
                origins.append(origin)
        connective = str(rng.choice(CONNECTIVES)) if connective_share and rng.random() < connective_share else ""
        entries.append(CreditEntry(role=role, names=tuple(chosen), origins=tuple(origins), connective=connective))
    return entries
