"""Listing, reading and caching objects against the real S3 server, below the CLI: pages, a deleted object, an
object that changed after planning, and the cache's byte budget."""

from __future__ import annotations

import pytest

from ray_jobs.plan import _probe_row, probe_rows
from tests.sources.conftest import BUCKET
from vidsearch.config import Settings
from vidsearch.sources.cache import ObjectCache
from vidsearch.sources.objects import ObjectEntry, UnreadableObject, list_pages
from vidsearch.sources.settings import SourceSettings

EXTENSIONS = (".mp4",)


@pytest.fixture
def sources(s3, monkeypatch) -> SourceSettings:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    return SourceSettings(s3_endpoint_url=s3.url, list_page_keys=50)


def test_a_prefix_streams_in_pages_of_the_configured_size(s3, sources):
    client = s3.client()
    client.create_bucket(Bucket="paged")
    for i in range(230):
        client.put_object(Bucket="paged", Key=f"many/k{i:04d}.mp4", Body=b"x")
    pages = list(list_pages("s3://paged/many/", sources, EXTENSIONS))
    assert [len(p.entries) for p in pages] == [50, 50, 50, 50, 30]
    assert len({e.uri for p in pages for e in p.entries}) == 230
    top = list(list_pages("s3://paged/", sources, EXTENSIONS, recursive=False))
    assert [p for page in top for p in page.prefixes] == ["s3://paged/many/"]


def test_an_object_deleted_between_listing_and_reading_is_reported_by_uri(s3, archive, programmes, sources,
                                                                           tmp_path):
    client = s3.client()
    client.upload_file(str(programmes[2]), BUCKET, "volatile/a.mp4")
    client.upload_file(str(programmes[3]), BUCKET, "volatile/b.mp4")
    entries = [e for page in list_pages(f"s3://{BUCKET}/volatile/", sources, EXTENSIONS) for e in page.entries]
    assert len(entries) == 2
    client.delete_object(Bucket=BUCKET, Key="volatile/a.mp4")
    settings = Settings(data_dir=tmp_path / "data", sources=sources)
    rows = [_probe_row(row) for row in probe_rows(entries, settings)]  # what each probe task runs
    by_uri = {r["path"]: r for r in rows}
    gone = by_uri[f"s3://{BUCKET}/volatile/a.mp4"]
    assert gone["probe"] is None and "no longer exists" in gone["error"] and gone["path"] in gone["error"]
    kept = by_uri[f"s3://{BUCKET}/volatile/b.mp4"]["probe"]
    assert kept.path == f"s3://{BUCKET}/volatile/b.mp4" and abs(kept.duration_s - 1.0) < 0.3  # the 1-s clip
    assert kept.content_hash == __import__("hashlib").sha256(programmes[3].read_bytes()).hexdigest()
    cache = ObjectCache.for_settings(sources, settings.data_dir)
    assert [p.name for p in cache.root.iterdir() if p.is_dir()] != []  # b stays cached for its stage actor
    assert cache.bytes_used() >= programmes[3].stat().st_size


def test_an_object_that_changed_after_planning_fails_instead_of_indexing_other_bytes(s3, archive, programmes,
                                                                                      sources, tmp_path):
    client = s3.client()
    client.upload_file(str(programmes[4]), BUCKET, "changing/c.mp4")
    cache = ObjectCache(tmp_path / "cache", 1 << 30)
    entry = ObjectEntry(f"s3://{BUCKET}/changing/c.mp4", programmes[4].stat().st_size)
    with cache.hold(entry, sources) as held:
        planned = held.sha256
    cache.discard(entry)
    client.upload_file(str(programmes[5]), BUCKET, "changing/c.mp4")
    with pytest.raises(UnreadableObject, match="changed after it was listed"):
        with cache.hold(entry, sources, expected_sha256=planned):
            pass
    assert not any(p.is_dir() for p in cache.root.iterdir())


def test_the_cache_stays_within_its_budget_and_never_evicts_a_held_file(s3, archive, programmes, sources,
                                                                         tmp_path):
    client = s3.client()
    sizes = []
    for i in range(6, 10):
        client.upload_file(str(programmes[i]), BUCKET, f"budget/{i}.mp4")
        sizes.append(programmes[i].stat().st_size)
    budget = sizes[0] + sizes[1] + sizes[2] + 100  # room for about three
    cache = ObjectCache(tmp_path / "cache", budget)
    entries = [ObjectEntry(f"s3://{BUCKET}/budget/{i}.mp4", sizes[i - 6]) for i in range(6, 10)]
    with cache.hold(entries[0], sources) as pinned:
        for entry in entries[1:]:
            with cache.hold(entry, sources):
                pass
            assert cache.bytes_used() <= budget + 200  # + the tiny digest files
        assert pinned.path.is_file()  # the held one survived every eviction
    too_big = ObjectEntry(f"s3://{BUCKET}/budget/6.mp4", budget + 1)
    with pytest.raises(UnreadableObject, match="more than the local object cache holds"):
        with cache.hold(too_big, sources):
            pass


