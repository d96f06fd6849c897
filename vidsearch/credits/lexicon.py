"""Is this text a role title or a name? Cues for laying out credit lines (not the role taxonomy itself).

Layouts without geometry to go by — a centred role heading above its names, a single piece of text — need to tell
"촬영감독" from "김민수". A role title contains a crew-role word (Korean job-title stems, English role words);
a Korean personal name is two to four syllables starting with a common surname and containing no role word.
The role taxonomy and its mapping to EBU codes live in ``vidsearch.credits.roles``.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidsearch.credits.cleanup import edit_distance, normalise, strip_decoration
from vidsearch.ocr.reading import ballot_key

# Korean broadcast job-title stems (longest first so "조연출" is found before "연출")
KOREAN_ROLE_WORDS = sorted({
    "연출", "조연출", "촬영", "촬영감독", "조명", "조명감독", "음향", "음향감독", "동시녹음", "녹음", "편집", "미술",
    "미술감독", "분장", "의상", "극본", "각본", "작가", "구성", "음악", "음악감독", "제작", "제작사", "기획", "진행",
    "감독", "프로듀서", "책임프로듀서", "총괄", "제작총괄", "출연", "특수효과", "효과", "시각효과", "소품", "세트",
    "디자인", "타이틀", "자막", "번역", "내레이션", "협찬", "후원", "기술", "영상", "중계", "카메라", "스태프", "코디",
    "헤어", "메이크업", "무술", "안무", "캐스팅", "마케팅", "홍보", "제공", "보조", "팀장", "스크립터", "스크립트",
    "그립", "데이터", "색보정", "믹싱", "사운드", "컴퓨터그래픽", "그래픽", "애니메이션", "원작", "각색", "프로덕션",
    "라인프로듀서", "제작진", "출연진", "미용", "소품", "행정", "인턴", "제작부", "연출부", "촬영부", "조명부", "미술부", "의상부", "분장부", "슈퍼바이저", "감수", "자문",
}, key=len, reverse=True)

ENGLISH_ROLE_WORDS = {
    "director", "directed", "producer", "produced", "production", "executive", "assistant", "associate", "camera",
    "photography", "cinematographer", "cinematography", "editor", "editing", "edited", "music", "composer",
    "sound", "mixer", "mixing", "recordist", "recording", "writer", "written", "screenplay", "script", "story",
    "lighting", "gaffer", "grip", "electrician", "art", "designer", "design", "costume", "costumes", "wardrobe",
    "makeup", "make-up", "hair", "casting", "manager", "supervisor", "coordinator", "operator", "engineer",
    "graphics", "effects", "vfx", "cg", "visual", "post-production", "colorist", "colourist", "stunt", "stunts",
    "boom", "title", "titles", "translation", "translator", "subtitles", "narration", "narrator", "cast",
    "starring", "presenter", "host", "consultant", "technical", "crew", "department", "unit", "accountant",
    "animation", "animator", "choreographer", "dresser", "props", "property", "set", "decorator", "location",
    "locations", "scout", "driver", "catering", "publicist", "researcher", "archive", "clearance", "legal",
    "special", "senior", "chief", "head", "first", "second", "key", "best", "boy", "dolly", "steadicam", "steadycam",
    "focus",
    "puller", "loader", "script", "continuity", "dialogue", "foley", "dubbing", "vision", "mixer", "broadcast",
    "graphic", "motion", "video", "audio", "junior", "line", "floor", "studio", "stage", "sales", "rigging",
    "teleprompter", "genny", "crane", "aerial", "drone", "marine", "wrangler", "medic", "nurse", "security",
    "caterer", "runner", "prop", "painter", "carpenter", "plasterer", "scenic", "storyboard", "concept", "artist",
    "compositor", "compositing", "modelling", "modeller", "texture", "render", "pipeline", "matte", "roto",
    "tracking", "voice", "subtitler", "interpreter", "signer", "coach", "trainer", "dialect", "vocal", "singer",
    "musician", "orchestrator", "arranger", "conductor", "lyricist", "librarian", "supervising", "publisher",
    "format", "deviser", "reporter", "correspondent", "anchor", "journalist", "editorial", "researcher", "stand-in",
    "double", "extras", "performer", "actor", "actress", "model", "colour", "color", "timing", "grading",
    "superviser", "supervisors", "directors", "producers", "editors", "operators", "assistants", "3d", "2d",
    "tailor", "cutter", "seamstress", "milliner", "armourer", "armorer", "buyer", "standby", "commentator",
    "technician", "clerk", "clerck", "payroll",
}

# common Korean surnames, most common first: a cue that a row holds names (never used to edit a name)
SURNAME_ORDER = ("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현"
                 "함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범"
                 "좌팽승간상갈")
SURNAMES = set(SURNAME_ORDER)
COMPOUND_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방")
_HANGUL_NAME = re.compile(r"[\uac00-\ud7a3]{2,4}")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z.'\-]*")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_COMPOSITE = re.compile(r"[·•・∙ㆍ/]")
_KOREAN_COMPANY = re.compile(r"\S\s+(?:프로덕션|미디어|스튜디오|필름)$|엔터테인먼트|미디어$|픽[쳐처]스|\(주\)|㈜")
# the middle dot of a composite title read as another small mark: a hyphen, a colon, a tilde, or an apostrophe
# when it sits a little high (light fuzz cards 1709: four names credited to "음향'믹싱")
_HANGUL_DOT = re.compile(r"(?<=[\uac00-\ud7a3])\s*[-:~'’‘`´]\s*(?=[\uac00-\ud7a3])")


_KOREAN_ROLE_SET = frozenset(KOREAN_ROLE_WORDS)


def _segments_into_roles(compact: str) -> bool:
    """'촬영감독' = 촬영 + 감독: the whole string splits into role words (a name like '조명희' does not)."""
    reachable = [True] + [False] * len(compact)
    for end in range(1, len(compact) + 1):
        reachable[end] = any(reachable[start] and compact[start:end] in _KOREAN_ROLE_SET
                             for start in range(max(0, end - 7), end))
    return reachable[-1]


def role_score(text: str) -> float:
    """0..1: how much ``text`` reads like a role title."""
    compact = text.replace(" ", "")
    if not compact:
        return 0.0
    parts = [p for p in _COMPOSITE.split(compact) if p]
    if len(parts) > 1:  # "분장·미용", "편집/CG": a composite title is a role when every part is one
        return min(role_score(p) for p in parts)
    if _segments_into_roles(compact):
        return 1.0
    if _KOREAN_COMPANY.search(text):  # "이김 프로덕션", "초록뱀미디어": a company credited, not a job title
        return 0.0
    if len(compact) >= 4 and any(compact.endswith(word) for word in KOREAN_ROLE_WORDS if len(word) >= 2):
        return 0.8  # 특수분장팀장, 보조출연 ...: ends in a role word, longer than a name
    words = [w.lower().strip(".,:") for w in _LATIN_WORD.findall(text)]
    if words:
        hits = sum(1 for w in words if w in ENGLISH_ROLE_WORDS)
        if hits:  # "Teleprompter Operator": one role word makes a title (personal names carry none)
            return min(1.0, 0.8 + 0.2 * hits / len(words))
    return 0.0


# lines a roll sets between a role and its names that credit no one
CONNECTIVES = frozenset({"and", "with", "in association with", "together with", "featuring", "feat.", "also",
                         "and introducing", "introducing", "as", "by", "그리고", "및", "외", "외 다수", "함께"})
_LOWER_WORDS = re.compile(r"[a-z][a-z.'\-]*(?: [a-z][a-z.'\-]*)*")


def is_connective(text: str) -> bool:
    """"in association with", "그리고", "with": a connecting phrase, or Latin words with no capital at all (names
    and companies are capitalised), never a credited name."""
    compact = " ".join(strip_decoration(normalise(text)).split())
    return compact.lower() in CONNECTIVES or bool(_LOWER_WORDS.fullmatch(compact))


def is_korean_name(token: str) -> bool:
    if not _HANGUL_NAME.fullmatch(token) or role_score(token) >= 0.8:
        return False
    return token[0] in SURNAMES or token.startswith(COMPOUND_SURNAMES)


def name_score(text: str) -> float:
    """0..1: how much ``text`` reads like one or more personal names."""
    tokens = text.split()
    if not tokens or role_score(text) >= 0.8:
        return 0.0
    korean = [t for t in tokens if _HANGUL_NAME.fullmatch(t)]
    if korean and len(korean) == len(tokens):
        return sum(is_korean_name(t) for t in tokens) / len(tokens)
    latin = [t for t in tokens if _LATIN_WORD.fullmatch(t)]
    if latin and len(latin) == len(tokens):  # "Jane Doe": capitalised words, more than one
        return 0.7 if len(tokens) > 1 and all(t[0].isupper() for t in tokens) else 0.3
    return 0.3


_RANKS = ("감독", "팀장", "보조", "기사", "실장", "부", "팀", "총괄", "디자인", "프로듀서", "슈퍼바이저")


@functools.cache
def _korean_role_vocabulary() -> dict[int, tuple[str, ...]]:
    """Role words and their compounds with a rank word (촬영+감독, 미술+팀장 ...) by length, for correcting
    misread titles."""
    words = set(KOREAN_ROLE_WORDS)
    words |= {a + b for a in KOREAN_ROLE_WORDS for b in _RANKS if len(a + b) <= 7}
    by_length: dict[int, list[str]] = {}
    for word in words:
        by_length.setdefault(len(word), []).append(word)
    return {n: tuple(sorted(ws)) for n, ws in by_length.items()}


def _jamo(syllable: str) -> tuple[int, int, int]:
    index = ord(syllable) - 0xAC00
    return index // 588, index % 588 // 28, index % 28


def _one_jamo_apart(a: str, b: str) -> bool:
    """Same length, one syllable differing in one letter (initial, vowel or final): what OCR confuses."""
    if len(a) != len(b):
        return False
    differing = [(x, y) for x, y in zip(a, b) if x != y]
    if len(differing) != 1:
        return False
    x, y = differing[0]
    return sum(p != q for p, q in zip(_jamo(x), _jamo(y))) == 1


def correct_korean_role(token: str) -> str:
    """A Korean title one syllable away from exactly one known title (and at least three long) is that title:
    "촬영강독" → "촬영감독". A two-syllable word is corrected only one letter off a two-syllable title and when it
    does not start with a surname ("굴연" → "출연"; "기은" may be a name): shorter words are often names."""
    if len(token) < 2 or not _HANGUL_RUN.fullmatch(token) or _segments_into_roles(token):
        return token
    vocabulary = _korean_role_vocabulary()
    if token in vocabulary.get(len(token), ()):
        return token  # a known title as printed (녹음실장 is not a misread 녹음팀장)
    if len(token) == 2:
        if token[0] in SURNAMES:
            return token
        near = {w for w in vocabulary.get(2, ()) if _one_jamo_apart(token, w)}
    else:
        near = {w for n in (len(token) - 1, len(token), len(token) + 1) for w in vocabulary.get(n, ())
                if edit_distance(token, w) == 1}
    return near.pop() if len(near) == 1 else token


def correct_english_role(text: str) -> str:
    """A Latin word one letter away from exactly one role word becomes it ("Gatfer" → "Gaffer")."""
    def fix(match: re.Match) -> str:
        word = match.group()
        lower = word.lower()
        if len(lower) < 5 or lower in ENGLISH_ROLE_WORDS:
            return word
        near = [w for w in ENGLISH_ROLE_WORDS if abs(len(w) - len(lower)) <= 1 and edit_distance(lower, w) == 1]
        if len(near) != 1:
            return word
        return near[0].capitalize() if word[0].isupper() else near[0]
    return _LATIN_WORD.sub(fix, text)


_ENCLOSED_CJK = re.compile(r"[\u3200-\u33ff]")  # ㈜ and its kin: part of a company's name


def _without_symbols(text: str) -> str:
    """The text without currency signs and other symbols (€, ®, ©, ™): no title prints one, while over busy
    footage a shape against a title's first letter is read as one glued to it ('€casting Director',
    'Video Playback ®operator'), and the title matches nothing. ㈜ and its kin stay (a company's name)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Sc", "So") or _ENCLOSED_CJK.fullmatch(ch))


def clean_role(text: str, correct: bool = True) -> str:
    """A role as printed, without decoration, and with OCR's stray spaces inside Korean compounds removed
    ("촬 영 감독" → "촬영감독") when the joined word is made of role words. ``correct``: words one letter off a
    role word made that word (``correct_korean_role``, ``correct_english_role``) — off where the read is sure
    (``TitleEvidence``): real rolls print titles one letter from another (작사/작가, News Reader/Render,
    Modeler/Modeller), and a title read surely is the title printed."""
    # a middle dot between two Korean jobs ("조연출·편집") is often read as a hyphen or colon
    tokens = _HANGUL_DOT.sub("·", strip_decoration(_without_symbols(normalise(text)))).split()
    out: list[str] = []
    for token in tokens:
        if out and _HANGUL_RUN.fullmatch(token) and _HANGUL_RUN.fullmatch(out[-1]) \
                and _segments_into_roles(out[-1] + token):
            out[-1] += token
        else:
            out.append(token)
    # "촬 영감독": the first fragment alone is not a role word, so try joining the whole Hangul run
    if len(out) > 1 and all(_HANGUL_RUN.fullmatch(t) for t in out) and _segments_into_roles("".join(out)):
        return "".join(out)
    if not correct:
        return " ".join(out)
    return correct_english_role(" ".join(correct_korean_role(t) for t in out))


# words that make a credited name a company or group, not a person (a cue for the credit's kind, never an edit)
_COMPANY_WORDS_KO = ("미디어", "엔터테인먼트", "프로덕션", "스튜디오", "픽쳐스", "픽처스", "필름", "방송", "컴퍼니",
                     "코리아", "그룹", "재단", "협회", "위원회", "진흥원", "주식회사", "㈜", "(주)", "문화산업", "영상",
                     "제작사", "이앤엠", "네트웍스", "네트워크", "콘텐츠", "컨텐츠")
_COMPANY_WORDS_EN = {"inc", "inc.", "ltd", "ltd.", "co.", "corp", "corp.", "llc", "gmbh", "studio", "studios",
                     "pictures", "films", "film", "entertainment", "media", "productions", "production",
                     "broadcasting", "network", "networks", "company", "group", "foundation", "association",
                     "records", "music", "contents", "lab", "labs", "house", "tv", "channel", "enm"}
_ACRONYM = re.compile(r"[A-Z0-9&]{2,6}")


def is_company(name: str) -> bool:
    """A company or group: a company word ("초록뱀미디어", "Fox Searchlight Pictures") or an all-capitals
    acronym ("SBS", "CJ ENM", "MBC C&I")."""
    compact = name.replace(" ", "")
    if any(word in compact for word in _COMPANY_WORDS_KO):
        return True
    words = name.split()
    if any(w.lower().strip(",") in _COMPANY_WORDS_EN for w in words):
        return True
    return bool(words) and all(_ACRONYM.fullmatch(w) for w in words)


# --- repairing a title already laid out as a heading (never used to decide whether a line is one) ---

_TITLES_FILE = Path(__file__).resolve().parent / "roles" / "data" / "ko_roles.tsv"
_TRAILING_JUNK = re.compile(r"(?<=[\uac00-\ud7a3])[0-9\]\[)(}{|!'\"`.,:;_~^*]+$")
_SHORT_CODES = ("VFX", "SFX", "CGI", "ADR", "DIT")  # role acronyms of three letters, as rolls print them


@functools.cache
def _title_vocabulary() -> frozenset[str]:
    """Every Korean title the layout lexicon builds (job words, with ranks) and the role taxonomy lists (titles
    and their variants, ``roles/data/ko_roles.tsv``), spaces removed: what a misread title is repaired toward."""
    words = {w for ws in _korean_role_vocabulary().values() for w in ws}
    with _TITLES_FILE.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            for title in line.rstrip("\n").split("\t", 1)[1].replace("\t", "|").split("|"):
                compact = title.replace(" ", "")
                if _HANGUL_RUN.fullmatch(compact):
                    words.add(compact)
    return frozenset(words)


@functools.cache
def _taxonomy_titles() -> frozenset[str]:
    """Every title and variant the role taxonomy lists (Korean and English files), compacted: spaces removed,
    lower case."""
    titles = set()
    for path in (_TITLES_FILE, _TITLES_FILE.with_name("en_roles.tsv")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or "\t" not in line:
                    continue
                for title in line.rstrip("\n").split("\t", 1)[1].replace("\t", "|").split("|"):
                    if title.strip():
                        titles.add(title.replace(" ", "").lower())
    return frozenset(titles)


def is_listed_title(text: str) -> bool:
    """A title the role taxonomy lists as printed, spaces aside ("라인 PD", "프로덕션 디자이너")."""
    return text.replace(" ", "").lower() in _taxonomy_titles()


def is_known_title(text: str) -> bool:
    """A title the layout lexicon reads as one, or one the role taxonomy lists ("라인 PD", "프로덕션 디자이너")."""
    return role_score(text) >= 0.8 or is_listed_title(text)


def _jamo_close(read: str, title: str) -> bool:
    """Same length (three syllables or more), every differing syllable one letter off, and either one syllable
    differing or, in a three-syllable title, two that differ only in the vowel with the first syllable agreeing:
    '그럽텀' for '그립팀' (OCR mixes up ㅣ/ㅓ/ㅏ beside a vertical stroke)."""
    if len(read) != len(title) or len(read) < 3:
        return False
    differing = [(_jamo(x), _jamo(y)) for x, y in zip(read, title) if x != y]
    if not differing or any(sum(p != q for p, q in zip(x, y)) != 1 for x, y in differing):
        return False
    if len(differing) == 1:
        return True
    return len(read) == 3 and len(differing) == 2 and read[0] == title[0] and all(x[1] != y[1] for x, y in differing)


def _repair_token(token: str, alone: bool = True) -> str:
    """One word of a title. ``alone``: the word is the whole title, so a two-syllable word one letter off one
    title is that title ("편칩" for 편집 — here the layout, not the word, made it a role). Never a word of a longer
    title: "촬영 기사" printed with its space would become 촬영 기자 (기사 is a rank, one letter from 기자)."""
    token = _TRAILING_JUNK.sub("", token)  # "슈퍼바이저2]": a stray mark read after the title
    if _HANGUL_RUN.fullmatch(token):
        vocabulary = _title_vocabulary()
        if token in vocabulary or _segments_into_roles(token):
            return token
        near = {w for w in vocabulary
                if _jamo_close(token, w) or alone and len(token) == 2 and _one_jamo_apart(token, w)}
        return near.pop() if len(near) == 1 else token
    if token.isupper() and len(token) == 3 and token not in _SHORT_CODES:
        near = [c for c in _SHORT_CODES if edit_distance(token, c) == 1]
        return near[0] if len(near) == 1 else token
    return token


_PART_SEPARATOR = re.compile(f"({_COMPOSITE.pattern})")  # split keeps the separators


def _repair_composite(token: str) -> str:
    """A composite title ("촬영·조명") read with one part off: the other parts are titles as printed, so the odd
    one is a title too, and one letter off exactly one title of its length is that title ("촬영·주명" → "촬영·조명";
    a two-syllable part alone is never edited — "주명" may be a name — but beside 촬영 it is no name)."""
    parts = _PART_SEPARATOR.split(token)
    words = parts[::2]
    vocabulary = _title_vocabulary()
    odd = [k for k, w in enumerate(words) if w not in vocabulary]
    if len(words) < 2 or len(odd) != 1 or not _HANGUL_RUN.fullmatch(words[odd[0]]) or len(words[odd[0]]) < 2:
        return token
    word = words[odd[0]]
    near = {w for w in vocabulary if _one_jamo_apart(word, w)}
    if len(near) == 1:
        parts[2 * odd[0]] = near.pop()
    return "".join(parts)


# a title read surer than this (its least sure word) is repaired only where another look or sighting of it read
# letters of the repair: chosen on rendered titles read by real Tesseract (``bench/credits_role_repair.py --ocr``)
SURE_TITLE = 0.85


def _nearest(reading: str, target: str) -> int:
    """Edit distance from ``target`` to the closest stretch of ``reading`` (a line may hold more than the title)."""
    n = len(target)
    if len(reading) <= n + 1:
        return edit_distance(reading, target)
    return min(edit_distance(reading[i:i + m], target)
               for m in (n - 1, n, n + 1) for i in range(len(reading) - m + 1))


def agrees_with_change(text: str, read: str, repaired: str) -> bool:
    """``text`` (another read of the line) reads what the rewrite of ``read`` into ``repaired`` changes as
    ``repaired`` has it: at every stretch where the two differ, taken with a letter either side, ``text`` holds a
    stretch nearer the repaired one than the read one. A re-read that misreads the title elsewhere still counts
    ('찰영·수중카메라' for 수증카메라 → 수중카메라), one that misreads the changed letters another way does not
    ('카메라심장' is no evidence for 카메라실장 → 카메라팀장)."""
    key, old, new = ballot_key(text), ballot_key(read), ballot_key(repaired)
    changes = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
    return bool(key) and bool(changes) and all(
        _nearest(key, new[max(j1 - 1, 0):j2 + 1]) < _nearest(key, old[max(i1 - 1, 0):i2 + 1])
        for _, i1, i2, j1, j2 in changes)


@dataclass(frozen=True)
class TitleEvidence:
    """What the recogniser said of the line(s) a title was read from: the least confidence of the title's words,
    every text each line was read as (its looks and sightings; empty when it was read once), and ``rereads``: for
    each line, a call reading its crop again in other looks (``reading.LazyReread``), asked only where the read is
    sure and nothing above vouches for a rewrite (a still card is read from one sighting)."""

    confidence: float
    readings: tuple[tuple[str, ...], ...] = ()
    rereads: tuple[Callable[[], Sequence[str]], ...] = field(default=(), compare=False)

    def supports(self, read: str, repaired: str) -> bool:
        """Rewriting the title read as ``read`` into ``repaired`` has evidence: a word of it was read unsure, or a
        look or sighting read it nearer ``repaired`` than the winning read ('그립 텀' beside a winning '그럽텀' for
        그립팀), or a re-read of the crop reads the changed letters as ``repaired`` has them (``agrees_with_change``).
        Sightings that disagree elsewhere prove nothing (one garbled sighting of a sure 무술 is no 미술)."""
        if self.confidence < SURE_TITLE:
            return True
        target = ballot_key(repaired)
        if not target or read == repaired:
            return False
        distance = edit_distance(ballot_key(read), target)
        if any(_nearest(ballot_key(t), target) < distance for texts in self.readings for t in texts if t.strip()):
            return True
        return any(agrees_with_change(t, read, repaired) for again in self.rereads for t in again())


_ACCENTED_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")  # an accent read on a plain letter ('Diréeror') splits no word


@functools.cache
def _english_vocabulary() -> frozenset[str]:
    """Every Latin word of a role title: the layout lexicon's role words and the words of every English title the
    taxonomy lists (EBU labels, ``en_roles.tsv``): what an unsure Latin misread is repaired toward."""
    # here, not at the top: the roles package loads its mapper and encoders, and only this cached call needs it
    from vidsearch.credits.roles.sources import SHIPPED_EBU
    from vidsearch.credits.roles.taxonomy import ENGLISH_TITLES, read_corrections, read_ebu_roles, read_titles

    titles = [*ENGLISH_ROLE_WORDS, *(role.label for role in read_ebu_roles(SHIPPED_EBU, read_corrections())),
              *(title.text for title in read_titles(ENGLISH_TITLES))]
    # split as a read title is ('Non-linear': Non, linear), so no part of a listed word is taken for a misread
    return frozenset(w.lower() for t in titles for w in _ACCENTED_WORD.findall(t) if len(w) >= 3)


# letters Tesseract reads as one another over small or blurred type: a word is also compared with these folded
_LOOKALIKES = (("rn", "m"), ("cl", "d"), ("li", "h"), ("vv", "w"))


def _folded(word: str) -> str:
    for pair, single in _LOOKALIKES:
        word = word.replace(pair, single)
    return word


def _repair_latin_word(word: str) -> str:
    """An unsure Latin word nearest one role word: within one edit (five letters or more) or two (seven or more),
    counting a look-alike pair (rn/m, cl/d, li/h) as one letter and an accent as none ('Diréeror' → Director,
    'Progammer', 'Programuner' → Programmer). Several as near: as read."""
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    vocabulary = _english_vocabulary()
    if len(plain) < 5 or not plain.isalpha() or plain in vocabulary:
        return word
    limit = 2 if len(plain) >= 7 else 1
    distances: dict[float, list[str]] = {}
    for known in vocabulary:
        # two letters more or fewer is another form of a word, not a misread (Broadcast/Broadcaster, Labor/Laborer)
        if abs(len(known) - len(plain)) <= 1:
            # a look-alike pair costs half a letter: 'Prograrnmer' is Programmer before it is Programme
            distance = min(edit_distance(plain, known), edit_distance(_folded(plain), _folded(known)) + 0.5)
            if distance <= limit:
                distances.setdefault(distance, []).append(known)
    near = distances[min(distances)] if distances else []
    if len(near) != 1:
        return word
    return near[0].capitalize() if word[0].isupper() else near[0]


def _repair_latin(title: str) -> str:
    return _ACCENTED_WORD.sub(lambda match: _repair_latin_word(match.group()), title)


def repair_role(title: str, evidence: TitleEvidence | None = None) -> str:
    """A title the roll's layout already set as a role heading, with OCR's misreads undone where the reading is
    close to one title only: stray marks after Hangul ("VEX 슈퍼바이저2]" → "VFX 슈퍼바이저"), a three-letter
    acronym one letter off a role acronym, Hangul one letter off per syllable of a title the lexicon or the
    role taxonomy knows ("그럽텀" → "그립팀"), and one part of a composite title one letter off a title ("촬영·주명"
    → "촬영·조명"). Only for text the layout calls a role: a name is never edited.
    A Hangul title whose read spacing cut it into parts that are no title ("그립 텀": OCR's spaces come from ink
    gaps, and which sighting of a small title wins the vote decides them) is repaired as one word.
    A Hangul word is rewritten only where the recogniser's ``evidence`` supports it (none given: always): a real
    roll prints titles no vocabulary lists, one letter from one it does (각본가/극본가, 기술팀/미술팀), and a title
    read surely with no look or sighting nearer another title is the title printed, whatever the vocabulary
    holds."""
    repaired = _repair_title(title)
    if evidence is not None:  # an unsure Latin word is repaired wider than one letter: the read is in doubt
        widened = _repair_latin(repaired)
        if widened != repaired and evidence.supports(title, widened):
            repaired = widened
    if evidence is None or repaired == title or evidence.supports(title, repaired):
        return repaired
    # read surely: its Hangul words stay as printed; stray marks still go, and a Latin acronym one letter off a
    # role acronym is still that acronym (Tesseract reads VFX 'VEX' surely on every sighting; no title is 'VEX')
    return " ".join(_TRAILING_JUNK.sub("", t) if _HANGUL_RUN.search(t) else _repair_token(t)
                    for t in title.split())


def _repair_title(title: str) -> str:
    tokens = title.split()
    alone = len(tokens) == 1
    repaired = [_repair_composite(_repair_token(t, alone)) for t in tokens]  # a word of one part stays as it is
    joined = "".join(tokens)
    if len(tokens) > 1 and _HANGUL_RUN.fullmatch(joined) and not all(_known_token(t) for t in repaired):
        whole = _repair_token(joined)
        if whole != joined and _known_token(whole):  # a title as printed keeps its spaces ("프로덕션 디자이너")
            return whole
    return " ".join(repaired)


def _known_token(token: str) -> bool:
    """A word a printed title is made of: a title, job words, or a rank ("기사", "실장" in "각본 기사")."""
    return token in _title_vocabulary() or _segments_into_roles(token) or token in _RANKS


# what a roll prints after (or between) its credits that credits no one: copyright and presentation lines
_BOILERPLATE = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all\s+rights\s+reserved|^presented\s+by$|저작권|"
                          r"무단\s*(?:복제|전재)", re.IGNORECASE)


def is_boilerplate(text: str) -> bool:
    """"© 2024 Studio Dragon. All rights reserved.", "Presented by", "저작권은 ...에 있습니다": company
    boilerplate, never a role or a name."""
    return bool(_BOILERPLATE.search(" ".join(normalise(text).split())))
