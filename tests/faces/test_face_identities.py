"""Archive identities: linking across videos after the commits, naming, merging, splitting, and undoing any
of it."""

from __future__ import annotations

import uuid

import pytest

from tests.store.test_backend_behaviour import NO_CLUSTER
from vidsearch.config import Settings
from vidsearch.documents import Person
from vidsearch.errors import InvalidQuery, NotFound
from vidsearch.faces.identities import IdentityBook
from vidsearch.faces.search import search_by_photo
from vidsearch.schema import IndexName
from vidsearch.store.embedded.store import EmbeddedStore


def _elasticsearch(tmp_path):
    from vidsearch.store.elasticsearch.backend import ElasticsearchStore

    if not Settings().es_url:
        pytest.skip(NO_CLUSTER)
    store = ElasticsearchStore(
        Settings(
            data_dir=tmp_path,
            es={"index_prefix": f"vidsearch-test-{uuid.uuid4().hex[:8]}", "number_of_replicas": 0},
        )
    )
    yield store
    for index in IndexName:
        for version in store.versions.list(index):
            store.client.indices.delete(index=version.name)
    store.close()


def _embedded(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture(params=["embedded", "elasticsearch"])
def book(request, archive, tmp_path, face_model, face_limits):
    """A private copy of the indexed archive (these tests change identities), in each backend: identity state
    lives in the index, so it must behave the same on Elasticsearch."""
    _, source = archive
    stores = (_embedded if request.param == "embedded" else _elasticsearch)(tmp_path)
    store = next(stores)
    store.ensure_indices(source.encoders())
    for index in (IndexName.VIDEOS, IndexName.PERSONS):
        ids = [i for i, _ in source.scan(index)]
        store.upsert(index, list(source.get(index, ids, with_vectors=True).items()))
    store.refresh()
    yield IdentityBook(store, face_model.identity, face_limits.identity_distance, face_limits.cluster_distance)
    next(stores, None)


_ON_SCREEN = {
    "news.mp4": {"Angelina": 6.0, "Mark": 16.0, "Scarlett": 24.0},
    "talk.mp4": {"Angelina": 2.0, "Jennifer": 7.0},
}  # a moment each person is on screen


def _person_of(book: IdentityBook, video: str, who: str) -> tuple[str, dict]:
    """The person document for ``who`` in ``video`` (a file name), found by when they are on screen."""
    video_id = next(i for i, b in book.store.scan(IndexName.VIDEOS) if b["file_name"] == video)
    t = _ON_SCREEN[video][who]
    for pid, body in book.store.scan(IndexName.PERSONS):
        if body["video_id"] == video_id and any(a["start_s"] <= t <= a["end_s"] for a in body["appearances"]):
            return pid, body
    raise AssertionError(f"{who} not found in {video}")


def _identity_of(book: IdentityBook, video: str, who: str) -> str:
    return _person_of(book, video, who)[1]["identity_id"]


def _state(book: IdentityBook) -> dict[str, tuple]:
    return {pid: (b.get("identity_id"), b.get("name")) for pid, b in book.store.scan(IndexName.PERSONS)}


def test_a_new_video_attaches_to_the_identities_already_in_the_archive(book):
    summaries = book.identities()
    assert len(summaries) == 4  # Angelina (both videos), Mark, Scarlett, Jennifer
    both = [s for s in summaries if len(s.videos) == 2]
    assert len(both) == 1 and len(both[0].persons) == 2
    assert _identity_of(book, "news.mp4", "Angelina") == _identity_of(book, "talk.mp4", "Angelina")


def test_naming_reaches_every_video_and_later_videos(book, archive, people):
    angelina = _identity_of(book, "news.mp4", "Angelina")
    book.name(angelina, "Angelina Jolie")
    assert {b.get("name") for b in book.members(angelina).values()} == {"Angelina Jolie"}
    settings, _ = archive
    result = search_by_photo(people["Angelina"][0].path, settings, book.store)
    assert {p.name for v in result.videos for p in v.persons} == {"Angelina Jolie"}
    # the talk show is indexed again from scratch: its Angelina re-attaches, name included
    talk_id = next(i for i, b in book.store.scan(IndexName.VIDEOS) if b["file_name"] == "talk.mp4")
    bodies = book.store.get(
        IndexName.PERSONS,
        [p for p, b in book.store.scan(IndexName.PERSONS) if b["video_id"] == talk_id],
        with_vectors=True,
    )
    book.store.delete(IndexName.PERSONS, list(bodies))
    fresh = [
        Person.from_doc(pid, {k: v for k, v in body.items() if k not in ("identity_id", "name")})
        for pid, body in bodies.items()
    ]
    assert book.carry_over(fresh) == 0  # its persons are gone: nothing to carry over
    book.store.upsert(IndexName.PERSONS, [(p.id, p.to_doc()) for p in fresh])
    book.store.refresh()
    book.link()
    relinked = {(b.get("identity_id"), b.get("name")) for pid, b in book.store.scan(IndexName.PERSONS)
                if pid in bodies}
    assert (angelina, "Angelina Jolie") in relinked and len(relinked) == 2  # Angelina, and Jennifer unnamed


def test_reindexing_keeps_assignments_users_made(book):
    mark = _identity_of(book, "news.mp4", "Mark")
    book.name(mark, "Mark")
    bodies = book.store.get(IndexName.PERSONS, list(book.members(mark)), with_vectors=True)
    again = [
        Person.from_doc(pid, {k: v for k, v in body.items() if k not in ("identity_id", "name")})
        for pid, body in bodies.items()
    ]
    assert book.carry_over(again) == len(again)
    assert {(p.identity_id, p.name) for p in again} == {(mark, "Mark")}


def test_a_wrong_merge_is_undone_exactly(book):
    before = _state(book)
    angelina = _identity_of(book, "news.mp4", "Angelina")
    mark = _identity_of(book, "news.mp4", "Mark")
    book.name(mark, "Mark")
    named = _state(book)
    merge = book.merge(angelina, [mark])
    assert len(book.identities()) == 3
    assert {b["name"] for b in book.members(angelina).values()} == {"Mark"}  # the only name among them
    with pytest.raises(NotFound):
        book.members(mark)
    undo = book.undo()
    assert undo.undoes == merge.id and _state(book) == named
    book.undo()  # and the naming
    assert _state(book) == before
    history = book.history()
    assert [e.kind for e in history] == ["undo", "undo", "merge", "name"]
    assert history[2].undone_by == undo.id


def test_split_moves_persons_to_a_new_identity_and_back(book):
    angelina = _identity_of(book, "news.mp4", "Angelina")
    before = _state(book)
    talk_person, _ = _person_of(book, "talk.mp4", "Angelina")
    event = book.split(angelina, [talk_person])
    new = event.identity_ids[1]
    assert list(book.members(new)) == [talk_person] and talk_person not in book.members(angelina)
    book.undo(event.id)
    assert _state(book) == before


def test_an_undo_that_would_clobber_a_later_change_is_refused(book):
    angelina = _identity_of(book, "news.mp4", "Angelina")
    scarlett = _identity_of(book, "news.mp4", "Scarlett")
    person = sorted(book.members(angelina))[0]
    split = book.split(angelina, [person])
    merged = book.merge(scarlett, [split.identity_ids[1]])
    with pytest.raises(InvalidQuery, match="undo the later change first"):
        book.undo(split.id)
    book.undo(merged.id)
    book.undo(split.id)
    assert person in book.members(angelina)
    with pytest.raises(InvalidQuery, match="already undone"):
        book.undo(split.id)


def test_bad_requests_name_the_problem(book):
    angelina = _identity_of(book, "news.mp4", "Angelina")
    with pytest.raises(NotFound, match="no identity 'id-nobody'"):
        book.name("id-nobody", "X")
    with pytest.raises(InvalidQuery, match="not in identity"):
        book.split(angelina, ["someone.p009"])
    with pytest.raises(InvalidQuery, match="not all"):
        book.split(angelina, list(book.members(angelina)))
    with pytest.raises(InvalidQuery, match="empty"):
        book.name(angelina, "  ")
    with pytest.raises(NotFound, match="nothing to undo"):
        book.undo()


def test_persons_indexed_without_linking_are_linked_later(book):
    ids = [pid for pid, _ in book.store.scan(IndexName.PERSONS)]
    bodies = book.store.get(IndexName.PERSONS, ids, with_vectors=True)
    book.store.upsert(
        IndexName.PERSONS,
        [
            (pid, {k: v for k, v in b.items() if k not in ("identity_id", "name")})
            for pid, b in bodies.items()
        ],
    )
    book.store.refresh()
    assert book.identities() == []
    report = book.link()
    assert report.persons == report.changed == len(ids)
    assert len(book.identities()) == 4
    assert book.link().changed == 0  # idempotent


def test_renaming_to_the_same_name_records_nothing(book):
    mark = _identity_of(book, "news.mp4", "Mark")
    assert book.name(mark, "Mark") is not None
    assert book.name(mark, " Mark ") is None
    assert [e.kind for e in book.history()] == ["name"]


def test_linking_keeps_named_identities_and_their_names(book):
    angelina = _identity_of(book, "news.mp4", "Angelina")
    book.name(angelina, "Angelina Jolie")
    before = _state(book)
    assert book.link().changed == 0 and _state(book) == before
    person = sorted(book.members(angelina))[0]
    split = book.split(angelina, [person])  # the user says: not the same person
    book.link()
    assert _identity_of(book, "news.mp4", "Angelina") != _identity_of(book, "talk.mp4", "Angelina")
    assert list(book.members(split.identity_ids[1])) == [person]
