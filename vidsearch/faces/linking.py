"""Archive identities from persons, computed after the videos' commits: the same identities whatever the number
of workers and the order the videos finished in.

Linking each video's persons as it finished made identities depend on timing: two videos committed seconds
apart could not see each other and founded separate identities for every person. Here the linking step reads
the whole archive's persons after the ingest's commits and derives identities from them alone:

1. **User decisions are kept.** A person whose latest identity event (name, merge, split, undo) put it where it
   is now is *pinned* there. Each pinned identity is one starting cluster; two pinned identities never merge
   automatically (the user has seen them), and their names stay theirs.
2. **Everyone else is clustered afresh**, in person-id order, by average linkage over centroid distances
   (``identity_distance``): a cluster joins another while the mean distance between their persons is within it.
   Two persons of one video stay apart (they were clustered apart in their video) unless their own centroids
   are within ``same_video_distance`` — the re-check that they are in fact the same person.
3. Each unpinned cluster's id is ``id-<its smallest person id>`` (``id-<…>-<hash>`` if a pinned identity holds
   that id), so the result depends only on the set of persons and the user's events.

Only persons whose identity or name changed are written, in one upsert — one transaction on the embedded store;
on Elasticsearch a crash between bulk items leaves persons that the next run (it is idempotent) puts right.
Work grows with the square of the persons that lie near each other: the distance graph is split into connected
components first and each is clustered on its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.errors import StoreError
from vidsearch.faces.clustering import average_linkage
from vidsearch.faces.models import distance_of
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend

log = logging.getLogger(__name__)

_BLOCK = 1024  # rows of the pairwise distance matrix computed at once


@dataclass
class LinkReport:
    persons: int = 0
    identities: int = 0
    changed: int = 0  # persons whose identity or name was rewritten
    pinned: int = 0  # persons held where a user's event put them


@dataclass
class _Member:
    person_id: str
    video_id: str
    vector: np.ndarray
    pinned: str | None  # identity a user event put it in
    name: str | None
    body: dict


def pinned_persons(store: IndexBackend) -> dict[str, str]:
    """Person → identity for persons whose latest identity event put them where they are now."""
    latest: dict[str, tuple[int, str | None]] = {}
    for _, body in store.scan(IndexName.IDENTITY_EVENTS):
        seq = int(body.get("seq") or 0)
        for change in body.get("changes") or []:
            pid = change["person_id"]
            if pid not in latest or latest[pid][0] < seq:
                latest[pid] = (seq, change.get("after_identity"))
    return {pid: identity for pid, (_, identity) in latest.items() if identity}


def link_after_ingest(settings, store: IndexBackend) -> LinkReport | None:
    """The ingest job's step after its commits (``faces.link_identities``); None when switched off."""
    from vidsearch.faces.models import thresholds

    if not settings.faces.link_identities:
        return None
    limits = thresholds(settings.faces)
    store.refresh()  # the commits came from the write tasks' own connections
    report = link_identities(store, limits.identity_distance, limits.cluster_distance)
    log.info("identities: %d persons in %d identities, %d reassigned, %d held by user edits",
             report.persons, report.identities, report.changed, report.pinned)
    return report


def link_identities(store: IndexBackend, identity_distance: float, same_video_distance: float) -> LinkReport:
    """Recompute every unpinned person's identity (see the module docstring); returns what it did."""
    pins = pinned_persons(store)
    members = []
    for pid, body in store.scan(IndexName.PERSONS, with_vectors=True):
        if not body.get("face_vec"):
            continue
        vector = np.asarray(body["face_vec"], np.float32)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        pinned = pins.get(pid) if pins.get(pid) == body.get("identity_id") else None
        members.append(_Member(pid, body["video_id"], vector, pinned, body.get("name") if pinned else None, body))
    members.sort(key=lambda m: m.person_id)
    report = LinkReport(persons=len(members), pinned=sum(1 for m in members if m.pinned))
    if not members:
        return report
    assignment = assign_identities(members, identity_distance, same_video_distance)
    changed = {}
    for member in members:
        identity, name = assignment[member.person_id]
        if (member.body.get("identity_id"), member.body.get("name")) != (identity, name):
            body = {k: v for k, v in member.body.items() if k not in ("identity_id", "name")}
            body["identity_id"] = identity
            if name:
                body["name"] = name
            changed[member.person_id] = body
    if changed:
        written = store.upsert(IndexName.PERSONS, sorted(changed.items()))
        if written.failed:
            raise StoreError("could not update persons: " + "; ".join(f"{i}: {r}" for i, r in written.failed[:3]))
        store.refresh()
    report.changed = len(changed)
    report.identities = len({identity for identity, _ in assignment.values()})
    log.debug("identities linked: %s", report)
    return report


