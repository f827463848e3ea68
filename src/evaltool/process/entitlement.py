"""Remaining dagpenge entitlement from a weekly panel (a week-based reading of the Danish rule).

Rule (configurable in :class:`~evaltool.process.spec.EntitlementSpec`): a person may receive
dagpenge for at most ``max_weeks`` (104 = 2 years) weeks within a reference period of
``period_weeks`` (156 = 3 years) ending at the week in question. At the reference week ``R``:

* ``used`` = benefit weeks in ``(R - period_weeks, R]``;
* ``remaining`` = ``max(max_weeks - used, 0)``;
* ``last_week``: if the person keeps receiving dagpenge every week after ``R``, the first week
  ``R + h`` (h >= 1) at which the weeks used in the rolling period ``(R + h - period_weeks, R + h]``
  reach ``max_weeks`` -- the last week paid. Old weeks leave the period as it rolls, so ``h`` may
  exceed ``remaining``. ``None`` when the entitlement is already used up at ``R``.

Weeks, not hours: the register records a benefit week as a week; supplementary-benefit hours,
re-earning (genoptjening) and extensions are outside this calculation.

Examples
--------
>>> import numpy as np
>>> past = np.zeros((1, 156), bool); past[0, -100:] = True   # 100 weeks up to and including R
>>> used, remaining, h = entitlement_weeks(past, max_weeks=104)
>>> int(used[0]), int(remaining[0]), int(h[0])
(100, 4, 4)
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from evaltool.exceptions import DataError
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import add_weeks

__all__ = ["entitlement_weeks", "remaining_entitlement", "exhaustion_timeline"]


def entitlement_weeks(past: np.ndarray, max_weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Used and remaining weeks, and weeks ``h`` until the last paid week under continued receipt.

    Parameters
    ----------
    past : (n, P) bool array
        Benefit weeks in the reference period; column ``P - 1`` is the reference week ``R``,
        column ``0`` is ``R - P + 1``.
    max_weeks : int

    Returns
    -------
    used, remaining, h : int arrays; ``h`` is ``-1`` where the entitlement is used up at ``R``.
    """
    past = np.asarray(past, dtype=bool)
    n, P = past.shape
    if max_weeks > P:
        raise DataError(f"`max_weeks` ({max_weeks}) cannot exceed the reference period ({P} weeks)")
    used = past.sum(axis=1).astype(np.int64)
    remaining = np.maximum(max_weeks - used, 0)
    # weeks of the past that are still in the period at R + h: columns h .. P-1
    still = np.cumsum(past[:, ::-1], axis=1)[:, ::-1]          # still[:, h] = sum(past[:, h:])
    h_range = np.arange(1, max_weeks + 1)
    in_period = still[:, np.minimum(h_range, P - 1)] * (h_range < P)
    total = in_period + h_range[None, :]
    reached = total >= max_weeks
    h = np.where(remaining > 0, 1 + np.argmax(reached, axis=1), -1)
    return used, remaining, h.astype(np.int64)


def remaining_entitlement(persons: pd.DataFrame, panel: Any, code_map: CodeMap, reference_week: int, spec: Any, *,
                          id_col: str = "person_id", engine: str = "auto",
                          data_range: tuple[int, int] | None = None) -> pd.DataFrame:
    """Per-person entitlement at ``reference_week`` (``spec``: an :class:`EntitlementSpec`).

    Returns
    -------
    DataFrame
        indexed by person id: ``used_weeks``, ``remaining_weeks``, ``last_week`` (YYYYWW or NA),
        ``last_month`` (``YYYY-MM`` of the Monday of ``last_week``, or NA).
    """
    from evaltool.registers.journeys import state_matrix

    frame = pd.DataFrame({id_col: persons[id_col].to_numpy(), "ref": reference_week})
    first_needed = int(add_weeks(reference_week, -(spec.period_weeks - 1)))
    rng = data_range
    mat, _ = state_matrix(frame, panel, code_map, {"benefit": list(spec.categories)},
                          (-(spec.period_weeks - 1), 0), id_col=id_col, start_col="ref", engine=engine,
                          data_range=rng)
    if (mat < 0).any():
        raise DataError(f"entitlement: the register does not cover the reference period "
                        f"{first_needed}-{reference_week}; give a longer panel or a shorter `period_weeks`")
    used, remaining, h = entitlement_weeks(mat == 0, spec.max_weeks)
    last = np.where(h > 0, add_weeks(np.full(len(h), reference_week), np.maximum(h, 0)), 0)
    months = pd.array([_month(int(w)) if w > 0 else pd.NA for w in last], dtype="string")
    out = pd.DataFrame({"used_weeks": used, "remaining_weeks": remaining,
                        "last_week": pd.array(np.where(last > 0, last, 0), dtype="Int64"),
                        "last_month": months}, index=pd.Index(frame[id_col].to_numpy(), name=id_col))
    out.loc[h <= 0, "last_week"] = pd.NA
    return out


def _month(week: int) -> str:
    d = _dt.date.fromisocalendar(week // 100, week % 100, 1)
    return f"{d.year:04d}-{d.month:02d}"


def exhaustion_timeline(ent: pd.DataFrame, reference_week: int, months: int, on_benefit: np.ndarray,
                        min_cell: int = 5) -> pd.DataFrame:
    """How many current recipients lose their entitlement in each of the coming ``months`` months.

    Counts persons on the benefit at the reference week by ``last_month``; months with no one are
    listed with 0. ``below_min_cell`` flags counts in 1..min_cell-1 for disclosure control.
    """
    d = _dt.date.fromisocalendar(reference_week // 100, reference_week % 100, 1)
    labels = []
    y, m = d.year, d.month
    for _ in range(months):
        labels.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    sub = ent.loc[np.asarray(on_benefit, dtype=bool), "last_month"].dropna()
    counts = sub.value_counts()
    rows = [{"month": lab, "n": int(counts.get(lab, 0))} for lab in labels]
    later = int(sub[sub > labels[-1]].size)
    rows.append({"month": f"after {labels[-1]}", "n": later})
    out = pd.DataFrame(rows)
    out["below_min_cell"] = (out["n"] > 0) & (out["n"] < min_cell)
    return out

