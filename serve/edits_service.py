"""The editor deployment: ``vidsearch.edits.desk.EditDesk`` over the store, one replica, its store calls on one
thread (an edit reads the item's version and appends the next one; the store's unique versions make a second
replica or process safe as well, this only spares needless 409s)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from ray import serve

from serve.problems import travels
from vidsearch.config import Settings
from vidsearch.errors import InvalidQuery

OPERATIONS = frozenset({
    "item", "edit", "revert", "undo", "audit", "review", "role_queue", "map_role_title", "role_codes",
    "identities", "identity_history", "rename_identity", "merge_identities", "split_identity", "not_this_person",
    "undo_identity", "judge", "judgments",
})


@serve.deployment(name="editor", num_replicas=1, ray_actor_options={"num_cpus": 0.1})
class EditorService:
    def __init__(self, settings: Settings) -> None:
        from vidsearch.edits.desk import EditDesk
        from vidsearch.store import open_store

        self.desk = EditDesk(open_store(settings), settings)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="edits")

    @travels
    async def run(self, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation not in OPERATIONS:
            raise InvalidQuery(f"unknown edit operation {operation!r}")
        call = partial(getattr(self.desk, operation), **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)
