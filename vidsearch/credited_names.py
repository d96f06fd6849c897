"""The credited names the query rules look for, read from the index (the product side of
``ranking.query_rules.CreditedNames``, which only matches names it is given)."""

from __future__ import annotations

import time

from ranking.query_rules import CreditedNames
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend


def credited_names_from_store(store: IndexBackend, limit: int | None = None) -> CreditedNames:
    """Names from the credits index (``name``) and the persons index (``name``, where people were labelled)."""
    names = CreditedNames()
    for index in (IndexName.CREDITS, IndexName.PERSONS):
        for count, (_, body) in enumerate(store.scan(index)):
            if limit is not None and count >= limit:
                break
            value = body.get("name")
            if isinstance(value, str) and value.strip():
                names.add(value)
    return names


class CreditedNamesCache:
    """``CreditedNames`` from a store, reloaded at most every ``max_age_s`` so names from newly ingested credits
    reach the query rules without a restart, and without a scan per query."""

    def __init__(self, store: IndexBackend, max_age_s: float = 300.0) -> None:
        self._store = store
        self._max_age_s = max_age_s
        self._names: CreditedNames | None = None
        self._loaded_at = 0.0

    def get(self) -> CreditedNames:
        now = time.monotonic()
        if self._names is None or now - self._loaded_at > self._max_age_s:
            self._names = credited_names_from_store(self._store)
            self._loaded_at = now
        return self._names
