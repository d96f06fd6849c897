"""Settings for the Serve API (``VIDSEARCH_SERVE__*``): where it listens, who may call what, how big a request may
be, how each deployment scales and how long the API waits for it. Part of the one ``Settings`` object; defined in
``vidsearch`` (not in ``serve``) so the settings never import the Serve package, and importing it never imports Ray."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator


# Ray Serve's own "throughput optimised" switches, less direct ingress (that needs a load balancer in front).
FAST_HOP_ENV = {"RAY_SERVE_USE_GRPC_BY_DEFAULT": "1", "RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "0",
                "RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP": "0"}


class DeploymentScaling(BaseModel):
    """Replica count and autoscaling for one deployment. ``min_replicas == max_replicas`` fixes the count."""

    min_replicas: int = Field(1, ge=0)
    max_replicas: int = Field(1, ge=1)
    target_ongoing_requests: float = Field(8.0, gt=0, description="autoscaler's target in-flight requests/replica")
    max_ongoing_requests: int = Field(64, ge=1, description="requests a replica accepts before callers queue")
    num_cpus: float = Field(0.25, ge=0, description="Ray CPU reservation per replica (fractional on small hosts)")
    max_queued_requests: int = Field(-1, ge=-1, description="callers that may wait for a busy replica before "
                                     "the API answers 503 + Retry-After; -1: no bound")
    request_timeout_s: float | None = Field(None, gt=0, description="how long a caller waits for this deployment; "
                                            "default: serve.request_timeout_s")

    @model_validator(mode="after")
    def _ordered(self) -> DeploymentScaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas ({self.min_replicas}) is above max_replicas ({self.max_replicas})")
        return self

    def deployment_options(self) -> dict:
        """Keyword arguments for ``Deployment.options``."""
        options: dict = {"max_ongoing_requests": self.max_ongoing_requests,
                         "ray_actor_options": {"num_cpus": self.num_cpus}}
        if self.max_queued_requests >= 0:
            options["max_queued_requests"] = self.max_queued_requests
        if self.min_replicas == self.max_replicas:
            options["num_replicas"] = self.max_replicas
        else:
            options["autoscaling_config"] = {
                "min_replicas": self.min_replicas,
                "max_replicas": self.max_replicas,
                "target_ongoing_requests": self.target_ongoing_requests,
            }
        return options


class IngressScaling(DeploymentScaling):
    """The ingress's own defaults (a partial override, e.g. only ``max_queued_requests``, keeps them): two
    replicas — with the searcher in the ingress they are the query path, and one dying leaves the other."""

    min_replicas: int = Field(2, ge=0)
    max_replicas: int = Field(2, ge=1)
    num_cpus: float = Field(0.1, ge=0, description="Ray CPU reservation per replica (fractional on small hosts)")
    max_ongoing_requests: int = Field(256, ge=1, description="requests a replica accepts before callers queue")


class QueryPathScaling(DeploymentScaling):
    """Searcher and text encoder on the split query path: two replicas each, so one dying (or restarting) leaves
    the other answering. 0.1 CPU each: a replica's reservation is logical, and two of each at 0.25 left a 2-CPU
    host too little for an admin ingest's probe tasks and stage actor. Own class, like ``IngressScaling``, so a
    partial override (``VIDSEARCH_SERVE__SEARCHER__MAX_QUEUED_REQUESTS=8``) keeps the other defaults."""

    min_replicas: int = Field(2, ge=0)
    max_replicas: int = Field(2, ge=1)
    num_cpus: float = Field(0.1, ge=0, description="Ray CPU reservation per replica (fractional on small hosts)")
    max_ongoing_requests: int = Field(128, ge=1, description="requests a replica accepts before callers queue")


class SearcherScaling(QueryPathScaling):
    request_timeout_s: float | None = Field(20.0, gt=0, description="how long a caller waits for the searcher")


class TextEncoderScaling(QueryPathScaling):
    request_timeout_s: float | None = Field(5.0, gt=0, description="how long a caller waits for the encoder")


class QueryBatching(BaseModel):
    """``@serve.batch`` parameters for a query encoder; defaults chosen by bench/serve_batching.py."""

    max_batch_size: int = Field(16, ge=1, le=256)
    batch_wait_timeout_s: float = Field(0.010, ge=0, le=1)


class ServeSettings(BaseModel):
    host: str = Field("127.0.0.1", description="address the HTTP proxy binds; 0.0.0.0 only inside a cluster")
    port: int = Field(8000, ge=1, le=65535)
    admin_api_keys: list[SecretStr] = Field(
        default_factory=list, description="keys for admin/write routes (ingest); none configured: those routes are off")
    search_api_keys: list[SecretStr] = Field(
        default_factory=list, description="keys for search and read routes; none configured: open to anyone")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS; empty: same-origin")
    max_json_bytes: int = Field(256 * 1024, ge=1024, description="largest JSON request body")
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="largest uploaded photo")
    ingest_roots: list[Path] = Field(
        default_factory=list, description="folders the admin ingest route may read; empty: any path the server sees")
    store_threads: int = Field(2, ge=1, description="threads per searcher replica running store queries")
    request_timeout_s: float = Field(30.0, gt=0, description="how long the ingress waits for a deployment "
                                     "(each deployment's own request_timeout_s overrides it)")
    retry_after_s: int = Field(2, ge=1, description="Retry-After sent with a 503 while a deployment restarts")
    relevance_floor: float = Field(0.45, ge=0, le=1, description="the page hides hits whose relative score (the "
                                   "fused score rescaled over the search's candidates: 1 = best, 0 = weakest) is "
                                   "below this, behind 'show weaker matches'; 0.45 chosen on korquad dev "
                                   "judgments by bench/serve_relevance_floor.py")
    query_cache_size: int = Field(2048, ge=0, description="query vectors each searcher replica keeps (0: off)")
    colocate_encoders: bool = Field(False, description="encode queries inside the searcher replicas instead of "
                                    "separate encoder deployments: one hop less on a small machine, but no "
                                    "degraded BM25-only answers while an encoder restarts")
    search_in_ingress: bool | None = Field(None, description="run the searcher and its encoders inside each "
                                           "ingress replica (the route is then proxy → ingress only); null: on "
                                           "clusters of at most small_cluster_cpus CPUs. An ingress replica dying "
                                           "then answers its in-flight searches 503 + Retry-After, and there is no "
                                           "BM25-only degraded mode (no separate encoder to lose)")
    small_cluster_cpus: int = Field(4, ge=0, description="search_in_ingress = null: a Ray cluster with at most "
                                    "this many CPUs runs the searcher in the ingress (each hop costs ~6 ms there, "
                                    "as much as a third of a search)")
    ray_serve_env: dict[str, str] = Field(
        default_factory=lambda: dict(FAST_HOP_ENV), description="Ray Serve switches set in the environment of "
        "the HTTP proxies and the query path's replicas (started by vidsearch serve; on a cluster set them in the "
        "Ray pods' environment too): proxy → replica calls over gRPC, user code and routers on the replica's own "
        "event loop — ~2.5 ms less per hop on 2 cores (bench/serve_hops.py); {} keeps Ray's defaults")
    static_max_age_s: int = Field(86400, ge=0, description="Cache-Control max-age of the page's files and "
                                  "thumbnails (thumbnail names are content-addressed)")

    ingress: IngressScaling = IngressScaling()
    searcher: SearcherScaling = SearcherScaling()
    text_encoder: TextEncoderScaling = TextEncoderScaling()
    clip_encoder: DeploymentScaling = DeploymentScaling(num_cpus=0.25, max_ongoing_requests=128)
    translator: DeploymentScaling = DeploymentScaling(num_cpus=0.25, max_ongoing_requests=64)
    face_encoder: DeploymentScaling = DeploymentScaling(num_cpus=0.25, max_ongoing_requests=32)

    text_batching: QueryBatching = QueryBatching()  # both query encoders
    translator_batching: QueryBatching = QueryBatching(max_batch_size=8, batch_wait_timeout_s=0.005)
