"""Cleaning OCR'd credit text: separators, spacing, and the confusions Tesseract makes on credit lines.

A credit line carries structure in its punctuation: a dot leader or a slash splits role from names ("Role ......
Name", "촬영 / 김민수"), middle dots and commas split names ("김민수 · 이영희"). ``split_fields`` keeps that
structure; ``clean_text`` removes decoration and normalises what is left.
"""

from __future__ import annotations

import re
import unicodedata

HANGUL = "\uac00-\ud7a3"
_LEADER = re.compile(r"\s*(?:[.·•…_\-~]\s*){3,}\s*")  # a run of dots/dashes: role ...... name
# what Tesseract makes of a leader it cannot see as dots: "e e e e °", "o · e ·" — three or more tiny tokens
_LEADER_NOISE = re.compile(r"(?:(?<=\s)|^)(?:[.,·•°'`~+*_\-eocs]{1,2}\s+){2,}[.,·•°'`~+*_\-eocs]{1,2}(?=\s|$)")
_BARE_SLASH = re.compile(rf"(?<=[{HANGUL}A-Za-z)])/(?=[{HANGUL}])|(?<=[{HANGUL}])/(?=[A-Za-z(])")
_FIELD_SEPARATOR = re.compile(r"\s+[/|:：]\s+|\s*[|｜]\s*|\s*[:：]\s+|\s+/\s*|\s*/\s+")
# ... and "and" / "&" set between two names on one line ("A, B and C", "A & B"; Tesseract may drop the space
# before "&" or read it "8" between Hangul words); "E&A" inside a company, with no space, stays
_NAME_SEPARATOR = re.compile(r"\s*[,，、;]\s*|\s+[·•・∙ㆍ]\s*|\s*[·•・∙ㆍ]\s+|\s+[/|]\s+|\s+and\s+|\s*&\s+|\s+&\s*"
                             rf"|(?<=[{HANGUL}])\s+8\s+(?=[{HANGUL}])")
_DECORATION = re.compile(r"^[\s.,·•:;|/\\\-_~'\"`#*<>\[\](){}]+|[\s.,·•:;|/\\\-_~'\"`#*<>\[\](){}]+$")
_SPACES = re.compile(r"\s+")
# a tight middle dot inside a Hangul name is often read as ":" or "-" ("윌리엄:로언"); Hangul names carry neither
_TIGHT_DOT_MISREAD = re.compile(rf"(?<=[{HANGUL}])[:\-](?=[{HANGUL}])")
_WIDE_GAP = re.compile(r" {2,}")
# single letters Tesseract reads for a separator standing alone between Hangul words ("김민수 l 이영희")
_LONE_BAR = re.compile(rf"(?<=[{HANGUL}])\s+[lI1|]\s+(?=[{HANGUL}])")
_LATIN_DIGIT = re.compile(r"(?<=[A-Za-z])[01](?=[A-Za-z])")
# a descending capital J in serif faces (Myeongjo) is read as "]" by kor and eng alike ("KPJ" → "KP]", which
# decoration stripping then cut to "KP"): a closing bracket glued to a Latin word that opened none is that J
_BRACKET_J = re.compile(r"(?<![^\s(])([^\s\[\]]*[A-Za-z])\](?=[\s,·/|]|$)")
_HANGUL_SPLIT = re.compile(rf"(?<![{HANGUL}])([{HANGUL}])((?:\s[{HANGUL}]){{1,3}})(?![{HANGUL}])")
_PUNCT = {"‧": "·", "⋅": "·", "•": "·", "・": "·", "ㆍ": "·", "–": "-", "—": "-", "―": "-", "‥": "..",
          "…": "...", "／": "/", "｜": "|", "：": ":", "，": ","}


def normalise(text: str) -> str:
    """NFC, unified punctuation, single spaces; the separator confusions fixed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(_PUNCT.get(ch, ch) for ch in text)
    text = _WIDE_GAP.sub(" · ", text.strip())  # names set apart by a wide gap, as join_words marks them
    text = _SPACES.sub(" ", text).strip()
    text = _LONE_BAR.sub(" | ", text)
    text = _LATIN_DIGIT.sub(lambda m: "o" if m.group() == "0" else "l", text)
    text = _BRACKET_J.sub(lambda m: m.group(1) + ("j" if m.group(1)[-1].islower() else "J"), text)
    # "김 민 수" (one name read syllable by syllable) → "김민수"
    text = _HANGUL_SPLIT.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), text)
    return text


def strip_decoration(text: str) -> str:
    """Marks around the text gone; a bracket that closes (or opens) one inside it stays: "Editor (News)", "(주)미디어"."""
    out = _DECORATION.sub("", text).strip()
    if not out:
        return out
    start = text.find(out)
    if out.count("(") > out.count(")") and ")" in text[start + len(out):]:
        out += ")"
    if out.count(")") > out.count("(") and "(" in text[:start]:
        out = "(" + out
    return out


def split_fields(text: str) -> list[str]:
    """Role/name fields of one line, split at dot leaders, slashes, bars and colons. A slash touching Hangul
    separates even without spaces ("극본/송창의"); between Latin words it stays ("Hair/Makeup")."""
    text = _BARE_SLASH.sub(" / ", normalise(text))
    text = _LEADER_NOISE.sub(" ....... ", text)
    parts = [strip_decoration(p) for p in _FIELD_SEPARATOR.split(_LEADER.sub(" | ", text))]
    return [p for p in parts if p]


def split_names(text: str) -> list[str]:
    """Names in one field, split where the roll sets them apart — commas, spaced middle dots, slashes and the
    wide gaps ``join_words`` marks — never at a single space: "쥬세페 토르나토레", "Michael Beugg" and "CJ ENM"
    are one credit each. A middle dot set tight inside a name ("윌리엄·셰익스피어") is part of it. Spacing inside a
    name stays as read; no name is edited towards a lexicon."""
    text = _TIGHT_DOT_MISREAD.sub("·", normalise(text))
    names: list[str] = []
    for part in _NAME_SEPARATOR.split(text):
        part = strip_decoration(part)
        if part:
            names.append(part)
    return names


def clean_text(text: str) -> str:
    """The words of a line without decoration: what search indexes and what CER is measured on."""
    fields = split_fields(text)
    return " ".join(" ".join(split_names(f)) for f in fields)


def letter_share(text: str) -> float:
    """Share of non-space characters that are Hangul syllables or Latin letters."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if ("\uac00" <= c <= "\ud7a3") or c.isascii() and c.isalpha()) / len(chars)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
