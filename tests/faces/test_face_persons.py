"""Tracks and persons on a composed video whose truth is exact: who is on screen, where, and when."""

from __future__ import annotations

import numpy as np
import pytest

from vidsearch.documents import Person, Segment
from vidsearch.faces.analysis import analyse_frames
from vidsearch.faces.clustering import cluster_vectors
from testkit.faces.evaluation import boundary_errors, majority_identity, pairwise_scores, sighting_labels
from vidsearch.faces.persons import link_segments, merge_spans, person_documents
from vidsearch.faces.settings import FaceSettings
from vidsearch.faces.detection import iou_matrix
from vidsearch.media.frames import Cv2FrameSource


@pytest.fixture(scope="module")
def news_faces(composed_news, face_model, face_limits):
    settings = FaceSettings()
    frames = Cv2FrameSource(composed_news.path).sample(settings.sample_fps)
    return analyse_frames(frames, face_model, settings, face_limits, composed_news.duration_s)


def test_each_person_is_one_identity_and_each_identity_one_person(composed_news, news_faces):
    truth, found, stray = sighting_labels(composed_news, news_faces.persons)
    precision, recall, f1 = pairwise_scores(truth, found)
    assert stray == 0
    assert f1 >= 0.95, (precision, recall)
    identities = [majority_identity(composed_news, p) for p in news_faces.persons]
    assert sorted(identities) == sorted(composed_news.truth())


def test_appearance_segments_are_within_a_second_of_the_truth(composed_news, news_faces):
    truth = composed_news.truth()
    for person in news_faces.persons:
        identity = majority_identity(composed_news, person)
        errors = boundary_errors(truth[identity], person.appearances)
        assert max(errors) <= 1.0, (identity, truth[identity], person.appearances)


def test_tracking_embeds_a_fraction_of_the_faces_it_sees(news_faces):
    stats = news_faces.stats
    assert stats.faces_detected >= 60
    assert stats.embeddings * 3 <= stats.faces_detected, stats.as_dict()


def test_no_track_spans_two_people(composed_news, news_faces):
    for track in news_faces.tracks:
        seen = {composed_news.identity_at(s.t, s.box) for s in track.sightings}
        assert len(seen) == 1, (track.id, seen)


@pytest.mark.slow
def test_without_tracking_every_good_face_is_embedded(composed_talk, face_model, face_limits):
    settings = FaceSettings(tracking=False)
    found = analyse_frames(
        Cv2FrameSource(composed_talk.path).sample(settings.sample_fps),
        face_model,
        settings,
        face_limits,
        composed_talk.duration_s,
    )
    assert found.stats.embeddings == found.stats.faces_passed > 0
    truth, labels, _ = sighting_labels(composed_talk, found.persons)
    assert pairwise_scores(truth, labels)[2] >= 0.95


def test_person_documents_carry_centroid_appearances_and_thumbnails(composed_news, news_faces, tmp_path):
    docs = person_documents("vid1", news_faces.persons, tmp_path)
    assert [d.id for d in docs] == [f"vid1.p{i:03d}" for i in range(len(docs))]
    for doc, person in zip(docs, news_faces.persons, strict=True):
        assert len(doc.face_vec) == 128
        assert doc.face_count == sum(len(t.sightings) for t in person.tracks)
        assert doc.first_s == doc.appearances[0].start_s
        assert doc.thumbnails and all((tmp_path / t).is_file() for t in doc.thumbnails)
        # every track's own vector (archive linking compares persons track by track), stored as written
        tracks = [t.vector if t.vector is not None else t.stray_vector for t in person.tracks]
        assert len(doc.track_vecs) == sum(v is not None for v in tracks) >= 1
        assert np.allclose(doc.track_vecs[0], next(v for v in tracks if v is not None), atol=1e-6)
        assert Person.from_doc(doc.id, doc.to_doc()).track_vecs == doc.track_vecs
    # a re-run with fewer persons leaves no stale thumbnails behind
    person_documents("vid1", news_faces.persons[:1], tmp_path)
    assert len(list((tmp_path / "vid1" / "faces").glob("*.jpg"))) == len(docs[0].thumbnails)


def test_segments_list_the_persons_on_screen(composed_news, news_faces, tmp_path):
    docs = person_documents("vid1", news_faces.persons, tmp_path, write_thumbnails=False)
    shots = composed_news.shots
    segments = [
        Segment(id=f"vid1.s{i:04d}", video_id="vid1", index=i, start_s=s.start_s, end_s=s.end_s)
        for i, s in enumerate(shots)
    ]
    link_segments(segments, docs)
    name_of = {
        d.id: majority_identity(composed_news, p) for d, p in zip(docs, news_faces.persons, strict=True)
    }
    for segment, shot in zip(segments, shots, strict=True):
        expected = {p.photo.identity for p in shot.faces}
        # appearance edges are estimated to within half a sample, so a neighbour may overlap a shot's edge
        core = {
            name_of[pid]
            for pid in segment.person_ids
            if any(
                a.start_s < segment.end_s - 0.5 and a.end_s > segment.start_s + 0.5
                for a in next(d for d in docs if d.id == pid).appearances
            )
        }
        assert core == expected, (shot, segment.person_ids)


