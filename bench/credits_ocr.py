"""End-credit OCR benchmark, name by name: names read exactly, name CER, (role, name) pairs exactly right, the
share of names whose credit time (where a search hit points) falls while the name is entirely on screen — per
layout case and per name origin (native Korean, Hangul-written foreign, Latin, company) — and CPU-seconds per
second of roll (Tesseract processes included), with the issue's targets printed beside them.

Every roll (bench/credits_rolls.py, dev data only) goes through the whole pipeline as ingest runs it: locate the
credit section in the video, read it, lay out the credits. Results go to bench/results/credits_ocr.json.

    nice -n 10 python bench/credits_ocr.py --quick      # 6 rolls: a subset while iterating
    nice -n 10 python bench/credits_ocr.py --roles      # every dev layout, and the role codes of the titles read
    nice -n 10 python bench/credits_ocr.py --split heldout   # acceptance only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import shared_eval  # noqa: E402
from bench.credits_rolls import QUICK, RollCase, cases, ensure_rendered  # noqa: E402
from testkit.credits.namescore import NameScore, ReadCredit, score_names  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.credits.pipeline import CreditExtractor  # noqa: E402
from testkit.credits.scoring import RollScore, score_lines  # noqa: E402
from vidsearch.credits.stage import credit_pairs  # noqa: E402


def roll_seconds(truth) -> float:
    """How long credits are on screen: from the first line's appearance to the last line's exit."""
    return max(line.last_s for line in truth.lines) - min(line.first_s for line in truth.lines)


TARGETS = {"exact": 0.95, "cer": 0.02, "pairs": 0.95, "timed": 0.98, "role_accuracy": 0.97, "cpu_per_roll_s": 1.0}


def cpu_seconds() -> float:
    """CPU of this process and its finished children (the Tesseract processes) so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def name_row(score: NameScore) -> dict:
    def r(x: float | None) -> float | None:
        return round(x, 4) if x is not None else None
    return {"names": score.names, "exact": r(score.ratio("exact", "names")), "cer": r(score.cer),
            "pairs": r(score.ratio("pairs_right", "names")), "timed": r(score.ratio("timed", "exact")),
            "pair_precision": r(score.pair_precision),
            "counts": {k: getattr(score, k) for k in ("names", "exact", "chars", "edits", "timed", "pairs_right",
                                                      "found_pairs", "correct_found")}}


def fmt(value: float | None, target: float, lower_is_better: bool = False) -> str:
    if value is None:
        return "    -   "
    ok = value <= target if lower_is_better else value >= target
    return f"{value:6.3f}{' ' if ok else '!'} "


