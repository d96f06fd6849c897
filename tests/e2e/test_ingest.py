"""The ingest job as an operator runs it: real Ray, real files (good, broken and odd), real store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli, two_scene_clip
from vidsearch.config import Settings
from vidsearch.schema import IndexName
from vidsearch.search import Searcher, SearchRequest
from vidsearch.store.embedded.store import EmbeddedStore

pytestmark = pytest.mark.slow

LONG_KOREAN_NAME = "한국어 파일 이름 " + "아주 긴 방송 제목 " * 7 + ".mp4"  # ~200 bytes of UTF-8
# Root ignores file permissions; dropping these capabilities makes chmod 000 bite as it does for a normal user.
DROP_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def _copy_clip(clip_factory, folder: Path, name: str, words: tuple[str, str]) -> Path:
    source = clip_factory(f"{words[0]}-{words[1]}.mp4", two_scene_clip(words), size=(640, 360))
    target = folder / name
    shutil.copyfile(source, target)
    return target


@pytest.fixture(scope="module")
def messy_folder(clip_factory, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    good = _copy_clip(clip_factory, folder, "good.mp4", ("사과 농장", "banana market"))
    _copy_clip(clip_factory, folder, LONG_KOREAN_NAME, ("한강 공원", "river park"))
    shutil.copyfile(good, folder / "same programme renamed.mp4")
    (folder / "notes.txt").write_text("not a video")
    (folder / "empty.mp4").touch()
    (folder / "truncated.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac",
                    str(folder / "radio.mp4")], check=True)
    locked = folder / "locked.mp4"
    shutil.copyfile(clip_factory("x-y.mp4", two_scene_clip(("x", "y"))), locked)
    locked.chmod(0)
    return folder


def test_a_messy_folder_indexes_what_it_can_and_names_every_failure(messy_folder, tmp_path):
    data = tmp_path / "data"
    prefix = DROP_DAC if os.geteuid() == 0 else []
    result = run_cli("index", str(messy_folder), str(tmp_path / "no such folder"), "--data-dir", str(data),
                     "--json", prefix=prefix)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["videos_ok"] == 2
    assert summary["duplicates"] and summary["duplicates"][0][0].endswith("same programme renamed.mp4")
    failed = {Path(path).name: reason for path, reason in summary["videos_failed"]}
    assert set(failed) == {"empty.mp4", "truncated.mp4", "radio.mp4", "locked.mp4"}
    assert "empty file" in failed["empty.mp4"]
    assert "truncated" in failed["truncated.mp4"]
    assert "no video stream" in failed["radio.mp4"]
    assert "permission denied" in failed["locked.mp4"]
    assert summary["missing_paths"] == [str(tmp_path / "no such folder")]
    assert summary["ignored_files"] == 1  # notes.txt
    # where the time went: phases add up to no more than the job, and each actor's spans lie inside analysis
    assert summary["phases"]["plan"] + summary["phases"]["analyse"] <= summary["wall_s"] + 0.01
    workers = summary["workers"]
    assert sum(w["videos"] for w in workers.values()) >= summary["videos_ok"]
    for worker in workers.values():
        assert 0 < worker["busy_s"] <= worker["last_end_s"] - worker["first_start_s"] + 0.01
        assert 0 <= worker["first_start_s"] <= worker["last_end_s"] <= summary["phases"]["analyse"]

    store = EmbeddedStore(data / "store")
    videos = store.get(IndexName.VIDEOS, [v for v, _ in store.scan(IndexName.VIDEOS)])
    assert {v["file_name"] for v in videos.values()} == {"good.mp4", LONG_KOREAN_NAME}
    good = next(v for v in videos.values() if v["file_name"] == "good.mp4")
    assert any(p.endswith("same programme renamed.mp4") for p in good["paths"])  # one video, both paths

    hits = json.loads(run_cli("search", "banana", "--data-dir", str(data), "--json").stdout)["hits"]
    assert hits[0]["file_name"] == "good.mp4" and hits[0]["start_s"] >= 3.0  # the second scene, 4–8 s

    again = json.loads(run_cli("index", str(messy_folder), "--data-dir", str(data), "--json",
                               prefix=prefix).stdout)
    assert again["videos_unchanged"] == 2 and again["videos_ok"] == 0
    assert store.count(IndexName.SEGMENTS) == sum(v["segment_count"] for v in videos.values())


def test_a_killed_job_resumes_without_duplicates_or_gaps(clip_factory, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    words = [("봄", "spring"), ("여름", "summer"), ("가을", "autumn"), ("겨울", "winter"), ("아침", "morning"),
             ("저녁", "evening")]
    for i, pair in enumerate(words):
        _copy_clip(clip_factory, folder, f"episode{i}.mp4", pair)
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO), "VIDSEARCH_RAY__WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "vidsearch", "index", str(folder), "--data-dir", str(data)],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store_db = data / "store" / "store.sqlite"
    deadline = time.time() + 300
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        if store_db.exists():
            committed = EmbeddedStore(data / "store").count(IndexName.VIDEOS)
            if committed >= 1:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "the job finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its Ray workers, mid-job
    proc.wait()
    partial = EmbeddedStore(data / "store").count(IndexName.VIDEOS)
    assert 1 <= partial < len(words)

    result = run_cli("index", str(folder), "--data-dir", str(data), "--json")
    summary = json.loads(result.stdout)
    assert summary["videos_unchanged"] >= partial and summary["videos_unchanged"] + summary["videos_ok"] == 6
    store = EmbeddedStore(data / "store")
    assert store.count(IndexName.VIDEOS) == 6
    segments = [body for _, body in store.scan(IndexName.SEGMENTS)]
    per_video: dict[str, list[int]] = {}
    for body in segments:
        per_video.setdefault(body["video_id"], []).append(body["index"])
    assert len(per_video) == 6
    assert all(sorted(indices) == list(range(len(indices))) for indices in per_video.values())  # no gaps/dups
    videos = dict(store.scan(IndexName.VIDEOS))
    assert sum(v["segment_count"] for v in videos.values()) == len(segments)


def test_adding_stages_reruns_only_those_and_reuses_the_segments(ray_local, clip_factory, tmp_path):
    from ray_jobs.ingest import run_ingest

    video = _copy_clip(clip_factory, tmp_path, "show.mp4", ("서울 야경", "night market"))
    base = dict(data_dir=tmp_path / "data", ray={"progress_bars": False}, log_level="WARNING")
    first = run_ingest([video], Settings(**base, ingest={"stages": ["shots", "metadata"]}))
    assert first.videos_ok == 1 and "scene_text" not in first.stage_seconds

    second = run_ingest([video], Settings(**base))  # the default adds scene_text and text_vectors
    assert second.videos_ok == 1
    assert set(second.stage_seconds) == {"scene_text", "text_vectors"}  # shots and metadata were not redone
    searcher = Searcher(Settings(**base))
    hits = searcher.search(SearchRequest(query="night market", k=1)).hits
    assert hits and hits[0].start_s >= 3.0 and "night" in (hits[0].text or "").lower()
    checkpoint = searcher.store.get(IndexName.VIDEOS, [hits[0].video_id])[hits[0].video_id]["stages"]
    assert {name: record["version"] for name, record in checkpoint.items()} == {
        "shots": "2", "metadata": "1", "scene_text": "1", "text_vectors": "2"}
