"""``vidsearch relevance`` as a relevance engineer uses it: evaluate run files, tune weights into a profile, fuse
with that profile, compare runs with significance tests — each leaving a readable report with figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from ranking.evaluation import evaluate, load_judgments, load_trec_run
from ranking.evaluation.judgments import save_trec_qrels
from ranking.evaluation.runs import save_trec_run
from ranking.profiles import load_profile
from tests.conftest import run_cli
from tests.ranking.test_tuning import planted
from vidsearch.cli.relevance import app

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("relevance")
    runs, judgments = planted(5, queries=60)
    paths = {"qrels": save_trec_qrels(judgments, folder / "qrels.trec")}
    for name, run in runs.items():
        paths[name] = save_trec_run(run, folder / f"{name}.run")
    paths["folder"] = folder
    return paths


def invoke(*args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def looks_like_a_figure(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= 500 and image.height >= 300
        colours = image.convert("RGB").resize((64, 64)).getcolors(64 * 64)
        assert colours is not None and len(colours) > 5  # not a blank canvas


def test_eval_scores_run_files_and_writes_a_report(files, tmp_path) -> None:
    out = tmp_path / "eval"
    result = invoke("eval", "-j", str(files["qrels"]), "-r", f"bm25={files['bm25']}", "-r",
                    f"dense={files['dense']}", "--metrics", "ndcg@10,recall@20,mrr", "--out", str(out))
    assert result.exit_code == 0, result.output
    report = (out / "report.md").read_text()
    assert "| bm25 |" in report and "| dense |" in report and "ndcg@10" in report
    looks_like_a_figure(out / "metrics.png")
    means = json.loads((out / "results.json").read_text())["means"]
    direct = evaluate(load_judgments(files["qrels"]), load_trec_run(files["bm25"]), ["ndcg@10"]).means["ndcg@10"]
    assert means["bm25"]["ndcg@10"] == pytest.approx(direct)


def test_sweep_saves_a_profile_that_eval_then_fuses_with(files, tmp_path) -> None:
    profiles, out = tmp_path / "profiles", tmp_path / "sweep"
    result = invoke("sweep", "-j", str(files["qrels"]), "-r", f"bm25={files['bm25']}", "-r",
                    f"dense={files['dense']}", "--step", "0.1", "--normalization", "minmax,zscore",
                    "--missing", "zero,min", "--rrf", "--save-profile", "planted", "--profiles-dir", str(profiles),
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "best on 30 training queries" in result.output and "on 30 validation queries" in result.output
    profile = load_profile("planted", profiles)
    assert 0 < profile.weights["bm25"] < 1 and profile.tuned.train_queries == 30
    report = (out / "report.md").read_text()
    assert "Against the best single retriever" in report and "randomisation" in report
    for figure in ("weights.png", "per_query_tuned__planted.png"):
        looks_like_a_figure(out / figure)
    fused = invoke("eval", "-j", str(files["qrels"]), "-r", f"bm25={files['bm25']}", "-r",
                   f"dense={files['dense']}", "--profile", "planted", "--out", str(tmp_path / "eval"),
                   env={"VIDSEARCH_RANKING__PROFILES_DIR": str(profiles)})
    assert fused.exit_code == 0, fused.output
    means = json.loads((tmp_path / "eval" / "results.json").read_text())["means"]
    assert means["profile planted"]["ndcg@10"] > max(means["bm25"]["ndcg@10"], means["dense"]["ndcg@10"])


def test_compare_reports_deltas_and_both_significance_tests(files, tmp_path) -> None:
    out = tmp_path / "compare"
    result = invoke("compare", "-j", str(files["qrels"]), "-r", f"bm25={files['bm25']}", "-r",
                    f"dense={files['dense']}", "--trials", "2000", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "dense vs bm25 ndcg@10" in result.output and "randomisation p=" in result.output
    comparisons = json.loads((out / "results.json").read_text())["comparisons"]
    assert {c["metric"] for c in comparisons} == {"ndcg@10", "recall@100", "mrr@10"}
    looks_like_a_figure(out / "per_query_dense.png")


def test_bad_inputs_get_one_line_and_warnings_not_tracebacks(files, tmp_path) -> None:
    lonely = invoke("compare", "-j", str(files["qrels"]), "-r", str(files["bm25"]), "--out", str(tmp_path / "c"))
    said = " ".join(lonely.output.replace("│", " ").split())
    assert lonely.exit_code == 2 and "at least two runs" in said and "--run" in said
    assert "qrels" not in said  # the judgments are fine: the message names the input that is short
    broken = tmp_path / "broken.run"
    broken.write_text("q1 Q0 d1 one 0.5 x\n")
    bad = invoke("eval", "-j", str(files["qrels"]), "-r", str(broken), "--out", str(tmp_path / "e"))
    assert bad.exit_code == 2 and "broken.run:1" in bad.output and "Traceback" not in bad.output
    messy = tmp_path / "messy.run"
    messy.write_text("q0 Q0 rel0 1 nan x\nq0 Q0 d9 2 0.3 x\n")
    empty = tmp_path / "empty.run"
    empty.write_text("")
    warned = invoke("eval", "-j", str(files["qrels"]), "-r", f"messy={messy}", "-r", f"empty={empty}", "--out",
                    str(tmp_path / "w"))
    assert warned.exit_code == 0, warned.output
    assert "NaN or infinite scores excluded" in warned.output and "is empty" in warned.output
    negative = invoke("sweep", "-j", str(files["qrels"]), "-r", str(files["bm25"]), "--step", "0.3", "--out",
                      str(tmp_path / "s"))
    assert negative.exit_code == 2 and "must divide 1" in negative.output
    no_runs = invoke("eval", "-j", str(files["qrels"]), "--out", str(tmp_path / "n"), "--data-dir",
                     str(tmp_path / "data"))
    assert no_runs.exit_code == 2 and "no run files and no query texts" in no_runs.output


def test_the_installed_command_runs(files, tmp_path) -> None:
    result = run_cli("relevance", "eval", "-j", str(files["qrels"]), "-r", str(files["dense"]), "--out",
                     str(tmp_path / "cli"), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "cli" / "report.md").is_file() and "ndcg@10" in result.stdout


def test_eval_warns_when_a_profile_loses_to_its_best_single_list(files, tmp_path) -> None:
    from ranking.profiles import FusionProfile, save_profile

    profiles = tmp_path / "profiles"
    save_profile(FusionProfile(name="dense-heavy", weights={"bm25": 0.02, "dense": 0.98},
                               normalization="max"), profiles)
    save_profile(FusionProfile(name="balanced", weights={"bm25": 0.5, "dense": 0.5}), profiles)
    # dense alone misses the relevant document on a third of the queries; bm25 alone on another third.
    weak = save_trec_run(_worse_dense(files), tmp_path / "weak.run")
    result = invoke("eval", "-j", str(files["qrels"]), "-r", f"bm25={files['bm25']}", "-r", f"dense={weak}",
                    "--profile", "dense-heavy", "--profile", "balanced", "--profiles-dir", str(profiles),
                    "--out", str(tmp_path / "eval"))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "profile dense-heavy loses to its best single list bm25 on ndcg@10" in said
    assert "profile balanced loses" not in said


def _worse_dense(files):
    """The planted dense run with its relevant documents pushed down on most queries: clearly worse than bm25."""
    from ranking.evaluation.runs import Run
    from ranking.fusion.lists import RankedList

    dense = load_trec_run(files["dense"])
    rankings = {}
    for i, (query, ranking) in enumerate(dense.rankings.items()):
        ids = [d for d in ranking.ids if not d.startswith("rel")]
        relevant = [d for d in ranking.ids if d.startswith("rel")]
        ids = ids[:25] + relevant + ids[25:] if i % 4 else list(ranking.ids)
        rankings[query] = RankedList("dense", ids, ranking.scores[: len(ids)])
    return Run("dense", rankings)