def assign_identities(members: Sequence[_Member], identity_distance: float,
                      same_video_distance: float) -> dict[str, tuple[str, str | None]]:
    """Person id → (identity id, name) for persons sorted by id."""
    vectors = np.stack([m.vector for m in members])
    clusters: list[list[int]] = []
    for component in _components(vectors, identity_distance):
        clusters += _cluster(component, members, vectors, identity_distance, same_video_distance)
    # pinned identities whose members all lie in far-apart components still come out as one identity
    taken = {m.pinned for m in members if m.pinned}
    result: dict[str, tuple[str, str | None]] = {}
    for cluster in sorted(clusters, key=lambda c: min(members[i].person_id for i in c)):
        pinned = sorted({members[i].pinned for i in cluster if members[i].pinned})
        if pinned:
            identity = pinned[0]
            names = [members[i].name for i in cluster if members[i].pinned == identity and members[i].name]
            name = names[0] if names else None
        else:
            ids = sorted(members[i].person_id for i in cluster)
            identity = f"id-{ids[0]}"
            if identity in taken:
                identity += "-" + hashlib.sha1("\n".join(ids).encode()).hexdigest()[:6]
            taken.add(identity)
            name = None
        for i in cluster:
            result[members[i].person_id] = (identity, name)
    return result


def _components(vectors: np.ndarray, distance: float) -> list[list[int]]:
    """Connected components of 'within ``distance``' (average linkage never joins across them)."""
    n = len(vectors)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    floor = 1.0 - distance * distance / 2.0  # dot product of unit vectors at that distance
    for start in range(0, n, _BLOCK):
        dots = vectors[start:start + _BLOCK] @ vectors.T
        for i, j in zip(*np.nonzero(dots >= floor - 1e-6), strict=True):
            a, b = find(start + int(i)), find(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _cluster(indices: list[int], members: Sequence[_Member], vectors: np.ndarray, distance: float,
             same_video_distance: float) -> list[list[int]]:
    """Constrained average linkage inside one component; pinned identities start as one cluster each."""
    start: dict[str, list[int]] = {}
    clusters: list[list[int]] = []
    for i in indices:
        if members[i].pinned:
            start.setdefault(members[i].pinned, []).append(i)
        else:
            clusters.append([i])
    clusters = [start[k] for k in sorted(start)] + clusters
    if len(clusters) == 1:
        return clusters
    sub = vectors[indices]
    pair = np.asarray(distance_of(np.clip(sub @ sub.T, -1.0, 1.0)), np.float64)
    local = {i: k for k, i in enumerate(indices)}
    m = len(clusters)
    blocked = np.zeros((m, m), bool)
    for a in range(m):
        for b in range(a + 1, m):
            blocked[a, b] = blocked[b, a] = _apart(clusters[a], clusters[b], members, pair, local,
                                                   same_video_distance)
    merged = average_linkage([[local[i] for i in c] for c in clusters], pair, blocked, distance)
    return [sorted(indices[k] for k in c) for c in merged]


def _apart(a: list[int], b: list[int], members: Sequence[_Member], pair: np.ndarray, local: dict[int, int],
           same_video_distance: float) -> bool:
    """May these two clusters never join? Two pinned identities, or two persons of one video not re-checked
    as the same person."""
    if members[a[0]].pinned and members[b[0]].pinned:
        return True
    for i in a:
        for j in b:
            if members[i].video_id == members[j].video_id and pair[local[i], local[j]] > same_video_distance:
                return True
    return False
