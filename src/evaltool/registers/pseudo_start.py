"""Pseudo-starts: a start week for comparison persons, drawn to mirror the treated starts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltool._checks import check_int
from evaltool.exceptions import RegisterError

__all__ = ["assign_pseudo_start"]


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
