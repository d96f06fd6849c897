"""The rendered stack (`kubectl apply -k k8s`), the reindex job (`kubectl apply -k k8s/reindex`), the
project's metadata and the Dockerfile's build arguments, once per session."""

from __future__ import annotations

import tomllib
from typing import Any

import dockerfile
import pytest

from tests.conftest import REPO
from tests.k8s.manifests import K8S, Manifest, render


@pytest.fixture(scope="session")
def stack() -> list[Manifest]:
    return render(K8S)


@pytest.fixture(scope="session")
def reindex() -> list[Manifest]:
    return render(K8S / "reindex")


@pytest.fixture(scope="session")
def everything(stack, reindex) -> list[Manifest]:
    return [*stack, *reindex]


@pytest.fixture(scope="session")
def project() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="session")
def dockerfile_commands() -> tuple:
    """docker/Dockerfile as Docker's own parser reads it (the `dockerfile` package wraps BuildKit's)."""
    return dockerfile.parse_file(str(REPO / "docker" / "Dockerfile"))


@pytest.fixture(scope="session")
def dockerfile_args(dockerfile_commands) -> dict[str, str | None]:
    args = {}
    for command in dockerfile_commands:
        if command.cmd.upper() == "ARG":
            name, _, default = command.value[0].partition("=")
            args[name] = default or None
    return args