def gold_codes(shared: Path) -> dict[str, tuple[str, ...]]:
    """Role title → EBU codes, from the EBU list (English names the sampler drew) and the authored Korean titles."""
    import csv

    from vidsearch.credits.roles.taxonomy import DEFAULT_TITLE_FILES

    gold: dict[str, tuple[str, ...]] = {}
    with (shared / "dev" / "credits" / "ebu_role_taxonomy" / "ebu_RoleCodeCS_flat.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name = " ".join((row.get("name") or "").replace('"', "").split()).split(" / ")[0].strip()
            if name and "." in row["termID"]:
                gold.setdefault(name, (row["termID"],))
    for path in DEFAULT_TITLE_FILES:
        if path.name.startswith("ko"):
            for line in path.read_text(encoding="utf-8").splitlines():
                fields = line.split("\t")
                if len(fields) >= 2 and "." in fields[0]:
                    gold.setdefault(fields[1], (fields[0],))
    return gold


def role_outcomes(settings: Settings, roles: list[str], gold: dict[str, tuple[str, ...]]) -> dict:
    """The stage's assigner on the role titles read off the rolls: selective accuracy and coverage where the
    drawn title has a known code (composites: every part)."""
    from vidsearch.credits.roles import load_role_mapper
    from vidsearch.credits.roles.assign import RoleAssigner, composite_parts

    assigner = RoleAssigner(load_role_mapper(settings), settings.credits.role_min_confidence,
                            settings.credits.role_min_margin)
    labelled = []
    for role in roles:
        parts = composite_parts(role)
        codes = [gold.get(p) for p in parts]
        if parts and all(codes):
            labelled.append((role, tuple(c[0] for c in codes)))
    mapped = right = 0
    for (role, codes), assignment in zip(labelled, assigner.assign([r for r, _ in labelled])):
        if assignment.codes:
            mapped += 1
            right += {m.code for m in assignment.codes} == set(codes) and assignment.status.value == "mapped"
    return {"titles": len(labelled), "mapped": mapped, "right": right,
            "selective_accuracy": round(right / mapped, 4) if mapped else None,
            "coverage": round(mapped / len(labelled), 4) if labelled else None}


def shifted(case: RollCase, lead_in_s: float) -> RollCase:
    """The same roll with ``lead_in_s`` more seconds of plain lead before it: the roll itself is unchanged, only
    when it starts relative to the video's keyframes and the scan's samples moves. 0: the case as it is (the same
    rendered file)."""
    if not lead_in_s:
        return case
    spec = case.spec.model_copy(update={"lead_in_s": case.spec.lead_in_s + lead_in_s})
    return replace(case, name=f"{case.name}+{lead_in_s:g}s", spec=spec)


def spread(by_phase: dict[str, dict[float, NameScore]]) -> dict[str, dict]:
    """Per layout, min / mean / max of names exact and pairs right over the lead-in phases."""
    out = {}
    for kind, phases in by_phase.items():
        row = {"phases": {f"{k:g}": name_row(v) for k, v in phases.items()}}
        for measure, count in (("exact", "exact"), ("pairs", "pairs_right")):
            values = [s.ratio(count, "names") or 0.0 for s in phases.values()]
            row[measure] = {"min": round(min(values), 4), "mean": round(sum(values) / len(values), 4),
                            "max": round(max(values), 4)}
        out[kind] = row
    return out


def total(by_case: dict[str, NameScore]) -> NameScore:
    overall = NameScore()
    for score in by_case.values():
        overall.add(score)
    return overall


def write(args: argparse.Namespace, rows: list[dict], by_case: dict[str, NameScore], by_origin: dict[str, NameScore],
          lines_total: RollScore, cpu_total: float, roll_total: float, roles: dict | None,
          by_phase: dict[str, dict[float, NameScore]]) -> Path:
    result = {"split": args.split, "ocr_model": "kor" if args.plain_kor else "korx (extended, if it builds)",
              "rolls": len(rows), "targets": TARGETS, "overall": name_row(total(by_case)),
              "line_cer": round(lines_total.cer, 4), "cpu_per_roll_s": round(cpu_total / max(roll_total, 1e-9), 3),
              "by_case": {k: name_row(v) for k, v in by_case.items()},
              "by_origin": {k: name_row(v) for k, v in sorted(by_origin.items())}, "roles_on_rolls": roles,
              "lead_in_s": args.lead_in, "phase_spread": spread(by_phase) if len(args.lead_in) > 1 else None,
              "cases": rows, "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
                                         "python": platform.python_version()}}
    out = args.out or default_out(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def default_out(args: argparse.Namespace) -> Path:
    """Where the figures go without ``--out``: a run of every layout is the recorded result under bench/results;
    a partial run (``--only``, ``--quick``) goes under ``--work``, so it never overwrites the recorded full run."""
    name = f"credits_ocr{'_heldout' if args.split == 'heldout' else ''}.json"
    if args.only or args.quick:
        return args.work / name
    return REPO / "bench" / "results" / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/vidsearch-credit-rolls"))
    parser.add_argument("--split", choices=("dev", "heldout"), default="dev")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="case names (e.g. two_column busy_video)")
    parser.add_argument("--roles", action="store_true", help="also map the role titles read (loads the mapper)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results JSON (default: bench/results/ for a full run, --work for --only/--quick)")
    parser.add_argument("--errors", action="store_true", help="print every misread name and wrong pair")
    parser.add_argument("--lead-in", type=float, nargs="+", default=[0.0], metavar="S",
                        help="read each roll again after S more seconds of plain lead (the roll unchanged, sampled at "
                        "other moments): per layout, the spread over these phases (e.g. 0 0.6 1.3 2.9)")
    parser.add_argument("--plain-kor", action="store_true",
                        help="read with Debian's kor as shipped, not the extended korx (ocr.extend_korean=false)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=args.work / "data", log_level="WARNING")
    if args.plain_kor:
        settings.ocr = settings.ocr.model_copy(update={"extend_korean": False})
    extractor = CreditExtractor.from_settings(settings)

    by_case: dict[str, NameScore] = {}
    by_origin: dict[str, NameScore] = defaultdict(NameScore)
    lines_total = RollScore()
    rows, roles_read = [], []
    cpu_total = roll_total = 0.0
    todo = [c for c in cases(args.split, args.quick) if not args.only or c.kind in args.only]
    todo.sort(key=lambda c: c.kind not in QUICK)  # the quick subset first: a cut-short run still covers it
    by_phase: dict[str, dict[float, NameScore]] = defaultdict(dict)
    for case, lead_in in ((shifted(c, s), s) for c in todo for s in args.lead_in):
        video, truth = ensure_rendered(case, args.work)
        cpu_before, started = cpu_seconds(), time.perf_counter()
        reading = extractor.extract(video)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
        read = [ReadCredit(line.role_text, name, line.time, line.start_time, line.end_time)
                for line, name in credit_pairs(reading.lines)]
        roles_read += [line.role_text for line in reading.lines if line.role_text]
        scores = score_names(truth, read)
        lines = score_lines(truth, reading.text)
        lines_total.add(lines)
        by_case.setdefault(case.kind, NameScore()).add(scores["all"])  # every phase counts
        by_phase[case.kind][lead_in] = scores["all"]
        for origin, score in scores.items():
            if origin != "all":
                by_origin[origin].add(score)
        seconds_on_screen = roll_seconds(truth)
        cpu_total += cpu
        roll_total += seconds_on_screen
        row = {"case": case.name, **case.tags(), "lead_in_s": lead_in, **name_row(scores["all"]),
               "by_origin": {o: name_row(s) for o, s in scores.items() if o != "all"},
               "line_cer": round(lines.cer, 4), "seconds": round(elapsed, 2), "cpu_s": round(cpu, 2),
               "roll_s": round(seconds_on_screen, 2), "cpu_per_roll_s": round(cpu / seconds_on_screen, 3),
               "sections": [[s.start_s, s.end_s] for s in reading.sections], "unreadable": len(reading.unreadable)}
        rows.append(row)
        print(f"{case.name:28s} names {scores['all'].names:3d} exact {row['exact']:.3f} CER {row['cer']:.3f} "
              f"pairs {row['pairs']:.3f} timed {row['timed'] or 0:.3f} cpu/roll-s {row['cpu_per_roll_s']:.2f}",
              flush=True)
        if args.errors:
            for error in scores["all"].errors + [e for o, s in scores.items() if o != "all" for e in s.errors]:
                print("    ", error)
        write(args, rows, by_case, by_origin, lines_total, cpu_total, roll_total, None, by_phase)  # partial
    overall = total(by_case)
    roles = role_outcomes(settings, roles_read, gold_codes(shared_eval())) if args.roles else None
    out = write(args, rows, by_case, by_origin, lines_total, cpu_total, roll_total, roles, by_phase)
    t = TARGETS
    print(f"\n{'group':22s} {'names':>5s}  {'exact':>7s} {'CER':>7s} {'pairs':>7s} {'timed':>7s}")
    print(f"{'target':22s} {'':5s}  >={t['exact']:<5} <={t['cer']:<5} >={t['pairs']:<5} >={t['timed']:<5}")
    for label, score in [*((f"layout {k}", v) for k, v in by_case.items()),
                         *((f"origin {k}", v) for k, v in sorted(by_origin.items())), ("ALL", overall)]:
        r = name_row(score)
        print(f"{label:22s} {score.names:5d}  {fmt(r['exact'], t['exact'])}{fmt(r['cer'], t['cer'], True)}"
              f"{fmt(r['pairs'], t['pairs'])}{fmt(r['timed'], t['timed'])}")
    print(f"pair precision {overall.pair_precision or 0:.3f}; line CER {lines_total.cer:.2%}; "
          f"CPU-seconds per second of roll {cpu_total / roll_total:.2f} (target <= {t['cpu_per_roll_s']}; "
          f"{cpu_total:.0f} CPU-s for {roll_total:.0f} s of roll, Tesseract children included)")
    if roles:
        print(f"role titles read off the rolls with a known code: {roles['titles']}; mapped {roles['mapped']} "
              f"(coverage {roles['coverage']}), selective accuracy {roles['selective_accuracy']} "
              f"(target >= {t['role_accuracy']})")
    if len(args.lead_in) > 1:
        print(f"\nspread over lead-in phases {' '.join(f'{x:g}' for x in args.lead_in)} s (min / mean / max)")
        for kind, row in spread(by_phase).items():
            e, p = row["exact"], row["pairs"]
            print(f"{kind:22s} exact {e['min']:.3f} / {e['mean']:.3f} / {e['max']:.3f}   "
                  f"pairs {p['min']:.3f} / {p['mean']:.3f} / {p['max']:.3f}")
    print("('!' marks a measure that misses its target)")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
