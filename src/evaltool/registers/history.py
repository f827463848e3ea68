"""Register history before start (covariates) and pseudo-starts for comparison persons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_int
from evaltool.exceptions import RegisterError
from evaltool.registers.codemap import CodeMap
from evaltool.registers.outcomes import OutcomeSpec, derive_outcomes

__all__ = ["history_covariates", "assign_pseudo_start", "DEFAULT_HISTORY"]

DEFAULT_HISTORY = ((52, "public_support"), (156, "public_support"), (156, "self_support"), (156, "placement"))


def history_covariates(persons: pd.DataFrame, panel: Any, code_map: CodeMap,
                       windows=DEFAULT_HISTORY, *, id_col: str = "person_id", start_col: str = "start_week",
                       unknown_codes: str = "error", engine: str = "auto",
                       memory_limit: str | None = None) -> pd.DataFrame:
    """Share of weeks in a category or group over the ``w`` weeks before start.

    Parameters
    ----------
    persons, panel, code_map, id_col, start_col, unknown_codes, engine, memory_limit
        As in :func:`evaltool.registers.derive_outcomes`.
    windows : sequence of (int, str)
        ``(w, name)``: weeks ``[-w, -1]`` before start, category/group name (or ``self_support``).

    Returns
    -------
    DataFrame
        Indexed by person id, one column ``<name>_share_<w>w`` per window (e.g.
        ``public_support_share_156w``), values in [0, 1].
    """
    specs = []
    for w, name in windows:
        check_int("windows[].weeks", w, low=1, exc=RegisterError)
        specs.append(OutcomeSpec(f"{name}_share_{w}w", "share", (name,), window=(-int(w), -1)))
    return derive_outcomes(persons, panel, code_map, specs, id_col=id_col, start_col=start_col,
                           unknown_codes=unknown_codes, engine=engine, memory_limit=memory_limit).frame


def assign_pseudo_start(persons: pd.DataFrame, treatment: str | pd.Series, seed: int, *,
                        start_col: str = "start_week", id_col: str = "person_id") -> pd.DataFrame:
    """Give comparison persons without a start week a pseudo-start drawn from the treated starts.

    Draws (with replacement, seeded) from the empirical distribution of the treated persons' start
    weeks, so the comparison pool's calendar time mirrors the treated group's. Draws are made in
    person-id order, so the result does not depend on row order. The input is not changed.

    Parameters
    ----------
    persons : DataFrame
    treatment : str or Series
        Treatment column name (or a 0/1 Series aligned with ``persons``).
    seed : int
    start_col, id_col : str

    Returns
    -------
    DataFrame
        A copy of ``persons`` with ``start_col`` filled for comparison persons (integer YYYYWW).
    """
    check_int("seed", seed, low=0, exc=RegisterError)
    treat = persons[treatment] if isinstance(treatment, str) else treatment
    treat = pd.Series(np.asarray(treat), index=persons.index)
    if not treat.isin([0, 1]).all():
        raise RegisterError("`treatment` must be 0/1 for every person")
    start = persons[start_col] if start_col in persons.columns else pd.Series(np.nan, index=persons.index)
    treated_missing = (treat == 1) & start.isna()
    if treated_missing.any():
        raise RegisterError(f"{int(treated_missing.sum())} treated person(s) have no {start_col!r}; "
                            "treated persons need their real start week")
    pool = np.sort(start[treat == 1].to_numpy(dtype=np.int64))
    if pool.size == 0:
        raise RegisterError("no treated persons with a start week to draw pseudo-starts from")
    need = (treat == 0) & start.isna()
    out = persons.copy()
    filled = start.copy()
    if need.any():
        ids = persons.loc[need, id_col] if id_col in persons.columns else persons.index[need]
        order = np.argsort(np.asarray(ids), kind="stable")
        draws = np.random.default_rng(seed).choice(pool, size=int(need.sum()), replace=True)
        values = np.empty_like(draws)
        values[order] = draws
        filled.loc[need] = values
    out[start_col] = filled.astype(np.int64)
    return out
