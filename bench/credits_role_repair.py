"""How often the role-title repair rewrites a title printed right but missing from its vocabulary, and how often it
undoes a one-letter misread of a listed title — leave-one-out over the repair vocabulary (dev data only).

A real roll prints titles the vocabulary lacks (a film's own job words). ``lexicon.repair_role`` edits a title the
layout set as a role toward a vocabulary title one letter away, so an unlisted title one letter from a listed one is
rewritten and every name under it is credited to the wrong role — the names all read right, the pairs wrong. This
bench takes each vocabulary title out of the vocabulary in turn and asks whether the repair leaves it as printed
("false repairs"), for single words (two syllables; three or more), the same titles printed with a space, and each
as the odd part of a composite ("촬영·X"); and, with the whole vocabulary, whether a seeded one-vowel misread of
each title is repaired back ("true repairs").

    PYTHONPATH=$PWD python bench/credits_role_repair.py [--ref DIR] [--out FILE]

``--ref DIR`` runs the same measure on another checkout (e.g. ``git archive <commit> | tar -x -C DIR``) in a
subprocess and prints both side by side.

The figures above feed the repair text and no evidence. ``--ocr N`` also draws N vocabulary titles (seeded), renders
each alone and as the odd part of 촬영·X as three sightings of a roll line (type face, size and blur drawn per title;
each sighting scaled, shifted and noised on its own), reads them with this checkout's Tesseract path
(``read_sightings``: second looks, votes) and feeds each checkout's ``repair_role`` the real reading with what the
recogniser said of it (word confidences; whether looks and sightings agreed): titles read right and rewritten
(leave-one-out, as above), misreads repaired back to the print and misreads rewritten into another title (whole
vocabulary). The readings are cached in ``--work`` and shared by both checkouts; this checkout also prints the
measure for other confidence thresholds (``lexicon.SURE_TITLE``). ``--latin N`` (with ``--ocr``) also reads N
English titles the taxonomy lists, drawn with their own seed (the Hangul draws stay as they were), and reports them
apart (``ocr_latin_*``); leave-one-out there takes out the title's words the layout lexicon lacks. Each title's
crop (the sighting its reading came from) is also read again by this checkout's ``reading.reread`` (real
Tesseract, cached as ``*_rereads.json``): what the pipeline asks before rewriting a sure read; a checkout
without re-reads ignores them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_VOWELS = 21


def _mutate_vowel(title: str, rng: random.Random) -> str:
    k = rng.randrange(len(title))
    index = ord(title[k]) - 0xAC00
    initial, vowel, final = index // 588, index % 588 // 28, index % 28
    other = rng.choice([v for v in range(_VOWELS) if v != vowel])
    return title[:k] + chr(0xAC00 + initial * 588 + other * 28 + final) + title[k + 1:]


_LOOKS = (("NanumGothic.ttf", 14, 0.8), ("NanumGothic.ttf", 11, 0.0), ("NanumMyeongjo.ttf", 14, 0.8),
          ("NanumGothicBold.ttf", 12, 0.6), ("NanumGothic.ttf", 20, 0.0), ("NanumMyeongjoBold.ttf", 13, 0.5))


def _sightings(text: str, look: tuple[str, int, float], rng: random.Random) -> list:
    """Three sightings of one roll line: drawn at 32 px, each brought down to the look's size scaled by up to 6 %,
    shifted by a pixel or two, blurred and noised on its own."""
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from testkit.credits.spec import NANUM_DIR

    face = ImageFont.truetype(str(NANUM_DIR / look[0]), 32)
    image = Image.new("RGB", (int(face.getlength(text)) + 40, 58), (0, 0, 0))
    ImageDraw.Draw(image).text((20, 43), text, font=face, fill=(255, 255, 255), anchor="ls")
    drawn = np.asarray(image)[:, :, ::-1]
    out = []
    for scale in (1.0, 0.94, 1.06):
        factor = look[1] / 32 * scale
        shifted = np.roll(drawn, rng.randrange(3), axis=1)
        small = cv2.resize(shifted, (int(drawn.shape[1] * factor), int(drawn.shape[0] * factor)),
                           interpolation=cv2.INTER_AREA).astype(np.float32)
        if look[2]:
            small = cv2.GaussianBlur(small, (3, 3), look[2])
        small += np.random.default_rng(rng.randrange(1 << 30)).normal(0, 8, small.shape)
        out.append(np.clip(small, 0, 255).astype(np.uint8))
    return out


def read_titles(count: int, work: Path) -> list[dict]:
    """``count`` vocabulary titles, alone and as 촬영·X, read off rendered sightings by this checkout (cached)."""
    from vidsearch.credits import lexicon
    from vidsearch.ocr.reading import read_sightings
    from vidsearch.ocr.tesseract import TesseractEngine

    titles = sorted(t for t in lexicon._title_vocabulary() if lexicon._HANGUL_RUN.fullmatch(t))
    rng = random.Random(19)
    drawn = rng.sample(titles, min(count, len(titles)))
    cache = work / f"role_repair_reads_{len(drawn)}_{len(titles)}.json"
    items = [(title, printed, _LOOKS[rng.randrange(len(_LOOKS))])
             for title in drawn for printed in (title, f"촬영·{title}")]
    sightings = [_sightings(printed, look, rng) for _, printed, look in items]
    if cache.exists():
        rows = json.loads(cache.read_text(encoding="utf-8"))
    else:
        reads = read_sightings(TesseractEngine(), sightings)
        rows = [{"title": title, "printed": printed, "look": list(look), "read": line.text, "sighting": k,
                 "confidence": min((w.confidence for w in line.words), default=line.confidence),
                 "readings": list(line.readings)} for (title, printed, look), (line, k) in zip(items, reads)]
        work.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return _with_rereads(rows, sightings, cache.with_name(cache.stem + "_rereads.json"))


def _with_rereads(rows: list[dict], sightings: list[list], cache: Path) -> list[dict]:
    """Each row with ``rereads``: the crop its reading came from (the first sighting in caches made before the
    sighting was kept) read again by this checkout's ``reading.reread`` — real Tesseract on the rendered crop,
    what the pipeline asks for a sure read a repair would change (cached; older checkouts have none)."""
    try:
        from vidsearch.ocr.reading import reread
    except ImportError:  # a checkout from before re-reads: its rows are read without them
        return rows
    from vidsearch.ocr.tesseract import TesseractEngine

    if cache.exists():
        texts = json.loads(cache.read_text(encoding="utf-8"))
    else:
        texts = [list(t) for t in reread(TesseractEngine(), [s[r.get("sighting", 0)] for r, s in zip(rows, sightings)])]
        cache.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    return [{**row, "rereads": again} for row, again in zip(rows, texts)]


def _latin_titles() -> list[str]:
    """Every English title the role taxonomy lists (EBU labels, ``en_roles.tsv`` titles and variants), as printed."""
    from vidsearch.credits import lexicon

    data = lexicon._TITLES_FILE.parent
    with (data / "ebu_RoleCodeCS.tsv").open(encoding="utf-8") as fh:
        titles = {line.rstrip("\n").split("\t")[-1] for line in fh if line[:1].isdigit()}
    with (data / "en_roles.tsv").open(encoding="utf-8") as fh:
        titles |= {t for line in fh if not line.startswith("#") and "\t" in line
                   for t in line.rstrip("\n").split("\t", 1)[1].replace("\t", "|").split("|")}
    return sorted(t for t in titles if t and t == t.strip() and not t.isupper() and re.fullmatch(r"[A-Za-z .&'-]+", t))


def read_latin_titles(count: int, work: Path) -> list[dict]:
    """``count`` English titles the taxonomy lists, each read off three rendered sightings alone (cached); drawn
    with their own seed, so the Hangul draws of ``read_titles`` stay as they were."""
    from vidsearch.ocr.reading import read_sightings
    from vidsearch.ocr.tesseract import TesseractEngine

    titles = _latin_titles()
    rng = random.Random(20)
    drawn = rng.sample(titles, min(count, len(titles)))
    cache = work / f"role_repair_latin_reads_{len(drawn)}_{len(titles)}.json"
    items = [(title, _LOOKS[rng.randrange(len(_LOOKS))]) for title in drawn]
    sightings = [_sightings(title, look, rng) for title, look in items]
    if cache.exists():
        rows = json.loads(cache.read_text(encoding="utf-8"))
    else:
        reads = read_sightings(TesseractEngine(), sightings)
        rows = [{"title": title, "printed": title, "look": list(look), "read": line.text, "latin": True,
                 "sighting": k, "confidence": min((w.confidence for w in line.words), default=line.confidence),
                 "readings": list(line.readings)} for (title, look), (line, k) in zip(items, reads)]
        work.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return _with_rereads(rows, sightings, cache.with_name(cache.stem + "_rereads.json"))


def measure_reads(rows: list[dict], thresholds: tuple[float, ...] = ()) -> dict:
    """Real readings through this process's ``repair_role``, with what the recogniser said where it listens."""
    from vidsearch.credits import lexicon
    from vidsearch.credits.cleanup import normalise, strip_decoration

    full, words = lexicon._title_vocabulary(), lexicon._korean_role_vocabulary()
    real = lexicon._title_vocabulary, lexicon._korean_role_vocabulary
    english = getattr(lexicon, "_english_vocabulary", None)  # Latin repair toward listed titles' words (stop 19)
    evidence_type = getattr(lexicon, "TitleEvidence", None)

    def repair(row: dict) -> str:
        """What the layout stores for a title read so: ``clean_role`` (its own corrections), then ``repair_role``."""
        text = row["read"]
        if evidence_type is None:
            return lexicon.repair_role(lexicon.clean_role(text))
        said = evidence_type(row["confidence"], (tuple(row["readings"]),) if row["readings"] else ())
        if "rereads" in row and hasattr(said, "rereads"):  # the crop read again, asked only where the read is sure
            said = evidence_type(said.confidence, said.readings, (lambda texts=tuple(row["rereads"]): texts,))
        printed, corrected = lexicon.clean_role(text, correct=False), lexicon.clean_role(text)
        return lexicon.repair_role(corrected if said.supports(printed, corrected) else printed, said)

    def compact(text: str) -> str:
        return re.sub(r"\s*[·ㆍ:\-.•]\s*", "·", text).replace(" ", "")

    def as_read(row: dict) -> str:
        return compact(" ".join(strip_decoration(normalise(row["read"])).split()))

    def figures(rows: list[dict]) -> dict:
        right = [r for r in rows if as_read(r) == compact(r["printed"])]
        wrong = [r for r in rows if as_read(r) != compact(r["printed"]) and r["read"].strip()]
        false = []
        try:
            for row in right:  # the title is one the vocabulary lacks (and so is it as a layout role word)
                if row.get("latin"):  # its words the layout lexicon lacks are words no listed title has
                    unlisted = {w.lower() for w in re.findall(r"[A-Za-z]+", row["title"])} - lexicon.ENGLISH_ROLE_WORDS
                    lexicon._english_vocabulary = lambda u=frozenset(unlisted): english() - u
                else:
                    lexicon._title_vocabulary = lambda t=row["title"]: full - {t}
                    lexicon._korean_role_vocabulary = lambda t=row["title"]: {
                        n: tuple(w for w in ws if w != t) for n, ws in words.items()}
                if compact(out := repair(row)) != compact(row["printed"]):
                    false.append((row["printed"], out))
                lexicon._title_vocabulary, lexicon._korean_role_vocabulary = real
                if english is not None:
                    lexicon._english_vocabulary = english
        finally:
            lexicon._title_vocabulary, lexicon._korean_role_vocabulary = real
            if english is not None:
                lexicon._english_vocabulary = english
        outs = [(row, repair(row)) for row in wrong]
        back = [(r["read"], o) for r, o in outs if compact(o) == compact(r["printed"])]
        elsewhere = [(r["printed"], r["read"], o) for r, o in outs
                     if compact(o) != compact(r["printed"]) and compact(o) != as_read(r)]
        return {"read_right": len(right), "read_wrong": len(wrong),
                "false_rewrites": {"rewritten": len(false), "titles": len(right),
                                   "rate": round(len(false) / max(len(right), 1), 4), "examples": false[:12]},
                "misreads_repaired": {"repaired": len(back), "misreads": len(wrong),
                                      "rate": round(len(back) / max(len(wrong), 1), 4), "examples": back[:12]},
                "misreads_rewritten_elsewhere": {"rewritten": len(elsewhere), "misreads": len(wrong),
                                                 "rate": round(len(elsewhere) / max(len(wrong), 1), 4),
                                                 "examples": elsewhere[:12]}}

    hangul, latin = [r for r in rows if not r.get("latin")], [r for r in rows if r.get("latin")]
    result = {"ocr": figures(hangul)}
    if latin:
        result["ocr_latin"] = figures(latin)
    if evidence_type is not None and thresholds:
        chosen = lexicon.SURE_TITLE
        try:
            for threshold in thresholds:
                lexicon.SURE_TITLE = threshold
                row = figures(hangul)
                result[f"sure_{threshold:.2f}"] = {k: row[k]["rate"] for k in
                                                   ("false_rewrites", "misreads_repaired",
                                                    "misreads_rewritten_elsewhere")}
        finally:
            lexicon.SURE_TITLE = chosen
    return result


