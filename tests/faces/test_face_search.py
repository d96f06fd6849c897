"""Search by photo over an indexed archive, and every kind of bad photo."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from vidsearch.errors import EncoderMismatch, InvalidQuery, VidsearchError
from testkit.faces.composer import face_crop
from vidsearch.faces.errors import FaceIndexOutOfRange, FaceTooSmall, NoFaceFound, NotAnImage, PhotoTooLarge
from vidsearch.faces.search import search_by_photo
from vidsearch.schema import IndexName
from vidsearch.store.base import SearchFilters, VectorRetriever


def _video_id(store, name: str) -> str:
    return next(i for i, b in store.scan(IndexName.VIDEOS) if b["file_name"] == name)


def test_a_photo_never_shown_finds_every_video_with_that_person(archive, people):
    settings, store = archive
    result = search_by_photo(people["Angelina"][0].path, settings, store)
    assert {v.file_name for v in result.videos} == {"news.mp4", "talk.mp4"}
    assert [v.distance for v in result.videos] == sorted(v.distance for v in result.videos)
    assert all(v.distance <= result.max_distance for v in result.videos)
    news = next(v for v in result.videos if v.file_name == "news.mp4")
    spans = [(a.start_s, a.end_s) for a in news.appearances]
    for (start, end), (t_start, t_end) in zip(spans, [(4.0, 14.0), (28.0, 32.0)], strict=True):
        assert abs(start - t_start) <= 1.0 and abs(end - t_end) <= 1.0
    assert news.persons[0].thumbnails and (settings.media_dir / news.persons[0].thumbnails[0]).is_file()


def test_a_person_in_one_video_finds_only_that_video(archive, people):
    settings, store = archive
    result = search_by_photo(people["Mark"][0].path, settings, store)
    assert [v.file_name for v in result.videos] == ["news.mp4"]
    (mark,) = result.videos[0].persons
    assert [(round(a.start_s), round(a.end_s)) for a in mark.appearances] == [(9, 19)]


def test_a_stranger_finds_nothing(archive, people):
    settings, store = archive
    assert search_by_photo(people["Jeff"][0].path, settings, store).videos == []


def test_filters_restrict_the_videos(archive, people):
    settings, store = archive
    talk = _video_id(store, "talk.mp4")
    result = search_by_photo(
        people["Angelina"][0].path, settings, store, filters=SearchFilters(video_ids=[talk])
    )
    assert [v.video_id for v in result.videos] == [talk]


def test_uploaded_bytes_search_like_a_file(archive, people):
    settings, store = archive
    path = people["Scarlett"][0].path
    result = search_by_photo(path.read_bytes(), settings, store, name="upload.jpg")
    assert result.photo == "upload.jpg"
    assert [v.file_name for v in result.videos] == ["news.mp4"]


def _group_photo(people, model, names: list[str], sizes: list[int]) -> np.ndarray:
    canvas = np.full((420, 900, 3), 90, np.uint8)
    x = 20
    for name, size in zip(names, sizes, strict=True):
        canvas[20 : 20 + size, x : x + size] = face_crop(people[name][0].path, model, size)
        x += size + 30
    return canvas


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def test_several_faces_search_the_largest_or_the_one_picked(archive, people, face_model):
    settings, store = archive
    photo = _png(_group_photo(people, face_model, ["Mark", "Jennifer", "Jeff"], [200, 320, 200]))
    largest = search_by_photo(photo, settings, store, name="group.png")
    assert len(largest.faces) == 3 and largest.chosen == 1
    assert [v.file_name for v in largest.videos] == ["talk.mp4"]  # Jennifer
    picked = search_by_photo(photo, settings, store, face_index=0, name="group.png")
    assert picked.chosen == 0 and [v.file_name for v in picked.videos] == ["news.mp4"]  # Mark
    with pytest.raises(FaceIndexOutOfRange, match="has 3 face"):
        search_by_photo(photo, settings, store, face_index=3, name="group.png")


def test_a_photo_without_a_face_says_so(archive):
    settings, store = archive
    landscape = np.zeros((300, 400, 3), np.uint8)
    landscape[150:] = (40, 120, 40)
    with pytest.raises(NoFaceFound, match="sky.png: no face found"):
        search_by_photo(_png(landscape), settings, store, name="sky.png")


def test_a_tiny_face_is_refused_with_its_size(archive, people, face_model):
    settings, store = archive
    canvas = np.full((500, 900, 3), 90, np.uint8)
    canvas[200:250, 400:450] = face_crop(people["Mark"][0].path, face_model, 50)  # the face is ~25 px
    with pytest.raises((FaceTooSmall, NoFaceFound)) as caught:
        search_by_photo(_png(canvas), settings, store, name="far.png")
    assert "far.png" in str(caught.value) and "px" in str(caught.value)


def test_not_an_image_is_refused(archive, tmp_path):
    settings, store = archive
    notes = tmp_path / "notes.jpg"
    notes.write_text("this is a text file with a .jpg name")
    with pytest.raises(NotAnImage, match="notes.jpg: not an image"):
        search_by_photo(notes, settings, store)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(NotAnImage, match="empty"):
        search_by_photo(empty, settings, store)
    with pytest.raises(NotAnImage, match="no such file"):
        search_by_photo(tmp_path / "missing.jpg", settings, store)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(_jpeg(np.zeros((64, 64, 3), np.uint8))[:200])
    with pytest.raises(NotAnImage, match="cut.jpg"):
        search_by_photo(truncated, settings, store)


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image)
    return data.tobytes()


def _png_header_claiming(width: int, height: int) -> bytes:
    """A valid PNG whose header claims a huge size: a decompression bomb the limit must stop before
    decoding."""
    import struct
    import zlib

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = 8 + 8  # signature, then length + "IHDR"
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def test_huge_photos_are_refused_before_decoding(archive, people):
    settings, store = archive
    with pytest.raises(PhotoTooLarge, match="bomb.png: .*pixel limit"):
        search_by_photo(_png_header_claiming(100_000, 100_000), settings, store, name="bomb.png")
    with pytest.raises(PhotoTooLarge, match="9000x9000 is over the 50,000,000-pixel limit"):
        search_by_photo(_png_header_claiming(9000, 9000), settings, store, name="big.png")
    small_limit = settings.model_copy(
        update={"faces": settings.faces.model_copy(update={"max_photo_bytes": 4096})}
    )
    with pytest.raises(PhotoTooLarge, match="MiB is over the 0.0 MiB limit"):
        search_by_photo(people["Mark"][0].path, small_limit, store)


def test_out_of_range_options_are_refused(archive, people):
    settings, store = archive
    with pytest.raises(InvalidQuery, match="k must be"):
        search_by_photo(people["Mark"][0].path, settings, store, k=0)
    with pytest.raises(InvalidQuery, match="max_distance"):
        search_by_photo(people["Mark"][0].path, settings, store, max_distance=-1)


def test_every_photo_error_is_a_one_line_user_error():
    for error in (
        NoFaceFound("a.jpg", "no face found"),
        PhotoTooLarge("a.jpg", "too big"),
        NotAnImage("a.jpg", "not an image"),
    ):
        assert isinstance(error, VidsearchError) and 400 <= error.status < 500 and "\n" not in str(error)


def test_a_query_from_another_face_model_is_refused(archive):
    settings, store = archive
    retriever = VectorRetriever(
        name="face",
        field="face_vec",
        vector=np.ones(128, np.float32) / np.sqrt(128),
        encoder="insightface/buffalo_l/w600k_r50.onnx@deadbeef",
    )
    with pytest.raises(EncoderMismatch):
        store.search(IndexName.PERSONS, [retriever])


def test_a_look_alike_beside_the_person_in_one_video_is_not_returned_too(tmp_path):
    """Persons of one video were told apart by clustering: a photo is at most one of them. The look-alike in
    the same video (just inside the match distance) is dropped; a look-alike alone in its video is not (nothing
    there is nearer), nor a second person of one video within the sure distance (one person split in two)."""
    from vidsearch.documents import Appearance, Person, person_id
    from vidsearch.faces.search import match_persons
    from vidsearch.store.embedded.store import EmbeddedStore

    rng = np.random.default_rng(11)
    query = rng.normal(size=128)
    query /= np.linalg.norm(query)
    side = rng.normal(size=(4, 128))

    def at(distance: float, k: int) -> list[float]:
        s = side[k] - (side[k] @ query) * query
        s /= np.linalg.norm(s)
        angle = 2 * np.arcsin(distance / 2)  # chord length → angle on the unit sphere
        return (np.cos(angle) * query + np.sin(angle) * s).tolist()

    layout = [("v1", 0.20), ("v1", 0.39), ("v2", 0.39), ("v3", 0.18), ("v3", 0.30)]
    store = EmbeddedStore(tmp_path / "store")
    try:
        store.ensure_indices({"face": {"id": "test", "dims": 128}})
        docs = []
        for k, (video, distance) in enumerate(layout):
            person = Person(id=person_id(video, k), video_id=video, cluster=k, face_count=3,
                            appearances=[Appearance(start_s=float(k), end_s=k + 0.5)],
                            face_vec=at(distance, k % 4))
            docs.append((person.id, person.to_doc()))
        store.upsert(IndexName.PERSONS, docs)
        store.refresh()
        found = {m.video_id: sorted(round(p.distance, 2) for p in m.persons)
                 for m in match_persons(store, query, "test", 10, 0.40, sure_distance=0.34)}
        loose = {m.video_id: len(m.persons) for m in match_persons(store, query, "test", 10, 0.40)}
    finally:
        store.close()
    assert found == {"v1": [0.2], "v2": [0.39], "v3": [0.18, 0.3]}
    assert loose == {"v1": 2, "v2": 1, "v3": 2}  # without a sure distance every match within 0.40 counts


def test_a_look_alike_alone_in_its_video_is_not_returned_when_another_identity_is_nearer(tmp_path):
    """A look-alike alone in its programme has no nearer person of its video to hide it. In the overlap band
    (beyond the exclusive distance, within the match distance) a person is returned only when its archive
    identity is the nearest one to the photo: the look-alike's identity is not; the same person's farther
    appearance (linked into the nearest identity) and a band match with nothing nearer are."""
    from vidsearch.config import Settings
    from vidsearch.documents import Appearance, Person, person_id
    from vidsearch.faces.search import EncodedPhoto, match_persons, search_encoded
    from vidsearch.store.embedded.store import EmbeddedStore

    rng = np.random.default_rng(13)
    query = rng.normal(size=128)
    query /= np.linalg.norm(query)

    def at(distance: float) -> list[float]:
        s = rng.normal(size=128)
        s -= (s @ query) * query
        s /= np.linalg.norm(s)
        angle = 2 * np.arcsin(distance / 2)
        return (np.cos(angle) * query + np.sin(angle) * s).tolist()

    # (video, distance to the photo, identity)
    layout = [("own", 0.22, "id-own"), ("double", 0.385, "id-double"), ("own-far", 0.385, "id-own"),
              ("within", 0.35, "id-other")]
    store = EmbeddedStore(tmp_path / "store")
    try:
        store.ensure_indices({"face": {"id": "test", "dims": 128}})
        docs = []
        for k, (video, distance, identity) in enumerate(layout):
            person = Person(id=person_id(video, k), video_id=video, cluster=k, face_count=3,
                            appearances=[Appearance(start_s=float(k), end_s=k + 0.5)],
                            face_vec=at(distance), identity_id=identity)
            docs.append((person.id, person.to_doc()))
        store.upsert(IndexName.PERSONS, docs)
        store.refresh()

        def found(**kwargs) -> set[str]:
            return {m.video_id for m in match_persons(store, query, "test", 10, 0.40, sure_distance=0.34,
                                                      **kwargs)}

        assert found() == {"own", "double", "own-far", "within"}  # one person per video alone keeps the double
        assert found(exclusive_distance=0.37) == {"own", "own-far", "within"}
        # search_encoded applies it by default (dlib: the band starts at the split distance, 0.37)
        encoded = EncodedPhoto(photo="q.jpg", faces=[], chosen=0, vector=query, encoder="test",
                               match_distance=0.40)
        settings = Settings(data_dir=tmp_path / "data")
        off = Settings(data_dir=tmp_path / "data", faces={"exclusive_match_distance": 2.0})
        assert {v.video_id for v in search_encoded(encoded, settings, store).videos} == {"own", "own-far",
                                                                                          "within"}
        assert "double" in {v.video_id for v in search_encoded(encoded, off, store).videos}
        # with the nearest person gone, the double is the nearest identity: a band match with nothing nearer
        store.delete(IndexName.PERSONS, [person_id("own", 0), person_id("own-far", 2), person_id("within", 3)])
        store.refresh()
        assert found(exclusive_distance=0.37) == {"double"}
    finally:
        store.close()


def test_the_overlap_band_starts_at_the_backends_split_distance():
    from vidsearch.faces.models import Thresholds
    from vidsearch.faces.search import exclusive_match_distance

    dlib = Thresholds(match_distance=0.40, cluster_distance=0.39, identity_distance=0.34, min_det_score=0.0,
                      split_distance=0.37)
    assert exclusive_match_distance(None, dlib, 0.40) == 0.37
    assert exclusive_match_distance(0.38, dlib, 0.40) == 0.38
    assert exclusive_match_distance(2.0, dlib, 0.40) is None  # off
    assert exclusive_match_distance(None, dlib, 0.36) is None  # a tighter search has no band
    uncalibrated = Thresholds(match_distance=1.0, cluster_distance=0.95, identity_distance=0.95, min_det_score=0.5)
    assert exclusive_match_distance(None, uncalibrated, 1.0) is None
