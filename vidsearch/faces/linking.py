"""Archive identities from persons, computed after the videos' commits: the same identities whatever the number
of workers and the order the videos finished in.

Linking each video's persons as it finished made identities depend on timing: two videos committed seconds
apart could not see each other and founded separate identities for every person. Here the linking step reads
the whole archive's persons after the ingest's commits and derives identities from them alone:

1. **User decisions are kept.** A person whose latest identity event (name, merge, split, undo) put it where it
   is now is *pinned* there. Each pinned identity is one starting cluster; two pinned identities never merge
   automatically (the user has seen them), and their names stay theirs.
2. **Everyone else is clustered afresh**, in person-id order, by average linkage over person distances
   (``identity_distance``): a cluster joins another while the mean distance between their persons is within it.
   Two persons of one video stay apart (they were clustered apart in their video) unless their own centroids
   are within ``same_video_distance`` — the re-check that they are in fact the same person. The ingest job
   passes the identity distance: the video's own clustering kept them apart with evidence (a shared frame, a
   jittered re-check), so joining them needs at least what joins persons of two videos (at the cluster
   distance, look-alikes of a two-person interview, 0.356 apart, became one identity under pose spread).
3. Each unpinned cluster's id is ``id-<its smallest person id>`` (``id-<…>-<hash>`` if a pinned identity holds
   that id), so the result depends only on the set of persons and the user's events.

**A person seen in few tracks is allowed farther.** A person's centroid averages the faces of its tracks; a
person of one track is one view, and noise inflates the distance between two single views (for one person as
for two): on dev, one face against another lies up to 0.370 apart before two different people meet (the split
distance), three-view centroids only 0.34 (``identity_distance``). Treating every person as a three-view
centroid split one-track persons of one person across videos. So the distance two persons may lie apart grows
with the noise of both centroids: ``t(a, b)² = t∞² + σ² (1/a + 1/b)`` for persons of ``a`` and ``b`` tracks
(at most three each), with ``t∞`` and ``σ²`` fixed by ``t(3, 3) = identity_distance`` and
``t(1, 1) = single_view_distance``; average linkage runs on distances less each pair's allowance.

**Another video can vouch for two persons of one video.** A person a video's clustering split in two (a blurry
entrance refused by the quality gate that lay 0.38–0.39 from its own person, just beyond the 0.37 a refused face may
join at; two one-track entrances a jittered re-check parted at 0.377) stays two persons there, and the same-video
rule above kept them two identities for good: every such split was a person split across the archive too. Two
persons of one video further apart than ``same_video_distance`` may still share an identity when a person of
another video lies within the allowance of both (the evidence the video lacked), their own centroids lie within
``bridge_distance`` (the ingest job passes the cluster distance: farther, the video's clustering would have parted
them without any cannot-link) and they were never on screen at the same time (their appearances do not overlap).
Average linkage still decides by the mean distance, so the third person must in fact join them.

**Persons are compared track by track.** A centroid averages a person's views unevenly (a long frontal track and
a short turned one), so one person's persons in two videos lay up to 0.369 apart by centroids and look-alikes from
0.333. Where both documents carry their tracks' vectors (``track_vecs``), the distance between two persons is the
mean over each one's tracks of the distance to the other's nearest track, averaged both ways
(``track_distances``), judged with the same allowance; documents written before track vectors were stored are
compared by their centroids. The same-video limit and the vouching cap stay centroid distances (the video's own
clustering judged those).

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
    views: int = 3  # tracks its centroid averages (capped at 3: the identity distance's calibration level)
    spans: tuple[tuple[float, float], ...] = ()  # its appearances in its video
    tracks: np.ndarray | None = None  # its tracks' unit vectors, one a row (None: a document without them)


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
    report = link_identities(store, limits.identity_distance, limits.identity_distance, limits.split_distance,
                             limits.cluster_distance)
    log.info("identities: %d persons in %d identities, %d reassigned, %d held by user edits",
             report.persons, report.identities, report.changed, report.pinned)
    return report


def link_identities(store: IndexBackend, identity_distance: float, same_video_distance: float,
                    single_view_distance: float | None = None, bridge_distance: float | None = None) -> LinkReport:
    """Recompute every unpinned person's identity (see the module docstring); returns what it did.
    ``single_view_distance``: how far two one-track persons may lie (None: every person is judged as a
    three-view centroid, at ``identity_distance``). ``bridge_distance``: how far two persons of one video may lie
    when a person of another video vouches for both (None: never beyond ``same_video_distance``)."""
    pins = pinned_persons(store)
    members = []
    for pid, body in store.scan(IndexName.PERSONS, with_vectors=True):
        if not body.get("face_vec"):
            continue
        vector = np.asarray(body["face_vec"], np.float32)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        pinned = pins.get(pid) if pins.get(pid) == body.get("identity_id") else None
        members.append(_Member(pid, body["video_id"], vector, pinned, body.get("name") if pinned else None, body,
                               views_of(body), spans_of(body), tracks_of(body)))
    members.sort(key=lambda m: m.person_id)
    report = LinkReport(persons=len(members), pinned=sum(1 for m in members if m.pinned))
    if not members:
        return report
    assignment = assign_identities(members, identity_distance, same_video_distance, single_view_distance,
                                   bridge_distance)
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


def views_of(body: dict) -> int:
    """How many views a person document's centroid averages: its tracks, 1 to 3."""
    return max(1, min(_FULL_VIEWS, int(body.get("track_count") or _FULL_VIEWS)))


