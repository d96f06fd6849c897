"""How this project starts or joins Ray: one place for the ``ray.init`` arguments that ``vidsearch serve`` and
``vidsearch index`` share.

A local Ray (no ``ray.address``) is a single-machine Ray: every process it starts — GCS, raylet, workers, Serve
replicas, the dashboard and runtime-env agents, the metrics exporters — listens on 127.0.0.1 only. Ray has no
authentication by default, so a port on another interface would let anyone on the network run code here. Ray
decides its node address (and every server binds to it) with ``ENABLE_RAY_CLUSTER``: set to off through
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` — the switch Ray itself uses on laptops — every address is loopback.
With a cluster address, Ray's own networking applies (see docs/serve.md: TLS between nodes, network policies).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from vidsearch.config import Settings

LOCAL_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # Ray's switch: "0" = a single-machine Ray on loopback
LOOPBACK = "127.0.0.1"


def keep_local_ray_on_loopback() -> None:
    """Make a Ray started from this process (and every process it starts) listen on loopback only.

    The environment variable reaches Ray's child processes; the constant is read by ``ray`` when it is imported,
    so an already imported ``ray`` is told too."""
    os.environ[LOCAL_ONLY_ENV] = "0"
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False


def keep_serve_replicas_on_loopback() -> None:
    """In a local, loopback-only Ray, make Serve replicas' inter-deployment gRPC servers listen on 127.0.0.1.

    Ray Serve 2.60 binds each replica's server to ``[::]:0`` (every interface) with no setting to change it; the
    replicas reach each other at the node address, which is 127.0.0.1 here. Called when the ``serve`` package is
    imported — in every replica process, before the replica starts that server. Does nothing on a cluster."""
    if os.environ.get(LOCAL_ONLY_ENV) != "0":
        return
    try:
        from ray.serve._private import replica
    except ImportError:  # not a Serve process
        return
    bind = replica.add_port_to_grpc_server
    if getattr(bind, "loopback_only", False):
        return

    def bind_on_loopback(server: Any, address: str) -> int:
        host, _, port = address.rpartition(":")
        return bind(server, f"{LOOPBACK}:{port}" if host in ("[::]", "0.0.0.0", "") else address)

    bind_on_loopback.loopback_only = True  # type: ignore[attr-defined]
    replica.add_port_to_grpc_server = bind_on_loopback


def ray_init_kwargs(settings: Settings, *, num_cpus: int | None = None, **extra: Any) -> dict[str, Any]:
    """``ray.init`` keyword arguments: join ``settings.ray.address`` when set, else a local, loopback-only Ray."""
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, **extra}
    if settings.ray.address:
        kwargs["address"] = settings.ray.address
        return kwargs
    # "local": always a new Ray of our own — never one some other program left in /tmp/ray/ray_current_cluster,
    # which ray.init() without an address would join
    kwargs["address"] = "local"
    kwargs["dashboard_host"] = LOOPBACK
    cpus = num_cpus or settings.ray.num_cpus
    if cpus:
        kwargs["num_cpus"] = cpus
    return kwargs


def init_ray(settings: Settings, *, num_cpus: int | None = None, **extra: Any) -> None:
    """Start (or join) Ray for this process unless it is already connected."""
    import ray

    if ray.is_initialized():
        return
    if not settings.ray.address:
        keep_local_ray_on_loopback()
    ray.init(**ray_init_kwargs(settings, num_cpus=num_cpus, **extra))
