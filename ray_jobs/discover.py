"""Which files an ingest covers: the paths given, folders walked recursively for video extensions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths that do not exist
    ignored: int = 0  # non-video files inside the folders walked


def discover(paths: list[str | Path], extensions: tuple[str, ...]) -> Discovery:
    """Files named directly are always tried (ffprobe decides); inside folders only video extensions count."""
    found = Discovery()
    seen: set[Path] = set()
    wanted = {e.lower() for e in extensions}

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            found.files.append(path)

    for raw in paths:
        path = Path(raw).expanduser()
        if not os.path.lexists(path):
            found.missing.append(str(raw))
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    child = Path(root) / name
                    if child.suffix.lower() in wanted and not name.startswith("."):
                        add(child)
                    else:
                        found.ignored += 1
        else:
            add(path)
    return found