_FULL_VIEWS = 3  # the centroid level identity_distance was calibrated at (3 faces each)


def tracks_of(body: dict) -> np.ndarray | None:
    """A person document's track vectors as unit rows; None when it has none (written before they were stored)."""
    rows = body.get("track_vecs")
    if not rows:
        return None
    tracks = np.asarray(rows, np.float32)
    return tracks / np.maximum(np.linalg.norm(tracks, axis=1, keepdims=True), 1e-12)


def spans_of(body: dict) -> tuple[tuple[float, float], ...]:
    return tuple((float(a["start_s"]), float(a["end_s"])) for a in body.get("appearances") or [])


def _on_screen_together(a: _Member, b: _Member) -> bool:
    return any(s < f and t < e for s, e in a.spans for t, f in b.spans)


def allowance(views: np.ndarray, identity_distance: float, single_view_distance: float | None) -> np.ndarray:
    """How much farther than ``identity_distance`` each pair of persons (``views``: tracks of each) may lie:
    ``t(a, b) - identity_distance`` with ``t(a, b)² = t∞² + σ² (1/a + 1/b)`` fixed by t(3, 3) = identity
    distance and t(1, 1) = ``single_view_distance`` (zero where that is None or not above it)."""
    views = np.asarray(views, np.float64)
    if single_view_distance is None or single_view_distance <= identity_distance:
        return np.zeros((len(views), len(views)))
    full = 2.0 / _FULL_VIEWS
    sigma2 = (single_view_distance ** 2 - identity_distance ** 2) / (2.0 - full)
    floor2 = identity_distance ** 2 - sigma2 * full
    inverse = 1.0 / np.clip(views, 1, _FULL_VIEWS)
    return np.sqrt(floor2 + sigma2 * (inverse[:, None] + inverse[None, :])) - identity_distance


def assign_identities(members: Sequence[_Member], identity_distance: float, same_video_distance: float,
                      single_view_distance: float | None = None,
                      bridge_distance: float | None = None) -> dict[str, tuple[str, str | None]]:
    """Person id → (identity id, name) for persons sorted by id."""
    vectors = np.stack([m.vector for m in members])
    views = np.array([m.views for m in members])
    reach = max(identity_distance, single_view_distance or 0.0)
    clusters: list[list[int]] = []
    for component in _components(vectors, reach, _track_rows(members)):
        clusters += _cluster(component, members, vectors, identity_distance, same_video_distance,
                             allowance(views[component], identity_distance, single_view_distance), bridge_distance)
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


def _track_rows(members: Sequence[_Member]) -> tuple[np.ndarray, np.ndarray]:
    """Every member's track vectors stacked, and the member each row belongs to."""
    rows = [(i, m.tracks) for i, m in enumerate(members) if m.tracks is not None]
    if not rows:
        return np.zeros((0, members[0].vector.shape[0]), np.float32), np.zeros(0, int)
    return (np.concatenate([t for _, t in rows]).astype(np.float32),
            np.concatenate([np.full(len(t), i) for i, t in rows]))


