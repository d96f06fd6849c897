"""Role-title text as it comes off a credit roll: normalised before encoding, keyed for de-duplication.

Korean end credits letter-space short titles ("연   출", "촬 영 감 독") and decorate them with separators
("촬영감독 :", "| 편집"); an encoder sees those as different words, so both the index and the queries pass
through :func:`normalise_role_text` first.
"""

from __future__ import annotations

import re
import unicodedata

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_EDGE_JUNK = re.compile(r"^[\s:;|·•\-–—_.,*#/\\~=>\[\](){}'\"`]+|[\s:;|·•\-–—_.,*#/\\~=<\[\](){}'\"`]+$")
_SPACES = re.compile(r"\s+")
# Two or more single Hangul syllables separated by spaces: "촬 영 감 독" → "촬영감독".
_LETTER_SPACED = re.compile(r"(?<![\uac00-\ud7a3])[\uac00-\ud7a3](?:\s+[\uac00-\ud7a3](?![\uac00-\ud7a3]))+")
_KEY_DROP = re.compile(r"[\W_]+", re.UNICODE)
# Separator residue inside a Korean title ("촬영|감독", "해,어"): Korean titles carry no inner punctuation.
_INNER_JUNK = re.compile(r"(?<=[\uac00-\ud7a3])\s*[,.:;|·•`'\-_]+\s*(?=[\uac00-\ud7a3])")


def is_korean(text: str) -> bool:
    """Korean when the title contains Hangul; "PD" or "CG" on a Korean roll count as Latin script."""
    return bool(_HANGUL.search(text))


def language_of(text: str) -> str:
    return "ko" if is_korean(text) else "en"


def _join_letter_spacing(text: str) -> str:
    return _LETTER_SPACED.sub(lambda m: _SPACES.sub("", m.group(0)), text)


def normalise_role_text(text: str) -> str:
    """NFKC; separators at the edges and inside Hangul removed; whitespace collapsed; letter-spaced Hangul
    joined."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text).strip()
    text = _EDGE_JUNK.sub("", text)
    text = _INNER_JUNK.sub(" ", text)
    return _join_letter_spacing(text)


def compact_key(text: str) -> str:
    """Spacing-, case- and punctuation-free key: "촬영 감독" and "촬영감독", "D.O.P." and "dop" share one.

    Titles that share a key are one *family*: they are trained on, or held out, together.
    """
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", text).casefold())


def hangul_jamo(text: str) -> str:
    """Hangul syllables spelled out as their conjoining jamo (촬 → ᄎ ᅪ ᆯ); other characters unchanged.

    OCR confuses syllables that share most of their strokes (촬/촐, 영/염): one jamo apart, a whole syllable
    apart if compared as characters."""
    out = []
    for char in text:
        code = ord(char) - 0xAC00
        if 0 <= code <= 11171:
            initial, rest = divmod(code, 588)
            medial, final = divmod(rest, 28)
            out.append(chr(0x1100 + initial) + chr(0x1161 + medial) + (chr(0x11A7 + final) if final else ""))
        else:
            out.append(char)
    return "".join(out)
