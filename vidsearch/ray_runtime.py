"""Starting or joining Ray, the same way for every command that needs it (``index`` and ``serve``)."""

from __future__ import annotations

import logging

import ray

from vidsearch.config import Settings


def init_ray(settings: Settings) -> None:
    """Join the cluster at ``ray.address`` ('auto', host:port or ray://host:10001), else start a local Ray.

    Joining a cluster uses the cluster's own resources; ``ray.num_cpus`` only sizes a local Ray."""
    if ray.is_initialized():
        return
    kwargs: dict = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": True}
    if settings.ray.address:
        kwargs["address"] = settings.ray.address
    elif settings.ray.num_cpus:
        kwargs["num_cpus"] = settings.ray.num_cpus
    ray.init(**kwargs)