def test_a_checkpoint_from_another_pipeline_version_reruns_and_says_why(sources, tmp_path):
    from ray_jobs.plan import plan_ingest
    from vidsearch.media.probe import VideoProbe
    from vidsearch.schema import IndexName
    from vidsearch.stages import build_stages
    from vidsearch.store import open_store

    # planning reads the metadata sidecar beside the object (none here) from the test's S3 server
    settings = Settings(data_dir=tmp_path / "data", ingest={"stages": ["shots", "metadata"]}, sources=sources)
    stages = build_stages(settings)
    probe = VideoProbe("s3://archive/a.mp4", 10, "ab" * 32, 4.0, 25.0, 320, 180, 0, "h264", False, False)
    store = open_store(settings)
    try:
        store.ensure_indices({})
        doc = {"path": probe.path, "paths": [probe.path], "file_name": "a.mp4", "content_hash": probe.content_hash,
               "duration_s": 4.0, "stages": {"shots": stages[0].version, "metadata": "0-old"}}
        store.upsert(IndexName.VIDEOS, [(probe.video_id, doc)])
        plan = plan_ingest([{"path": probe.path, "probe": probe, "error": None}], stages, store, settings)
    finally:
        store.close()
    # a checkpoint without fingerprints (another pipeline version wrote it): every stage reruns, and says why
    assert [w.pending for w in plan.work] == [["shots", "metadata"]]
    assert plan.work[0].video.path == "s3://archive/a.mp4"  # a URI stays a URI
    assert plan.work[0].reasons["metadata"] == "checkpoint from before fingerprints (stage version 0-old)"


def test_a_sidecar_object_is_part_of_the_metadata_fingerprint_as_a_local_sidecar_is(s3, archive, sources,
                                                                                   tmp_path):
    """Editing, adding or removing the sidecar object beside a video object reruns metadata, exactly as with
    a sidecar file beside a local video; the same sidecar bytes give the same fingerprint either way."""
    from ray_jobs.plan import plan_ingest
    from ray_jobs.sink import checkpoint_records
    from vidsearch.media.probe import VideoProbe
    from vidsearch.schema import IndexName
    from vidsearch.stages import build_stages
    from vidsearch.stages.graph import StageGraph
    from vidsearch.status import staleness
    from vidsearch.store import open_store

    client = s3.client()
    client.put_object(Bucket=BUCKET, Key="meta/prog.mp4", Body=b"video bytes")
    uri = f"s3://{BUCKET}/meta/prog.mp4"
    settings = Settings(data_dir=tmp_path / "data", ingest={"stages": ["shots", "metadata"]},
                        sources=sources)
    stages = build_stages(settings)
    probe = VideoProbe(uri, 11, "cd" * 32, 4.0, 25.0, 320, 180, 0, "h264", False, False)
    row = {"path": uri, "probe": probe, "error": None}

    def plan():
        store = open_store(settings)
        try:
            store.ensure_indices({})
            planned = plan_ingest([row], stages, store, settings)
            for work in planned.work:  # the stages "ran"; commit as the sink does: records become the checkpoint
                work.ran.update({s.name: s.version for s in stages if s.name in work.pending})
                store.upsert(IndexName.VIDEOS, [(work.video.id, {**work.video.to_doc(),
                                                                 "stages": checkpoint_records(work)})])
            return planned
        finally:
            store.close()

    assert [w.pending for w in plan().work] == [["shots", "metadata"]]  # first run: no sidecar yet
    assert plan().unchanged == [probe.video_id]

    sidecar = '{"programme_title": "버킷 뉴스", "channel": "KBS1"}'.encode()
    client.put_object(Bucket=BUCKET, Key="meta/prog.json", Body=sidecar)
    added = plan()
    assert [w.pending for w in added.work] == [["metadata"]]
    assert "input sidecar" in added.work[0].reasons["metadata"]
    assert plan().unchanged == [probe.video_id]

    local = tmp_path / "local" / "prog.mp4"
    local.parent.mkdir()
    local.write_bytes(b"video bytes")
    local.with_suffix(".json").write_bytes(sidecar)
    graph = StageGraph(stages, settings)
    assert (graph.inputs_for(uri)["metadata"].fingerprint == graph.inputs_for(local)["metadata"].fingerprint)

    client.put_object(Bucket=BUCKET, Key="meta/prog.json", Body=b'{"programme_title": "edited"}')
    store = open_store(settings)
    try:
        videos = list(store.scan(IndexName.VIDEOS))
    finally:
        store.close()
    report = staleness(videos, graph)  # what `vidsearch status` shows: the object is there, its sidecar changed
    assert report["missing_files"] == [] and report["unreachable"] == []
    assert [item["path"] for item in report["by_stage"]["metadata"]] == [uri]
    assert [w.pending for w in plan().work] == [["metadata"]]
    client.delete_object(Bucket=BUCKET, Key="meta/prog.json")
    client.put_object(Bucket=BUCKET, Key="meta/prog.mp4.json", Body=sidecar)  # <file name>.json also counts
    assert graph.inputs_for(uri)["metadata"].record()["video"]["sidecar"].startswith("sha256:")
    assert [w.pending for w in plan().work] == [["metadata"]]
    client.delete_object(Bucket=BUCKET, Key="meta/prog.mp4.json")
    removed = plan()
    assert [w.pending for w in removed.work] == [["metadata"]]
    assert graph.inputs_for(uri)["metadata"].record()["video"]["sidecar"] == "none"
