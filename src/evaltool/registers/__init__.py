"""Weekly status registers (DREAM style): code maps, outcomes, history covariates, trajectories.

A panel holds one row per person-week with a status code; a week without a row means the person
was self-supported. Outcomes and trajectories are defined relative to each person's start week
(week 0) and computed with pandas for small panels or DuckDB over parquet for large ones.
"""

from evaltool.registers.codemap import SELF_SUPPORT, CodeMap, default_code_map_path, load_code_map
from evaltool.registers.history import DEFAULT_HISTORY, history_covariates
from evaltool.registers.pseudo_start import assign_pseudo_start
from evaltool.registers.outcomes import KINDS, DerivedOutcomes, OutcomeSpec, derive_outcomes
from evaltool.registers.trajectories import TrajectoryResult, trajectories

__all__ = [
    "CodeMap", "load_code_map", "default_code_map_path", "SELF_SUPPORT",
    "OutcomeSpec", "DerivedOutcomes", "derive_outcomes", "KINDS",
    "history_covariates", "assign_pseudo_start", "DEFAULT_HISTORY",
    "TrajectoryResult", "trajectories",
]
