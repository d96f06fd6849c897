"""A real S3 server (moto, signature checks on) with an archive of tiny rendered programmes in a bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.s3 import MotoS3
from vidsearch.media.synth import Scene, render_scenes

BUCKET = "archive"
PROGRAMMES = 99  # tiny clips; with the corrupt object, the 100 video inputs of the bad-input case


def render_programmes(folder: Path, count: int) -> list[Path]:
    """Distinct 1-s 160x90 clips (each its own words and colours, so no two hash alike)."""
    paths = []
    for i in range(count):
        scene = Scene((f"뉴스 {i}", f"news {i}"), ((i * 37) % 255, 40, 90), (90, (i * 53) % 255, 120), 1.0)
        paths.append(render_scenes(folder / f"prog{i:03d}.mp4", [scene], size=(160, 90), fps=5))
    return paths


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    with MotoS3(log=tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(scope="session")
def programmes(tmp_path_factory) -> list[Path]:
    return render_programmes(tmp_path_factory.mktemp("programmes"), PROGRAMMES)


@pytest.fixture(scope="session")
def archive(s3, programmes) -> dict[str, str]:
    """Bucket layout: news/<year>/progNNN.mp4 over three sub-prefixes (so listing shards), one corrupt
    object, one non-video key and one metadata sidecar. Returns {uri: what it is}."""
    client = s3.client()
    client.create_bucket(Bucket=BUCKET)
    layout: dict[str, str] = {}
    for i, path in enumerate(programmes):
        key = f"news/{2020 + i % 3}/{path.name}" if i else f"news/{path.name}"
        client.upload_file(str(path), BUCKET, key)
        layout[f"s3://{BUCKET}/{key}"] = "video"
    client.put_object(Bucket=BUCKET, Key="news/2021/broken.mp4", Body=programmes[1].read_bytes()[:700])
    layout[f"s3://{BUCKET}/news/2021/broken.mp4"] = "corrupt"
    client.put_object(Bucket=BUCKET, Key="news/2022/notes.txt", Body=b"running order")
    client.put_object(Bucket=BUCKET, Key="news/prog000.json",
                      Body='{"programme_title": "버킷 뉴스", "channel": "KBS1"}'.encode())
    return layout
