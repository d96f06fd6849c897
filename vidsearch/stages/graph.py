"""The stage dependency graph and output fingerprints: what must rerun, and why.

Each stage declares the fields it reads and writes; the stages it reads from are the configured stages that write
those fields. A stage's output is a function of its code version, the identity of every model it uses (hub id or
folder + a content checksum), the settings that change its output, per-video inputs (a metadata sidecar's bytes)
and the fingerprints of the stages it reads from. The checkpoint records, per stage, all of that; a rerun
recomputes exactly the stages whose fingerprint changed — and, because a fingerprint includes its inputs'
fingerprints, everything downstream of them. Nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vidsearch
from vidsearch.config import Settings
from vidsearch.errors import VidsearchError
from vidsearch.stages.base import Stage

# Format of a stage record in the checkpoint. 1: a bare version string (before fingerprints).
CHECKPOINT_FORMAT = 2

# Settings that change how fast or where a stage runs, never what it outputs.
RUNTIME_ONLY = frozenset({
    "batch_size", "threads", "device", "num_gpus", "gpu", "decode_threads", "tesseract_batch_size",
    "tesseract_timeout_s", "tesseract_threads", "detector_threads", "clova_secret", "clova_timeout_s",
    "clova_retries", "max_photo_bytes", "max_photo_pixels", "search_k", "eval_dir", "role_top_k",
    "video_extensions",
})


class CheckpointTooNew(VidsearchError):
    """A checkpoint written by a newer vidsearch: this one cannot tell what is stale, and would overwrite output
    the newer version built."""

    status = 409
    title = "Checkpoint from a newer vidsearch"


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in RUNTIME_ONLY:
                _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    else:
        out[prefix] = value


def output_settings(settings: Settings, paths: tuple[str, ...]) -> dict[str, Any]:
    """The values under each dotted settings path (a section or one field), runtime-only knobs left out."""
    dumped = settings.model_dump(mode="json")
    out: dict[str, Any] = {}
    for path in paths:
        node: Any = dumped
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        _flatten(node, path, out)
    return out


@dataclass(frozen=True)
class StageInputs:
    """Everything one stage's output for one video is a function of."""

    name: str
    version: str
    models: dict[str, dict[str, str]]
    settings: dict[str, Any]
    upstream: dict[str, str]  # stage read from → its fingerprint
    video: dict[str, str]  # per-video inputs

    @property
    def fingerprint(self) -> str:
        body = json.dumps([self.name, self.version, self.models, self.settings, self.upstream, self.video],
                          sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:20]

    def record(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "version": self.version, "format": CHECKPOINT_FORMAT,
                "by": vidsearch.__version__, "models": self.models, "settings": self.settings,
                "upstream": self.upstream, "video": self.video}


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in str(version).split("."))


def _diff(old: dict, new: dict, added: Callable[[str, Any], str], removed: Callable[[str, Any], str],
          changed: Callable[[str, Any, Any], str]) -> list[str]:
    """One sentence per key added, removed or changed between two records."""
    out = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            out.append(added(key, new[key]))
        elif key not in new:
            out.append(removed(key, old[key]))
        elif old[key] != new[key]:
            out.append(changed(key, old[key], new[key]))
    return out


def _values(what: str) -> tuple[Callable, Callable, Callable]:
    return (lambda k, v: f"{what} {k} added ({v!r})", lambda k, v: f"{what} {k} removed (was {v!r})",
            lambda k, a, b: f"{what} {k} {a!r} → {b!r}")


def _model_changed(role: str, before: dict, now: dict) -> str:
    if (before.get("backend"), before.get("source")) != (now.get("backend"), now.get("source")):
        return (f"model {role} {before.get('backend')}:{before.get('source')} → "
                f"{now.get('backend')}:{now.get('source')}")
    return (f"model {role} at {now.get('source')} changed on disk under the same path "
            f"(checksum {before.get('checksum')} → {now.get('checksum')})")


