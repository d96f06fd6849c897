"""testkit's ListObjectsV2 page server (used to list 100,000 keys in bench/object_listing.py) answers the
product's listing exactly as moto's S3 implementation does for the same keys: same objects, sizes, ETags, pages,
sub-prefixes and errors."""

from __future__ import annotations

import pytest

from testkit.s3_listing import ListingS3, key_names, list_page
from vidsearch.sources.objects import ObjectStoreError, exists, list_pages
from vidsearch.sources.settings import SourceSettings

KEYS = 2_345  # three pages of 1,000 under the prefix, ten sub-prefixes, every seventh key a .json


def _listing(server: ListingS3, monkeypatch, **settings) -> dict:
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    sources = SourceSettings(s3_endpoint_url=server.url, **settings)
    uri = f"s3://{server.bucket}/archive/"
    pages = list(list_pages(uri, sources, (".mp4",)))
    top = list(list_pages(f"s3://{server.bucket}/", sources, (".mp4",), recursive=False))
    one_level = list(list_pages(uri, sources, (".mp4",), recursive=False))
    with pytest.raises(ObjectStoreError, match="no such bucket") as missing:
        list(list_pages("s3://nobucket/archive/", sources, (".mp4",)))
    return {
        "entries": [[(e.uri, e.size, e.etag) for e in p.entries] for p in pages],
        "ignored": [p.ignored for p in pages],
        "top": [(p.prefixes, len(p.entries)) for p in top],
        "one_level": [(p.prefixes, len(p.entries), p.ignored) for p in one_level],
        "exists": (exists(uri, sources, (".mp4",)), exists(f"s3://{server.bucket}/elsewhere/", sources, (".mp4",))),
        "missing": missing.value.reason.split(" (")[0],
    }


@pytest.fixture(scope="module")
def servers():
    with ListingS3("moto", KEYS) as moto, ListingS3("pages", KEYS) as pages:
        yield moto, pages


def test_the_page_server_lists_what_moto_lists(servers, monkeypatch):
    moto, pages = servers
    reference = _listing(moto, monkeypatch)
    names = sorted(key_names(KEYS, 10))
    videos = [[n for n in names[at:at + 1000] if n.endswith(".mp4")] for at in range(0, KEYS, 1000)]
    assert [[e[0] for e in p] for p in reference["entries"]] == [[f"s3://listing/{n}" for n in p] for p in videos]
    assert sum(reference["ignored"]) == KEYS - sum(map(len, videos)) > 300
    assert reference["one_level"] == [([f"s3://listing/archive/{d}/" for d in range(10)], 0, 0)]
    assert reference["exists"] == (True, False)
    assert _listing(pages, monkeypatch) == reference


def test_small_pages_and_delimiters_match_too(servers, monkeypatch):
    moto, pages = servers
    reference = _listing(moto, monkeypatch, list_page_keys=7)
    assert _listing(pages, monkeypatch, list_page_keys=7) == reference


def test_a_page_resumes_after_a_rolled_up_prefix():
    names = ["a/1/x", "a/1/y", "a/2/x", "a/3", "b"]
    assert list_page(names, "a/", "/", "", 1) == ([], ["a/1/"], "a/1/")
    assert list_page(names, "a/", "/", "a/1/", 1) == ([], ["a/2/"], "a/2/")
    assert list_page(names, "a/", "/", "a/2/", 5) == (["a/3"], [], None)
    assert list_page(names, "", "", "a/2/x", 2) == (["a/3", "b"], [], None)
