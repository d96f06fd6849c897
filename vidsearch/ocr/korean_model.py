"""Tesseract's Korean model, taught to spell the KS X 1001 syllables its network can already write.

Debian's ``kor.traineddata`` lists only 1,076 Hangul syllables in its LSTM charset, so 옌, 섀, 뮈, 캥, 윅 and 웍
can never be output, whatever the picture. Its network, though, emits *jamo* codes: the recoder spells every
syllable as leading consonant, vowel and optional trailing consonant. A syllable whose three jamo all occur in
syllables the charset already has adds no code — the network's output layer stays exactly as trained — so adding
it to the charset needs no training, only a rebuilt recoder. This module builds that model (``korx``) once per
source model, into a cache folder, with Tesseract's own tools (``combine_tessdata``, ``combine_lang_model``).

Two guards keep a model the network was not trained for from ever being used: the recoder rebuilt from the
unmodified charset must equal Debian's byte for byte (the tools encode as the model's trainer did), and the
extended recoder must have the same number of codes. Otherwise plain ``kor`` is used, with a warning.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from vidsearch.errors import VidsearchError

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "kor"
EXTENDED_LANGUAGE = "korx"
RECIPE_VERSION = "1"  # part of the cache key: a change to how the model is built never reuses an old one
_FIRST_SYLLABLE, _LAST_SYLLABLE = 0xAC00, 0xD7A3
_CHARSET_SIZE = re.compile(r"\.charset_size=(\d+)\.txt$")


class ModelBuildRefused(VidsearchError):
    """The extended model could not be built, or would not match the network it is built around."""

    status = 500
    title = "Korean OCR model not extended"


def jamo(syllable: str) -> tuple[int, int, int]:
    """(leading, vowel, trailing) jamo indices of a precomposed Hangul syllable; trailing 0 means none."""
    s = ord(syllable) - _FIRST_SYLLABLE
    return s // 588, (s % 588) // 28, s % 28


def _is_syllable(text: str) -> bool:
    return len(text) == 1 and _FIRST_SYLLABLE <= ord(text) <= _LAST_SYLLABLE


def ks_x_1001_syllables() -> list[str]:
    """The 2,350 syllables of Korea's standard character set (those EUC-KR encodes in two bytes)."""
    out = []
    for code in range(_FIRST_SYLLABLE, _LAST_SYLLABLE + 1):
        try:
            if len(chr(code).encode("euc-kr")) == 2:
                out.append(chr(code))
        except UnicodeEncodeError:
            continue
    return out


@dataclass(frozen=True)
class CharsetExtension:
    text: str           # the new unicharset file
    added: list[str]    # syllables appended, in id order
    skipped: list[str]  # KS X 1001 syllables left out: one of their jamo is never written by the network


def extend_unicharset(unicharset: str, candidates: Iterable[str] | None = None) -> CharsetExtension:
    """Append every candidate syllable absent from ``unicharset`` whose jamo all occur in syllables it has.

    Existing ids are unchanged (the word dictionaries and the network refer to them by id)."""
    lines = unicharset.splitlines()
    try:
        count = int(lines[0].split()[0])
    except (IndexError, ValueError):
        raise ModelBuildRefused("the lstm-unicharset has no symbol count on its first line") from None
    entries = lines[1:1 + count]
    if len(entries) != count:
        raise ModelBuildRefused(f"the lstm-unicharset announces {count} symbols but lists {len(entries)}")
    present = {entry.split(" ", 1)[0] for entry in entries}
    known = [jamo(c) for c in present if _is_syllable(c)]
    if not known:
        raise ModelBuildRefused("the lstm-unicharset holds no Hangul syllable: not a Korean model")
    leading, vowels, trailing = ({k[i] for k in known} for i in range(3))
    added, skipped = [], []
    for c in candidates if candidates is not None else ks_x_1001_syllables():
        if c in present or not _is_syllable(c):
            continue
        lead, vowel, trail = jamo(c)
        (added if lead in leading and vowel in vowels and trail in trailing else skipped).append(c)
    new_lines = [str(count + len(added)), *entries]
    for offset, c in enumerate(added):
        i = count + offset
        new_lines.append(f"{c} 1 0,255,0,255,0,0,0,0,0,0 Hangul {i} 0 {i} {c}\t# {c} [{ord(c):x} ]x")
    return CharsetExtension("\n".join(new_lines) + "\n", added, skipped)


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise ModelBuildRefused(f"{name} not found (it comes with the tesseract-ocr package)")
    return exe