def test_spans_merge_over_short_gaps_only():
    assert merge_spans([(6, 8), (0, 2), (2.5, 4)], 1.0) == [(0, 4), (6, 8)]
    assert merge_spans([(0, 1), (3, 4)], 1.0) == [(0, 1), (3, 4)]


def test_faces_seen_together_are_not_merged_even_when_close():
    import numpy as np

    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.96, 0.28, 0.0])  # distance 0.28: close enough to merge
    assert cluster_vectors(np.stack([a, b]), 0.4).tolist() == [0, 0]
    assert cluster_vectors(np.stack([a, b]), 0.4, apart=[(0, 1)]).tolist() == [0, 1]


def test_a_face_seen_with_a_crowd_of_look_alikes_never_joins_them():
    """Hard cannot-link: B shares a frame with A0 only, and lies 0.25 from twenty other faces of A. A soft
    penalty (that one pair's distance set to 2.0) is outvoted: the mean B↔A is (2.0 + 19 × 0.25) / 20 < 0.4."""
    import numpy as np

    rng = np.random.default_rng(7)
    centre = rng.normal(size=64)
    centre /= np.linalg.norm(centre)
    crowd = []
    for _ in range(20):
        v = centre + rng.normal(scale=0.01, size=64)
        crowd.append(v / np.linalg.norm(v))
    side = rng.normal(size=64)
    side -= (side @ centre) * centre
    side /= np.linalg.norm(side)
    b = np.cos(0.25) * centre + np.sin(0.25) * side  # ~0.25 from every face of the crowd
    vectors = np.stack([*crowd, b])
    assert cluster_vectors(vectors, 0.4).tolist() == [0] * 21  # without the constraint B is one of them
    labels = cluster_vectors(vectors, 0.4, apart=[(0, 20)]).tolist()
    assert labels[20] != labels[0]
    assert len(set(labels[:20])) == 1  # the crowd itself still merges


def test_constrained_linkage_equals_plain_average_linkage_without_constraints():
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    from vidsearch.faces.clustering import average_linkage

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(5, 16))
    points = np.concatenate([c + rng.normal(scale=0.3, size=(6, 16)) for c in centres])
    square = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    ours = average_linkage([[i] for i in range(len(points))], square, np.zeros((30, 30), bool), 2.0)
    theirs = fcluster(linkage(pdist(points), "average"), t=2.0, criterion="distance")
    assert sorted(map(sorted, ours)) == sorted(
        sorted(np.flatnonzero(theirs == k).tolist()) for k in set(theirs.tolist()))
    assert 1 < len(ours) < 30  # the cut falls inside the tree, so the comparison means something


def test_iou():
    import numpy as np

    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    overlaps = iou_matrix(boxes, boxes)
    assert overlaps[0, 0] == pytest.approx(1.0)
    assert overlaps[0, 1] == pytest.approx(50 / 150)
    assert overlaps[0, 2] == 0.0


def test_a_person_of_many_tracks_keeps_the_spread_of_its_looks_within_the_document_limit():
    from vidsearch.faces.persons import MAX_TRACK_VECTORS, PersonCluster, track_vectors
    from vidsearch.faces.tracks import FaceTrack

    rng = np.random.default_rng(3)
    centre = rng.normal(size=128)
    looks = [centre + rng.normal(scale=0.05, size=128) for _ in range(40)]  # a host framed alike all programme
    profile = centre + rng.normal(scale=0.6, size=128)  # one shot seen from the side
    tracks = [FaceTrack(id=k, vector=v) for k, v in enumerate(looks)]
    tracks.insert(25, FaceTrack(id=99, vector=profile))
    tracks.append(FaceTrack(id=100))  # a track without a vector
    person = PersonCluster(0, tracks, centre, [(0.0, 1.0)], 41, [])
    kept = np.asarray(track_vectors(person))
    assert len(kept) == MAX_TRACK_VECTORS
    assert any(np.allclose(row, profile) for row in kept)  # the odd look is what linking needs most
    assert all(any(np.allclose(row, v) for v in looks + [profile]) for row in kept)
    few = PersonCluster(0, tracks[:3], centre, [(0.0, 1.0)], 3, [])
    assert np.allclose(track_vectors(few), [t.vector for t in tracks[:3]])  # under the limit: every track, in order