def measure() -> dict:
    """The figures for the checkout this process imports ``vidsearch`` from."""
    from vidsearch.credits import lexicon

    full = lexicon._title_vocabulary()
    titles = sorted(t for t in full if lexicon._HANGUL_RUN.fullmatch(t))
    real = lexicon._title_vocabulary
    kinds: dict[str, list[tuple[str, str]]] = {"two_syllables": [], "three_or_more": [], "spaced": [],
                                               "composite_part": []}
    try:
        for title in titles:
            lexicon._title_vocabulary = lambda t=title: full - {t}  # the title is one the vocabulary lacks
            kind = "two_syllables" if len(title) == 2 else "three_or_more"
            kinds[kind].append((title, lexicon.repair_role(title)))
            if len(title) >= 4:
                spaced = f"{title[:2]} {title[2:]}"
                kinds["spaced"].append((spaced, lexicon.repair_role(spaced)))
            composite = f"촬영·{title}"
            kinds["composite_part"].append((composite, lexicon.repair_role(composite)))
    finally:
        lexicon._title_vocabulary = real
    rng = random.Random(18)
    misreads = [(title, _mutate_vowel(title, rng)) for title in titles]
    misreads = [(t, m) for t, m in misreads if m not in full]
    repaired = sum(lexicon.repair_role(m) == t for t, m in misreads)
    result = {"vocabulary": len(full)}
    for kind, pairs in kinds.items():
        wrong = [(printed, out) for printed, out in pairs if out != printed]
        result[f"false_repairs_{kind}"] = {"titles": len(pairs), "rewritten": len(wrong),
                                           "rate": round(len(wrong) / max(len(pairs), 1), 4),
                                           "examples": wrong[:12]}
    result["true_repairs_one_vowel"] = {"misreads": len(misreads), "repaired": repaired,
                                        "rate": round(repaired / max(len(misreads), 1), 4)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, default=None, help="another checkout to measure beside this one")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--ocr", type=int, default=0, metavar="N",
                        help="also read N drawn titles off rendered sightings with Tesseract (cached in --work)")
    parser.add_argument("--latin", type=int, default=0, metavar="N",
                        help="with --ocr: also read N English titles the taxonomy lists (figures apart: ocr_latin_*)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/vidsearch-role-repair"))
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the --ref subprocess
    parser.add_argument("--reads", type=Path, default=None, help=argparse.SUPPRESS)  # readings for --ref
    args = parser.parse_args()
    here = measure()
    reads_file = args.reads
    if args.ocr and reads_file is None:
        rows = read_titles(args.ocr, args.work) + (read_latin_titles(args.latin, args.work) if args.latin else [])
        reads_file = args.work / "role_repair_reads_current.json"
        reads_file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    if reads_file is not None:
        rows = json.loads(reads_file.read_text(encoding="utf-8"))
        here.update(measure_reads(rows, () if args.json else (0.0, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01)))
    if args.json:
        print(json.dumps(here, ensure_ascii=False))
        return
    runs = {"this checkout": here}
    if args.ref:
        env = {**os.environ, "PYTHONPATH": str(args.ref.resolve())}
        extra = ["--reads", str(reads_file.resolve())] if reads_file is not None else []
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json", *extra], env=env,
                              cwd=args.ref, capture_output=True, text=True, check=True)
        runs = {f"ref {args.ref}": json.loads(done.stdout), **runs}
    print(f"{'measure':34s}" + "".join(f"{name[-26:]:>28s}" for name in runs))

    def rows_of(run: dict) -> dict:
        flat = {k: v for k, v in run.items() if k.startswith(("false_", "true_"))}
        for part in ("ocr", "ocr_latin"):
            flat.update({f"{part}_{k}": v for k, v in run.get(part, {}).items() if isinstance(v, dict)})
        return flat

    for key in rows_of(here):
        cells = []
        for run in runs.values():
            row = rows_of(run).get(key, {})
            count = row.get("rewritten", row.get("repaired", 0))
            total = row.get("titles", row.get("misreads", 0))
            cells.append(f"{count}/{total} ({row.get('rate', 0):.3f})")
        print(f"{key:34s}" + "".join(f"{c:>28s}" for c in cells))
    if "ocr" in here:
        print(f"read right / wrong: {here['ocr']['read_right']} / {here['ocr']['read_wrong']}")
        for key, row in here.items():
            if key.startswith("sure_"):
                print(f"  this checkout, {key}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    for name, run in runs.items():
        for key, row in rows_of(run).items():
            if (key.startswith(("false_", "ocr_false", "ocr_misreads", "ocr_latin"))) and row["examples"]:
                print(f"  {name[-26:]} {key}: " + ", ".join("→".join(x) for x in row["examples"][:8]))
    if args.out:
        args.out.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
