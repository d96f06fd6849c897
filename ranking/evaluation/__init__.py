"""Relevance evaluation: judgments, runs, metrics, significance tests, and candidate runs from an index."""

from ranking.evaluation.judgments import Judgments, load_judgments, load_queries
from ranking.evaluation.metrics import DEFAULT_METRICS, Evaluation, evaluate, parse_metric
from ranking.evaluation.runs import Run, fuse_runs, load_trec_run, save_trec_run
from ranking.evaluation.significance import compare, paired_t_test, randomisation_test

__all__ = ["DEFAULT_METRICS", "Evaluation", "Judgments", "Run", "compare", "evaluate", "fuse_runs",
           "load_judgments", "load_queries", "load_trec_run", "paired_t_test", "parse_metric",
           "randomisation_test", "save_trec_run"]
