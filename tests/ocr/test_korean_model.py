"""The extended Korean model (korx): Debian's kor network, with the KS X 1001 syllables it can spell in its charset.

Real Tesseract tools build the model in a temporary folder; real Tesseract reads lines drawn in Nanum fonts."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from testkit.credits.spec import CreditFont
from tests.ocr.conftest import draw_line
from vidsearch.ocr.korean_model import (
    CharsetExtension,
    ModelBuildRefused,
    build_extended_model,
    extend_unicharset,
    extended_tessdata,
    jamo,
)
from vidsearch.ocr.settings import OcrSettings
from vidsearch.ocr.tesseract import TesseractEngine

TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
KOR = TESSDATA / "kor.traineddata"
# each name holds a syllable Debian's kor charset lacks (all four were misread on the dev rolls)
RARE = ["캥커키", "케즈윅", "뮈르달", "롯데컬처웍스"]
FONTS = (CreditFont.GOTHIC, CreditFont.GOTHIC_BOLD, CreditFont.MYEONGJO)


def _component(model: Path, suffix: str, tmp: Path) -> Path:
    """One component of a traineddata file, unpacked into ``tmp``."""
    subprocess.run(["combine_tessdata", "-u", str(model), str(tmp / "part.")], check=True, capture_output=True)
    return tmp / f"part.{suffix}"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tessdata-cache")


def test_rare_syllables_are_read_with_the_extended_model_and_never_without(model_dir: Path):
    lines = [draw_line(name, 32, font=font) for font in FONTS for name in RARE]
    truth = [name for _ in FONTS for name in RARE]
    extended = TesseractEngine(OcrSettings(tesseract_model_dir=model_dir))
    plain = TesseractEngine(OcrSettings(extend_korean=False))
    assert extended.languages == "korx+eng" and plain.languages == "kor+eng"
    read_extended = [line.text for line in extended.read_lines(lines)]
    read_plain = [line.text for line in plain.read_lines(lines)]
    rare = {"캥", "윅", "뮈", "웍"}
    assert not rare & set("".join(read_plain)), read_plain  # the shipped charset cannot write them
    right = sum(a == b for a, b in zip(read_extended, truth))
    assert right >= 11, list(zip(truth, read_extended))  # 12/12 here; one font may still slip
    assert sum(a == b for a, b in zip(read_plain, truth)) == 0


def test_common_names_read_the_same_with_both_models(model_dir: Path):
    names = ["김민수", "이지은", "박서준", "정해인", "Michael", "Studio"]
    lines = [draw_line(name, 32, font=font) for font in FONTS for name in names]
    extended = TesseractEngine(OcrSettings(tesseract_model_dir=model_dir)).read_lines(lines)
    plain = TesseractEngine(OcrSettings(extend_korean=False)).read_lines(lines)
    assert [line.text for line in extended] == [line.text for line in plain]
    assert [line.text for line in extended] == [n for _ in FONTS for n in names]


def test_extension_keeps_every_id_and_adds_only_syllables_of_known_jamo(tmp_path: Path):
    old = _component(KOR, "lstm-unicharset", tmp_path).read_text(encoding="utf-8")
    extension = extend_unicharset(old)
    old_lines, new_lines = old.splitlines(), extension.text.splitlines()
    assert int(new_lines[0]) == int(old_lines[0]) + len(extension.added)
    assert new_lines[1:len(old_lines)] == old_lines[1:]  # ids unchanged: dictionaries and network refer to them
    assert {"옌", "섀", "뮈", "캥", "윅", "웍"} <= set(extension.added)
    assert len(extension.added) == 1258 and len(extension.skipped) == 16
    present = [jamo(c) for c in (line.split()[0] for line in old_lines[1:]) if "가" <= c <= "힣"]
    for syllable in extension.skipped:
        lead, vowel, trail = jamo(syllable)
        assert lead not in {p[0] for p in present} or vowel not in {p[1] for p in present} \
            or trail not in {p[2] for p in present}


def test_a_syllable_needing_a_new_network_code_is_refused(tmp_path: Path):
    """The guard: a charset whose recoder needs more codes than the network outputs is never used."""
    def with_unknown_jamo(unicharset: str) -> CharsetExtension:
        extension = extend_unicharset(unicharset)
        forced = extend_unicharset(extension.text, candidates=[])  # nothing more by the rule ...
        lines = forced.text.splitlines()
        c, i = extension.skipped[0], int(lines[0])  # ... so force a syllable one of whose jamo is never written
        lines[0] = str(i + 1)
        lines.append(f"{c} 1 0,255,0,255,0,0,0,0,0,0 Hangul {i} 0 {i} {c}\t# {c} [{ord(c):x} ]x")
        return CharsetExtension("\n".join(lines) + "\n", [*extension.added, c], extension.skipped[1:])

    with pytest.raises(ModelBuildRefused, match=r"needs 145 network codes, the model has 144"):
        build_extended_model(KOR, tmp_path / "korx.traineddata", extend=with_unknown_jamo)
    assert not (tmp_path / "korx.traineddata").exists()


def test_a_model_whose_recoder_the_tools_do_not_reproduce_is_refused(tmp_path: Path):
    """The other guard: if this combine_lang_model would not rebuild the model's own recoder, the codes it writes
    for the new syllables cannot be trusted either."""
    built = tmp_path / "korx.traineddata"
    build_extended_model(KOR, built)
    odd = tmp_path / "src"
    odd.mkdir()
    shutil.copyfile(KOR, odd / "kor.traineddata")
    # Debian's charset with the extended model's recoder: a recoder the charset does not rebuild
    (odd / "kor.lstm-recoder").write_bytes(_component(built, "lstm-recoder", tmp_path).read_bytes())
    subprocess.run(["combine_tessdata", "-o", "kor.traineddata", "kor.lstm-recoder"], cwd=odd, check=True,
                   capture_output=True)
    with pytest.raises(ModelBuildRefused, match="does not rebuild the model's own recoder"):
        build_extended_model(odd / "kor.traineddata", tmp_path / "odd-korx.traineddata")


def test_the_model_is_built_once_and_reused(tmp_path: Path):
    first = extended_tessdata(TESSDATA, tmp_path, ["kor", "eng"])
    stamp = (first / "korx.traineddata").stat().st_mtime_ns
    again = extended_tessdata(TESSDATA, tmp_path, ["kor", "eng"])
    assert again == first and (again / "korx.traineddata").stat().st_mtime_ns == stamp
    assert (first / "eng.traineddata").resolve() == (TESSDATA / "eng.traineddata").resolve()
    assert (first / "configs" / "tsv").is_file()  # tesseract's "tsv" output config is found there
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".korx")] == []  # no half-built folder left


def test_without_a_usable_cache_folder_plain_kor_is_used_with_a_warning(tmp_path: Path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the model folder should go")
    with caplog.at_level(logging.WARNING, logger="vidsearch.ocr.tesseract"):
        engine = TesseractEngine(OcrSettings(tesseract_model_dir=blocker / "tessdata"))
    assert engine.languages == "kor+eng"
    assert "reading Korean with plain 'kor'" in caplog.text
    (line,) = engine.read_lines([draw_line("김민수", 32)])
    assert line.text == "김민수"  # still reads
