"""Realistic corruptions of a role title, as OCR and credit designers produce them: Hangul jamo confusions,
Latin look-alikes (l/I/1, rn/m, O/0), dropped or doubled characters, moved spaces, case, stray punctuation and
the abbreviations English credits use ("Asst.", "1st", "Dept."). Seeded: the same title and seed give the same
variants, so a training run is reproducible."""

from __future__ import annotations

import random
import re

from vidsearch.credits.roles.text import compact_key, is_korean, normalise_role_text

_HANGUL_BASE, _HANGUL_LAST = 0xAC00, 0xD7A3
# Jamo indices (initial 19, medial 21, final 28) that Tesseract confuses on small, compressed credit text.
# initial ㄱㅋ ㄷㅌ ㅂㅍ ㅈㅊ ㅇㅎ; medial ㅗㅜ ㅓㅕ ㅏㅓ ㅐㅔ ㅡㅜ ㅣㅡ ㅑㅕ
_INITIAL_SWAPS = {0: 15, 15: 0, 3: 16, 16: 3, 7: 17, 17: 7, 12: 14, 14: 12, 11: 18, 18: 11}
_MEDIAL_SWAPS = {8: 13, 13: 8, 4: 6, 6: 4, 0: 4, 1: 5, 5: 1, 18: 13, 20: 18, 2: 6}
_FINAL_SWAPS = {21: 16, 16: 21, 4: 8, 8: 4, 1: 0, 17: 19, 19: 17}  # ㅇㅁ ㄴㄹ ㄱ→none ㅂㅅ
_LATIN_LOOKALIKES = [("l", "I"), ("I", "l"), ("i", "l"), ("l", "1"), ("O", "0"), ("o", "0"), ("rn", "m"),
                     ("m", "rn"), ("S", "5"), ("B", "8"), ("e", "c"), ("cl", "d"), ("h", "b"), ("u", "v")]
_ABBREVIATIONS = [("Assistant", "Asst."), ("Production", "Prod."), ("Director", "Dir."),
                  ("Supervisor", "Supv."), ("Coordinator", "Coord."), ("First", "1st"), ("Second", "2nd"),
                  ("Third", "3rd"), (" and ", " & "), ("Department", "Dept."), ("Executive", "Exec."),
                  ("Manager", "Mgr."), ("Operator", "Op.")]
_JUNK = ["'", ".", ",", ":", "|", "·", "`", "-"]


def _syllable_swap(char: str, rng: random.Random) -> str:
    code = ord(char) - _HANGUL_BASE
    initial, rest = divmod(code, 21 * 28)
    medial, final = divmod(rest, 28)
    choice = rng.randrange(3)
    if choice == 0 and initial in _INITIAL_SWAPS:
        initial = _INITIAL_SWAPS[initial]
    elif choice == 1 and medial in _MEDIAL_SWAPS:
        medial = _MEDIAL_SWAPS[medial]
    elif final in _FINAL_SWAPS:
        final = _FINAL_SWAPS[final]
    elif medial in _MEDIAL_SWAPS:
        medial = _MEDIAL_SWAPS[medial]
    return chr(_HANGUL_BASE + (initial * 21 + medial) * 28 + final)


def _hangul_positions(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if _HANGUL_BASE <= ord(c) <= _HANGUL_LAST]


def _korean_corruption(text: str, rng: random.Random) -> str:
    positions = _hangul_positions(text)
    # Dropping a syllable of a short title makes another word (조연출 → 조연, "supporting actor"):
    # long titles only.
    kinds = ["jamo", "jamo", "space", "junk"] + (["drop"] if len(positions) > 3 else [])
    kind = rng.choice(kinds)
    if kind == "jamo" and positions:
        i = rng.choice(positions)
        return text[:i] + _syllable_swap(text[i], rng) + text[i + 1:]
    if kind == "space":
        if " " in text:
            return text.replace(" ", "", 1)
        inner = [i for i in positions if i > 0]
        if inner:
            i = rng.choice(inner)
            return text[:i] + " " + text[i:]
    if kind == "drop":
        i = rng.choice(positions[1:-1])
        return text[:i] + text[i + 1:]
    i = rng.randrange(1, len(text)) if len(text) > 1 else 1
    return text[:i] + rng.choice(_JUNK) + text[i:]


def _latin_corruption(text: str, rng: random.Random) -> str:
    kind = rng.choice(["case", "lookalike", "lookalike", "abbreviation", "space", "drop", "junk"])
    if kind == "case":
        return rng.choice([text.upper(), text.lower(), text.title()])
    if kind == "lookalike":
        options = [(a, b) for a, b in _LATIN_LOOKALIKES if a in text]
        if options:
            a, b = rng.choice(options)
            starts = [m.start() for m in re.finditer(re.escape(a), text)]
            i = rng.choice(starts)
            return text[:i] + b + text[i + len(a):]
    if kind == "abbreviation":
        options = [(a, b) for a, b in _ABBREVIATIONS if a in text]
        if options:
            a, b = rng.choice(options)
            return text.replace(a, b, 1)
        if len(text) <= 4 and text.isupper():
            return ".".join(text) + "."
    if kind == "space" and " " in text:
        return text.replace(" ", "", 1)
    if kind == "drop" and len(text) > 4:
        i = rng.randrange(1, len(text) - 1)
        return text[:i] + text[i + 1:]
    i = rng.randrange(1, len(text)) if len(text) > 1 else 1
    return text[:i] + rng.choice(_JUNK) + text[i:]


def corrupt(text: str, rng: random.Random, second_chance: float = 0.3) -> str:
    """One corruption of ``text`` (Korean rules for Hangul titles, Latin rules otherwise), and with
    probability ``second_chance`` another."""
    corruption = _korean_corruption if is_korean(text) else _latin_corruption
    out = corruption(text, rng)
    if rng.random() < second_chance:
        out = corruption(out, rng)
    return out


def noisy_variants(text: str, count: int, seed: int, second_chance: float = 0.3) -> list[str]:
    """Up to ``count`` distinct corrupted forms of ``text``, none equal to it after normalisation."""
    rng = random.Random(f"{seed}:{text}")
    key = compact_key(text)
    seen: set[str] = set()
    variants: list[str] = []
    for _ in range(count * 6):
        if len(variants) >= count:
            break
        variant = normalise_role_text(corrupt(text, rng, second_chance))
        if variant and variant != text and variant not in seen and compact_key(variant) != "":
            seen.add(variant)
            variants.append(variant)
    if not variants and key:
        variants.append(text.upper() if text.upper() != text else text.lower())
    return [v for v in variants if v != text]
