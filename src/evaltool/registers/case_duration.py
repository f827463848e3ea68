"""Case duration (sagsvarighed) from a weekly panel: weeks to a lasting exit and to a first offer.

* **exit**: the first week ``r`` in ``1..horizon`` that begins ``consecutive_weeks`` weeks in a row
  outside the support categories (a week without a row counts as outside). Persons without such
  a run are censored at the last week ``r`` for which the whole run ``r..r+N-1`` is inside the
  register's coverage (or at ``horizon``).
* **first offer**: the first week ``r`` in ``1..horizon`` in the offer categories (internship, wage
  subsidy, education ...), censored at the register's last week or ``horizon``.

Both are ``time_to`` outcomes (``<name>`` weeks, ``<name>_event`` 0/1) that the Kaplan-Meier and
effect machinery take as they are.

Examples
--------
>>> exit_times(np.array([[1, 1, 0, 1, 0, 0, 0]], dtype=bool), np.array([6]), consecutive=3, horizon=6)
(array([4]), array([1]))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaltool.exceptions import RegisterError
from evaltool.registers.codemap import CodeMap
from evaltool.registers.states import CENSORED, state_matrices

__all__ = ["exit_times", "first_times", "duration_requests", "case_durations"]


def exit_times(support: np.ndarray, observed_to: np.ndarray, consecutive: int, horizon: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Weeks to the first run of ``consecutive`` weeks off support.

    Parameters
    ----------
    support : (n, W) bool
        On support in weeks 0..W-1 since start (column r = week r).
    observed_to : (n,) int
        Last week since start inside the register's coverage.
    consecutive, horizon : int

    Returns
    -------
    (time, event) int arrays.
    """
    off = ~np.asarray(support, dtype=bool)
    n, width = off.shape
    N = int(consecutive)
    # run[r] = off in r..r+N-1 (sliding window sum over the columns)
    c = np.zeros((n, width + 1), dtype=np.int16 if width < 2 ** 15 else np.int64)
    np.cumsum(off, axis=1, dtype=c.dtype, out=c[:, 1:])
    last_start = width - N
    r = np.arange(1, horizon + 1)
    ok_cols = r <= last_start
    runs = np.zeros((n, horizon), dtype=bool)
    k = int(np.count_nonzero(ok_cols))  # weeks 1..k can start a whole run (ok_cols is a prefix)
    runs[:, :k] = (c[:, 1 + N:1 + N + k] - c[:, 1:1 + k]) == N
    verifiable = (r[None, :] + N - 1) <= np.asarray(observed_to)[:, None]
    runs &= verifiable
    hit = runs.any(axis=1)
    first = 1 + np.argmax(runs, axis=1)
    limit = np.clip(np.asarray(observed_to) - N + 1, 0, horizon)
    return np.where(hit, first, limit).astype(np.int64), hit.astype(np.int64)


def first_times(inside: np.ndarray, observed_to: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Weeks to the first week ``1..horizon`` with ``inside`` (column r = week r), censored at coverage."""
    inside = np.asarray(inside, dtype=bool)[:, 1:horizon + 1]
    r = np.arange(1, inside.shape[1] + 1)
    inside = inside & (r[None, :] <= np.asarray(observed_to)[:, None])
    hit = inside.any(axis=1)
    first = 1 + np.argmax(inside, axis=1)
    limit = np.clip(np.asarray(observed_to), 0, horizon)
    return np.where(hit, first, limit).astype(np.int64), hit.astype(np.int64)


def duration_requests(spec: Any) -> list[tuple[dict[str, list[str]], tuple[int, int]]]:
    """The two ``(states, weeks)`` the case durations of ``spec`` read (for :func:`state_matrices`):
    support over weeks ``0..horizon+consecutive-1`` and offers over ``0..horizon``."""
    H, N = int(spec.horizon), int(spec.consecutive_weeks)
    return [({"support": list(spec.support_categories)}, (0, H + N - 1)),
            ({"offer": list(spec.offer_categories)}, (0, H))]


def case_durations(persons: pd.DataFrame, panel: Any, code_map: CodeMap, spec: Any, *, id_col: str = "person_id",
                   start_col: str = "start_week", engine: str = "auto",
                   data_range: tuple[int, int] | None = None,
                   matrices: list[tuple[np.ndarray, list[str]]] | None = None) -> pd.DataFrame:
    """Per-person ``exit``/``exit_event`` and ``first_offer``/``first_offer_event`` (``spec``: CaseDurationSpec).

    ``matrices``: the state matrices of :func:`duration_requests` for ``persons``, if already read
    (:func:`~evaltool.registers.states.state_matrices`); else they are read here.

    Returns
    -------
    DataFrame indexed by person id (persons order).
    """
    H, N = int(spec.horizon), int(spec.consecutive_weeks)
    if matrices is None:
        matrices = state_matrices(persons, panel, code_map, duration_requests(spec), id_col=id_col,
                                  start_col=start_col, engine=engine, data_range=data_range)
    (sup, _), (off, _) = matrices
    if len(sup) != len(persons) or len(off) != len(persons):
        raise RegisterError(f"case_duration: the state matrices have {len(sup)} rows for {len(persons)} persons")
    observed = sup != CENSORED
    if not observed[:, 0].all():
        raise RegisterError("case_duration: the register does not cover the start week of "
                            f"{int((~observed[:, 0]).sum())} person(s)")
    # last observed week since start (coverage is contiguous)
    observed_to = observed.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)
    t_exit, e_exit = exit_times(sup == 0, observed_to, N, H)
    t_off, e_off = first_times(off == 0, np.minimum(observed_to, H), H)
    ids = persons[id_col].to_numpy() if id_col in persons.columns else persons.index.to_numpy()
    return pd.DataFrame({"exit": t_exit, "exit_event": e_exit, "first_offer": t_off, "first_offer_event": e_off},
                        index=pd.Index(ids, name=id_col))