_MODELS = (lambda r, m: f"model {r} added ({m['backend']}:{m['source']})",
           lambda r, m: f"model {r} removed (was {m.get('backend')}:{m.get('source')})", _model_changed)
_UPSTREAM = (lambda n, _: f"now reads the output of {n}", lambda n, _: f"no longer reads the output of {n}",
             lambda n, _a, _b: f"{n} (which it reads) changed")


def why_stale(old: Any, new: StageInputs, video_id: str) -> str | None:
    """Why this stage's stored output is stale, or None when its fingerprint matches."""
    if old is None:
        return "not run yet"
    if isinstance(old, str):
        return f"checkpoint from before fingerprints (stage version {old})"
    if not isinstance(old, dict) or "fingerprint" not in old:
        return "checkpoint without a fingerprint"
    if int(old.get("format", 0)) > CHECKPOINT_FORMAT:
        raise CheckpointTooNew(
            f"video {video_id}: its checkpoint was written by vidsearch {old.get('by', '?')} (checkpoint format "
            f"{old.get('format')}); this vidsearch {vidsearch.__version__} reads format {CHECKPOINT_FORMAT} and "
            "would overwrite newer output. Upgrade vidsearch, or rebuild the video with --force.")
    if old["fingerprint"] == new.fingerprint:
        return None
    reasons = []
    if str(old.get("version")) != new.version:
        older = _version_key(new.version) < _version_key(str(old.get("version")))
        reasons.append(f"stage version downgrade {old.get('version')} → {new.version} (built by a newer "
                       "vidsearch; rebuilt by this one)" if older else
                       f"stage version {old.get('version')} → {new.version}")
    reasons += _diff(old.get("models", {}), new.models, *_MODELS)
    reasons += _diff(old.get("settings", {}), new.settings, *_values("setting"))
    reasons += _diff(old.get("video", {}), new.video, *_values("input"))
    reasons += _diff(old.get("upstream", {}), new.upstream, *_UPSTREAM)
    return "; ".join(reasons) or "fingerprint changed"


@dataclass
class StageGraph:
    """The configured stages (in dependency order) and what each reads from; per-run parts computed once."""

    stages: list[Stage]
    settings: Settings
    upstream: dict[str, list[str]] = field(init=False)
    _static: dict[str, tuple[dict, dict]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        writer: dict[str, str] = {}
        self.upstream = {}
        for stage in self.stages:
            self.upstream[stage.name] = sorted({writer[f] for f in stage.reads if f in writer})
            for name in stage.writes:
                writer[name] = stage.name

    def _static_parts(self, stage: Stage) -> tuple[dict, dict]:
        if stage.name not in self._static:
            models = {ref.role: ref.record() for ref in stage.model_refs()}
            self._static[stage.name] = (models, output_settings(self.settings, stage.affects))
        return self._static[stage.name]

    def inputs_for(self, video_path: Path | str) -> dict[str, StageInputs]:
        """Every configured stage's inputs (and so fingerprint) for the video at this path (or object URI)."""
        out: dict[str, StageInputs] = {}
        for stage in self.stages:
            models, settings = self._static_parts(stage)
            out[stage.name] = StageInputs(stage.name, stage.version, models, settings,
                                          {u: out[u].fingerprint for u in self.upstream[stage.name]},
                                          stage.video_inputs(video_path))
        return out

    def stale(self, checkpoint: dict[str, Any], current: dict[str, StageInputs], video_id: str) -> dict[str, str]:
        """Stage → why it must rerun, in stage order; empty when the video is up to date."""
        out = {}
        for stage in self.stages:
            reason = why_stale(checkpoint.get(stage.name), current[stage.name], video_id)
            rerun = [u for u in self.upstream[stage.name] if u in out]
            if reason is None and rerun:  # its input is rebuilt, even where the fingerprint says it is the same
                reason = f"reads the output of {', '.join(rerun)}, which reruns"
            if reason is not None:
                out[stage.name] = reason
        return out