def _run(cmd: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise ModelBuildRefused(f"{Path(cmd[0]).name} timed out") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise ModelBuildRefused(f"{Path(cmd[0]).name} failed: {tail[0]}")
    return proc.stdout + proc.stderr


def _recoder(unicharset: Path, work: Path) -> tuple[Path, Path, int]:
    """(lstm-unicharset, lstm-recoder, number of codes) that ``combine_lang_model`` builds for ``unicharset``."""
    scripts = work / "scripts"
    scripts.mkdir(exist_ok=True)
    # combine_lang_model refuses an empty file; Korean has no Han radicals to describe
    (scripts / "radical-stroke.txt").write_text("# no Han in this model\n")
    out = work / "lang"
    (out / SOURCE_LANGUAGE).mkdir(parents=True, exist_ok=True)
    _run([_tool("combine_lang_model"), "--input_unicharset", str(unicharset), "--script_dir", str(scripts),
          "--lang", SOURCE_LANGUAGE, "--output_dir", str(out)], work)
    built = out / SOURCE_LANGUAGE
    sizes = [int(m.group(1)) for p in built.iterdir() if (m := _CHARSET_SIZE.search(p.name))]
    if len(sizes) != 1:
        raise ModelBuildRefused("combine_lang_model wrote no charset size")
    _run([_tool("combine_tessdata"), "-u", str(built / f"{SOURCE_LANGUAGE}.traineddata"), str(built / "x.")], work)
    return built / "x.lstm-unicharset", built / "x.lstm-recoder", sizes[0]


def build_extended_model(source: Path, target: Path,
                         extend: Callable[[str], CharsetExtension] = extend_unicharset) -> CharsetExtension:
    """Write ``target`` (korx.traineddata): ``source`` with the charset ``extend`` makes and its recoder."""
    with tempfile.TemporaryDirectory(prefix="vidsearch-korx-") as tmp:
        work = Path(tmp)
        _run([_tool("combine_tessdata"), "-u", str(source), str(work / "src.")], work)
        old_charset, old_recoder = work / "src.lstm-unicharset", work / "src.lstm-recoder"
        if not old_charset.is_file() or not old_recoder.is_file():
            raise ModelBuildRefused(f"{source} has no LSTM charset/recoder (a legacy-only model)")
        again = work / "again"
        again.mkdir()
        _, rebuilt_recoder, old_size = _recoder(old_charset, again)
        if rebuilt_recoder.read_bytes() != old_recoder.read_bytes():
            raise ModelBuildRefused("this combine_lang_model does not rebuild the model's own recoder; the network's "
                                    "codes could not be trusted")
        extension = extend(old_charset.read_text(encoding="utf-8"))
        new_charset = work / "new.unicharset"
        new_charset.write_text(extension.text, encoding="utf-8")
        extended = work / "extended"
        extended.mkdir()
        charset, recoder, size = _recoder(new_charset, extended)
        if size != old_size:
            raise ModelBuildRefused(f"the extended charset needs {size} network codes, the model has {old_size}")
        model = work / f"{EXTENDED_LANGUAGE}.traineddata"
        shutil.copyfile(source, model)
        shutil.copyfile(charset, work / f"{EXTENDED_LANGUAGE}.lstm-unicharset")
        shutil.copyfile(recoder, work / f"{EXTENDED_LANGUAGE}.lstm-recoder")
        _run([_tool("combine_tessdata"), "-o", str(model), f"{EXTENDED_LANGUAGE}.lstm-unicharset",
              f"{EXTENDED_LANGUAGE}.lstm-recoder"], work)
        shutil.copyfile(model, target)
    return extension


def _digest(path: Path) -> str:
    h = hashlib.sha256(RECIPE_VERSION.encode())
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def extended_tessdata(source_dir: Path, cache_dir: Path, languages: Iterable[str]) -> Path:
    """A tessdata folder holding ``korx`` (built once, keyed by the source model's hash) beside links to the
    source folder's other ``languages`` and its configs. Concurrent callers wait on a file lock; the folder
    appears whole (built aside, then renamed)."""
    source = source_dir / f"{SOURCE_LANGUAGE}.traineddata"
    if not source.is_file():
        raise ModelBuildRefused(f"no {source}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    folder = cache_dir / f"{EXTENDED_LANGUAGE}-{_digest(source)}"
    wanted = [lang for lang in languages if lang != EXTENDED_LANGUAGE]
    if not (folder / f"{EXTENDED_LANGUAGE}.traineddata").is_file():
        with (cache_dir / ".build.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / f"{EXTENDED_LANGUAGE}.traineddata").is_file():
                staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache_dir))
                try:
                    extension = build_extended_model(source, staging / f"{EXTENDED_LANGUAGE}.traineddata")
                    os.rename(staging, folder)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                log.info("built %s in %s: %d syllables added, %d left out (a jamo the network never writes)",
                         EXTENDED_LANGUAGE, folder, len(extension.added), len(extension.skipped))
    for name in [*(f"{lang}.traineddata" for lang in wanted), "configs", "tessconfigs"]:
        link, origin = folder / name, source_dir / name
        if origin.exists() and not link.exists():
            try:
                link.symlink_to(origin)
            except FileExistsError:
                pass  # another process linked it first
    return folder