def _components(vectors: np.ndarray, distance: float,
                tracks: tuple[np.ndarray, np.ndarray] | None = None) -> list[list[int]]:
    """Connected components of 'within ``distance``' (average linkage never joins across them): two persons whose
    centroids lie within it, or (``tracks``: rows and their owners) any of whose tracks do — the track distance
    between two persons is never below their nearest pair of tracks."""
    n = len(vectors)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    floor = 1.0 - distance * distance / 2.0  # dot product of unit vectors at that distance
    rows, owners = tracks if tracks is not None else (vectors[:0], np.zeros(0, int))
    for matrix, owner in ((vectors, np.arange(n)), (rows, owners)):
        for start in range(0, len(matrix), _BLOCK):
            dots = matrix[start:start + _BLOCK] @ matrix.T
            for i, j in zip(*np.nonzero(dots >= floor - 1e-6), strict=True):
                a, b = find(int(owner[start + int(i)])), find(int(owner[int(j)]))
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _cluster(indices: list[int], members: Sequence[_Member], vectors: np.ndarray, distance: float,
             same_video_distance: float, extra: np.ndarray | None = None,
             bridge_distance: float | None = None) -> list[list[int]]:
    """Constrained average linkage inside one component; pinned identities start as one cluster each.
    ``extra``: per pair of the component, how much farther than ``distance`` it may lie."""
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
    between = track_distances([members[i] for i in indices], pair)
    judged = between - extra if extra is not None else between
    vouched = _vouched(indices, members, pair, judged, distance, bridge_distance)
    m = len(clusters)
    blocked = np.zeros((m, m), bool)
    for a in range(m):
        for b in range(a + 1, m):
            blocked[a, b] = blocked[b, a] = _apart(clusters[a], clusters[b], members, pair, local,
                                                   same_video_distance, vouched)
    merged = average_linkage([[local[i] for i in c] for c in clusters], judged, blocked, distance)
    return [sorted(indices[k] for k in c) for c in merged]


def track_distances(members: Sequence[_Member], centroid: np.ndarray) -> np.ndarray:
    """Distance between each two persons: where both carry track vectors, the mean over each one's tracks of the
    distance to the other's nearest track, averaged both ways; else their ``centroid`` distance.

    A centroid averages views unevenly (a person seen in one long frontal track and one short turned one lies
    where neither is), so one person's persons in two videos lay up to 0.369 apart and look-alikes from 0.333
    (dev, held-out-like capture): each track finding its nearest counterpart compares like views with like."""
    out = np.array(centroid, np.float64, copy=True)
    have = [k for k, m in enumerate(members) if m.tracks is not None]
    if len(have) < 2:
        return out
    rows = np.concatenate([members[k].tracks for k in have])
    starts = np.cumsum([0] + [len(members[k].tracks) for k in have])
    dist = np.asarray(distance_of(np.clip(rows @ rows.T, -1.0, 1.0)), np.float64)
    nearest = np.minimum.reduceat(dist, starts[:-1], axis=1)  # each track → each person's nearest track
    mean = np.add.reduceat(nearest, starts[:-1], axis=0) / np.diff(starts)[:, None]  # person → person, one way
    both = (mean + mean.T) / 2.0
    out[np.ix_(have, have)] = both
    np.fill_diagonal(out, 0.0)
    return out


def _vouched(indices: list[int], members: Sequence[_Member], pair: np.ndarray, judged: np.ndarray,
             distance: float, bridge_distance: float | None) -> set[tuple[int, int]]:
    """Pairs (local indices) of persons of one video within ``bridge_distance``, never on screen together,
    that a person of another video lies within the allowance of (``judged`` ≤ ``distance``) for both."""
    if bridge_distance is None:
        return set()
    near = judged <= distance
    vouched = set()
    for x in range(len(indices)):
        for y in range(x + 1, len(indices)):
            a, b = members[indices[x]], members[indices[y]]
            if a.video_id != b.video_id or pair[x, y] > bridge_distance or _on_screen_together(a, b):
                continue
            if any(members[indices[k]].video_id != a.video_id for k in np.flatnonzero(near[x] & near[y])):
                vouched.add((x, y))
    return vouched


def _apart(a: list[int], b: list[int], members: Sequence[_Member], pair: np.ndarray, local: dict[int, int],
           same_video_distance: float, vouched: set[tuple[int, int]] = frozenset()) -> bool:
    """May these two clusters never join? Two pinned identities, or two persons of one video not re-checked
    as the same person and not vouched for by a person of another video."""
    if members[a[0]].pinned and members[b[0]].pinned:
        return True
    for i in a:
        for j in b:
            x, y = sorted((local[i], local[j]))
            if (members[i].video_id == members[j].video_id and pair[x, y] > same_video_distance
                    and (x, y) not in vouched):
                return True
    return False
