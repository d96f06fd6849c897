"""Print the image's pip requirements from pyproject.toml, so the Dockerfile installs dependencies in a layer
of their own (rebuilt only when pyproject.toml changes) and never keeps a second list of pins.

    python requirements.py pyproject.toml                  # the runtime dependencies, one per line
    python requirements.py pyproject.toml --pin torch      # just the pinned version: 2.13.0
    python requirements.py pyproject.toml --pin onnxruntime-gpu --extra gpu
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

# Ray depends on packaging, so it is in every rayproject/ray image before our dependencies are.
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def requirements(pyproject: Path, extra: str | None = None) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    if extra is None:
        return list(project["dependencies"])
    extras = project.get("optional-dependencies", {})
    if extra not in extras:
        raise LookupError(f"{pyproject} has no extra {extra!r} (it has: {', '.join(extras) or 'none'})")
    return list(extras[extra])


def pinned_version(pyproject: Path, package: str, extra: str | None = None) -> str:
    """The version a requirement pins with ``==``; anything looser is an error (the image must match)."""
    for line in requirements(pyproject, extra):
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) == canonicalize_name(package):
            specs = list(requirement.specifier)
            if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
                raise ValueError(f"{package} is not pinned exactly in {pyproject}: {line!r}")
            return specs[0].version
    raise LookupError(f"{package} is not a requirement in {pyproject}" + (f" [{extra}]" if extra else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--extra", help="an optional-dependencies group instead of the runtime dependencies")
    parser.add_argument("--pin", metavar="PACKAGE", help="print only this package's exact version")
    args = parser.parse_args(argv)
    try:
        if args.pin:
            print(pinned_version(args.pyproject, args.pin, args.extra))
        else:
            print("\n".join(requirements(args.pyproject, args.extra)))
    except (LookupError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
