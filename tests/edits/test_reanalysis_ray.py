"""Edits survive a real re-analysis: ``vidsearch index --force`` runs the Ray Data ingest job (a local Ray of its
own, ``address="local"``) over a programme with a credit roll and a clip with a face, after archivists corrected a
caption, a synopsis, a credit, a person's name and an unmapped role title. The edits still win; the synopsis
whose machine value (the sidecar) changed under its edit is flagged for review; the mapped title is coded by the
role mapper itself, and the mapping alone reruns the credit stage."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.credits.conftest import DEPARTMENTS, write_taxonomy_slice
from testkit.credits.filler import FillerSpec
from testkit.credits.render import CreditEntry, CreditRollSpec, render_credit_roll
from testkit.faces.devdata import HAMILTON_CLIP
from vidsearch.config import load_settings
from vidsearch.edits.desk import EditDesk
from vidsearch.schema import IndexName
from vidsearch.store import open_store

pytestmark = pytest.mark.slow  # two Ray ingest runs with OCR, the role mapper and face detection

ROLL = [CreditEntry(role="연출", names=("김민수",)), CreditEntry(role="녹음실장", names=("홍길동",)),
        CreditEntry(role="편집", names=("박서준",))]
CODE = "23.1"  # Sound Mixer: 녹음실장 (OCR has read it 녹음팀장) is left unmapped by the base mapper
STAGES = ["shots", "metadata", "scene_text", "credits", "text_vectors", "faces"]


@dataclass
class Archive:
    videos: Path
    sidecar: Path
    env: dict[str, str]

    def settings(self):
        return load_settings(data_dir=Path(self.env["VIDSEARCH_DATA_DIR"]), log_level="WARNING",
                             ingest={"stages": STAGES},
                             credits={"role_taxonomy_path": self.env["VIDSEARCH_CREDITS__ROLE_TAXONOMY_PATH"],
                                      "role_title_files": json.loads(self.env["VIDSEARCH_CREDITS__ROLE_TITLE_FILES"])})

    def index(self, *flags: str) -> dict:
        # minutes each on a busy 2-core machine: OCR of the roll, the role mapper, face detection
        done = run_cli("index", str(self.videos), "--json", *flags, env=self.env, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def archive(tmp_path_factory, shared) -> Archive:
    root = tmp_path_factory.mktemp("reanalysis-ray")
    videos = root / "videos"
    videos.mkdir()
    spec = CreditRollSpec(entries=ROLL, width=1280, height=720, fps=10, scroll_speed=0.15, lead_in_s=2.0)
    render_credit_roll(spec, videos / "programme.mp4", FillerSpec(seconds=6.0))
    sidecar = videos / "programme.json"
    sidecar.write_text(json.dumps({"programme_title": "여행의 발견", "synopsis": "machine synopsis, first cut"}),
                       encoding="utf-8")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(shared / "eval" / HAMILTON_CLIP), "-t", "6",
                    "-c:v", "libx264", "-crf", "26", "-an", str(videos / "hamilton.mp4")], check=True, timeout=120)
    ebu, titles = write_taxonomy_slice(shared, root / "taxonomy", (*DEPARTMENTS, "20"))
    env = {"VIDSEARCH_DATA_DIR": str(root / "data"), "VIDSEARCH_INGEST__STAGES": json.dumps(STAGES),
           "VIDSEARCH_RAY__NUM_CPUS": "2", "VIDSEARCH_LOG_LEVEL": "WARNING",
           "VIDSEARCH_CREDITS__ROLE_TAXONOMY_PATH": str(ebu),
           "VIDSEARCH_CREDITS__ROLE_TITLE_FILES": json.dumps([str(p) for p in titles])}
    made = Archive(videos, sidecar, env)
    summary = made.index()
    assert summary["videos_ok"] == 2, summary
    return made


def _ids(store) -> tuple[str, str, dict[str, dict]]:
    videos = {body["file_name"]: vid for vid, body in store.scan(IndexName.VIDEOS)}
    credits = {cid: body for cid, body in store.scan(IndexName.CREDITS)
               if body["video_id"] == videos["programme.mp4"]}
    return videos["programme.mp4"], videos["hamilton.mp4"], credits


def test_edits_survive_index_force_and_a_changed_machine_value_is_flagged(archive):
    settings = archive.settings()
    store = open_store(settings)
    programme, hamilton, credits = _ids(store)
    assert len(credits) == len(ROLL), credits
    # the title as the machine read it, which the mapper could not code: what the archivist sees in the queue
    [(title_id, title_credit)] = [(c, b) for c, b in credits.items() if b["role_status"] == "unmapped"]
    title = title_credit["role_text"]
    assert title.startswith("녹음") and title_credit.get("role_code") is None
    assert _stage_mapper(settings).assign([title])[0].best is None
    [director_id] = [c for c, b in credits.items() if b["role_text"] == "연출"]
    [segment_id, *_] = sorted(sid for sid, body in store.scan(IndexName.SEGMENTS) if body["video_id"] == programme)
    desk = EditDesk(store, settings)
    desk.edit("segment", segment_id, {"caption": "해운대 해수욕장 노을", "synopsis": "an archivist's synopsis"},
              who="alice", reason="the machine missed it")
    desk.edit("credit", director_id, {"name": "김민준"}, who="alice", reason="misread name")
    identity = max((i for i in desk.identities() if hamilton in i.videos), key=lambda i: i.face_count)
    desk.rename_identity(identity.identity_id, "Alexander Hamilton", who="alice")
    store.close()

    mapped = run_cli("edits", "map-role", title, CODE, "--who", "carol", env=archive.env)
    assert mapped.returncode == 0, mapped.stderr
    plan = json.loads(run_cli("index", str(archive.videos), "--dry-run", "--json", env=archive.env).stdout)
    reasons = next(r for path, r in plan["run"].items() if path.endswith("programme.mp4"))
    assert "model role_titles added" in reasons["credits"]  # the mapping alone reruns the credit stage
    assert _stage_mapper(settings).assign([title])[0].best.code == CODE  # the mapper itself codes it
    archive.sidecar.write_text(json.dumps({"programme_title": "여행의 발견", "synopsis": "machine synopsis, recut"}),
                               encoding="utf-8")  # new machine value under the synopsis edit

    summary = archive.index("--force")  # the whole re-analysis, every stage, through Ray
    assert summary["videos_ok"] == 2, summary

    store = open_store(settings)
    desk = EditDesk(store, settings)
    try:
        state = desk.item("segment", segment_id)
        assert state.values["caption"] == "해운대 해수욕장 노을"  # the edits still win ...
        assert state.values["synopsis"] == "an archivist's synopsis"
        assert state.machine["synopsis"] == "machine synopsis, recut"
        assert state.review == ["synopsis"]  # ... and the one whose machine value changed is flagged
        segment = store.get(IndexName.SEGMENTS, [segment_id])[segment_id]
        assert segment["caption"] == "해운대 해수욕장 노을" and segment["synopsis"] == "an archivist's synopsis"
        assert [r.target_id for r in desk.review()] == [segment_id]
        credit = store.get(IndexName.CREDITS, [director_id])[director_id]
        assert credit["name"] == "김민준" and desk.item("credit", director_id).review == []
        assert "Alexander Hamilton" in {i.name for i in desk.identities() if hamilton in i.videos}
        coded = store.get(IndexName.CREDITS, [title_id])[title_id]
        assert coded["role_code"] == CODE and coded["role_status"] == "mapped"
    finally:
        store.close()
    _, _, rerun = _ids_reopened(settings)
    assert set(rerun) == set(credits)  # the rerun made the same credits (stable ids), no duplicates


def _stage_mapper(settings):
    """The role assigner exactly as the credit stage builds it (no edit layer involved)."""
    from vidsearch.credits.roles import load_role_mapper
    from vidsearch.credits.roles.assign import RoleAssigner

    credits = settings.credits
    return RoleAssigner(load_role_mapper(settings), credits.role_min_confidence, credits.role_min_margin)


def _ids_reopened(settings):
    store = open_store(settings)
    try:
        return _ids(store)
    finally:
        store.close()

