"""One index of the fault server: its mappings, settings, aliases and documents, with Elasticsearch's own version
and visibility rules (near-real-time reads after a refresh, delete tombstones kept for ``index.gc_deletes``)."""

from __future__ import annotations

import time
from typing import Any


class EsError(Exception):
    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason = status, kind, reason


def not_found(name: str) -> EsError:
    return EsError(404, "index_not_found_exception", f"no such index [{name}]")


class Index:
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        self.name = name
        self.mappings: dict[str, Any] = body.get("mappings", {"properties": {}})
        self.settings: dict[str, Any] = {k: v for k, v in body.get("settings", {}).items() if k != "analysis"}
        self.analysis = body.get("settings", {}).get("analysis", {})
        self.aliases: set[str] = set(body.get("aliases", {}))
        self.docs: dict[str, tuple[int, bytes | None]] = {}
        self.visible: dict[str, tuple[int, bytes | None]] = {}  # as of the last refresh
        self.tombstones: dict[str, tuple[int, float]] = {}  # deleted id → (version, when)
        self.count = 0

    def flat_settings(self) -> dict[str, Any]:
        """``{"index": {...}}`` and dotted ``index.x`` keys alike, as ES normalises them."""
        out = dict(self.settings.get("index", {})) if isinstance(self.settings.get("index"), dict) else {}
        out.update({k.removeprefix("index."): v for k, v in self.settings.items() if k != "index"})
        return out

    def near_real_time(self) -> bool:
        """Refresh off: writes are searchable only after an explicit refresh. (With a refresh interval the
        stand-in shows writes at once: it does not model the interval's delay.)"""
        return str(self.flat_settings().get("refresh_interval")) == "-1"

    def searchable(self) -> dict[str, tuple[int, bytes | None]]:
        return self.visible if self.near_real_time() else self.docs

    def refresh(self) -> None:
        self.visible = dict(self.docs)

    def tombstone(self, doc_id: str) -> int | None:
        """The version of a recent delete, within ``index.gc_deletes`` (default 60s)."""
        found = self.tombstones.get(doc_id)
        if found is None:
            return None
        keep = _seconds(str(self.flat_settings().get("gc_deletes", "60s")))
        return found[0] if time.monotonic() - found[1] <= keep else None


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for unit in ("ms", "s", "m", "h", "d"):
        if duration.endswith(unit) and duration[: -len(unit)].isdigit():
            return int(duration[: -len(unit)]) * units[unit]
    return float(duration)
