"""Weight tuning: candidate weights on the simplex, pooled scoring, sweeps with a train/validation split."""

from ranking.tuning.pool import CandidatePool, FusionSetting
from ranking.tuning.simplex import simplex_grid, simplex_random
from ranking.tuning.sweep import SweepResult, split_queries, sweep

__all__ = ["CandidatePool", "FusionSetting", "SweepResult", "simplex_grid", "simplex_random", "split_queries",
           "sweep"]
