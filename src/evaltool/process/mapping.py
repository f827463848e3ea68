"""Target-group mapping at a reference week (Fredericia's "splejseordning").

Who among the residents is on which benefit at the reference ISO week, by area, match group,
education (any person columns the spec names; ``benefit`` is the benefit state read from the
weekly panel), how much dagpenge entitlement the dagpenge recipients have left and when they
lose it, and when the effort's participants started.

Disclosure: the tables hold raw head counts with a ``below_min_cell`` flag on every count in
``1..min_cell-1``; the one disclosure gate of the output folder (``report/disclosure.py``) does
the primary and secondary suppression across all published margins. Nothing here is written to
disk.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.exceptions import DataError
from evaltool.process.entitlement import exhaustion_timeline, remaining_entitlement
from evaltool.registers.codemap import CodeMap
from evaltool.registers.journeys import state_matrix

__all__ = ["MappingResult", "run_mapping", "REMAINING_BANDS"]

BENEFIT = "benefit"
REMAINING_BANDS = ((0, 0, "0"), (1, 13, "1-13"), (14, 26, "14-26"), (27, 52, "27-52"), (53, 104, "53-104"),
                   (105, 10_000, "105+"))


@dataclass(frozen=True)
class MappingResult(ResultMixin):
    """The ``mapping`` results block.

    Attributes
    ----------
    crosstab : DataFrame
        One row per observed combination of the ``by`` columns: ``n``, ``share`` (of all mapped
        residents), ``share_in_<first by>`` and ``below_min_cell``.
    margins : dict of str -> DataFrame
        One-way counts for each ``by`` column.
    entitlement : DataFrame or None
        Dagpenge recipients by remaining-weeks band (and first ``by`` column).
    timeline : DataFrame or None
        Recipients losing their entitlement per coming month.
    starts : DataFrame
        Participants (treated) by start month/quarter.
    """

    reference_week: int
    by: tuple[str, ...]
    min_cell: int
    n_mapped: int
    crosstab: pd.DataFrame
    margins: dict[str, pd.DataFrame]
    entitlement: pd.DataFrame | None
    timeline: pd.DataFrame | None
    starts: pd.DataFrame
    spec: dict[str, Any]

    _title = "Target-group mapping"

    def to_frame(self) -> pd.DataFrame:
        return self.crosstab.copy()

    def to_dict(self) -> dict[str, Any]:
        return {"reference_week": self.reference_week, "by": list(self.by), "min_cell": self.min_cell,
                "disclosure": "raw counts; cells flagged below_min_cell are suppressed (with secondary "
                              "suppression) by the output folder's disclosure gate",
                "n_mapped": self.n_mapped, "crosstab": frame_records(self.crosstab),
                "margins": {k: frame_records(v) for k, v in self.margins.items()},
                "entitlement": None if self.entitlement is None else frame_records(self.entitlement),
                "timeline": None if self.timeline is None else frame_records(self.timeline),
                "starts": frame_records(self.starts), "spec": jsonable(self.spec)}

    def __repr__(self) -> str:
        return (f"MappingResult(reference_week={self.reference_week}, by={list(self.by)}, n_mapped={self.n_mapped}, "
                f"cells={len(self.crosstab)}, flagged={int(self.crosstab['below_min_cell'].sum())})")


def _flag(n: pd.Series, min_cell: int) -> pd.Series:
    return (n > 0) & (n < min_cell)


def _period(week: int, by: str) -> str:
    d = _dt.date.fromisocalendar(week // 100, week % 100, 1)
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}" if by == "quarter" else f"{d.year:04d}-{d.month:02d}"


def run_mapping(persons: pd.DataFrame, panel: Any, code_map: CodeMap, spec: Any, *, id_col: str = "person_id",
                start_col: str = "start_week", treatment: str | None = "outreach", engine: str = "auto",
                data_range: tuple[int, int] | None = None) -> MappingResult:
    """Map the target group at ``spec.reference_week`` (``spec``: a :class:`MappingSpec`).

    Residents are the rows of ``persons``; those whose benefit state at the reference week is one
    of ``spec.benefits`` are mapped.

    Examples
    --------
    >>> from evaltool.simulate import simulate_study
    >>> from evaltool.process import MappingSpec
    >>> sim = simulate_study(n=600, seed=1)
    >>> res = run_mapping(sim.persons, sim.weekly_status, sim.code_map,
    ...                   MappingSpec(reference_week=202440, by=["area", "benefit"]),
    ...                   data_range=sim.data_range)
    >>> res.n_mapped > 0
    True
    """
    cols = [c for c in spec.by if c != BENEFIT]
    missing = [c for c in cols if c not in persons.columns]
    if missing:
        raise DataError(f"mapping.by: column(s) {', '.join(missing)} not found in persons; "
                        f"available: {', '.join(map(str, persons.columns[:20]))}")
    ref = int(spec.reference_week)
    frame = pd.DataFrame({id_col: persons[id_col].to_numpy(), "ref": ref})
    mat, names = state_matrix(frame, panel, code_map, spec.benefits, (0, 0), id_col=id_col, start_col="ref",
                              engine=engine, data_range=data_range)
    state = mat[:, 0]
    if (state < 0).any():
        raise DataError(f"mapping.reference_week {ref} lies outside the register's coverage")
    mapped = state < len(spec.benefits)
    table = persons.loc[mapped, cols].astype(str).copy()
    table[BENEFIT] = np.array(names, dtype=object)[state[mapped]]
    by = list(spec.by)
    n_all = int(mapped.sum())
    ct = table.groupby(by, sort=True, observed=True).size().rename("n").reset_index()
    ct["share"] = ct["n"] / n_all if n_all else np.nan
    first = by[0]
    ct[f"share_in_{first}"] = ct["n"] / ct.groupby(first)["n"].transform("sum")
    ct["below_min_cell"] = _flag(ct["n"], spec.min_cell)
    margins = {}
    for c in by:
        m = table.groupby(c, sort=True, observed=True).size().rename("n").reset_index()
        m["share"] = m["n"] / n_all if n_all else np.nan
        m["below_min_cell"] = _flag(m["n"], spec.min_cell)
        margins[c] = m
    ent_tab = timeline = None
    if spec.entitlement is not None:
        ent = remaining_entitlement(persons, panel, code_map, ref, spec.entitlement, id_col=id_col, engine=engine,
                                    data_range=data_range)
        dag_names = [k for k, v in spec.benefits.items()
                     if set(code_map.resolve(v)[0]) & set(code_map.resolve(spec.entitlement.categories)[0])]
        on_dag = mapped & np.isin(np.array(names, dtype=object)[np.maximum(state, 0)], dag_names)
        rem = ent["remaining_weeks"].to_numpy()
        band = np.empty(len(rem), dtype=object)
        for lo, hi, lab in REMAINING_BANDS:
            band[(rem >= lo) & (rem <= hi)] = lab
        et = pd.DataFrame({first: (persons[first].astype(str).to_numpy() if first != BENEFIT
                                   else np.array(names, dtype=object)[np.maximum(state, 0)]),
                           "remaining_band": band})[on_dag]
        order = [b[2] for b in REMAINING_BANDS]
        et["remaining_band"] = pd.Categorical(et["remaining_band"], categories=order, ordered=True)
        ent_tab = et.groupby([first, "remaining_band"], observed=False, sort=True).size().rename("n").reset_index()
        ent_tab["remaining_band"] = ent_tab["remaining_band"].astype(str)
        ent_tab["below_min_cell"] = _flag(ent_tab["n"], spec.min_cell)
        timeline = exhaustion_timeline(ent, ref, spec.entitlement.horizon_months, on_dag, spec.min_cell)
    if treatment is not None and treatment in persons.columns:
        part = persons[persons[treatment].astype(int) == 1]
    else:
        part = persons.iloc[:0]
    per = pd.Series([_period(int(w), spec.starts_by) for w in part[start_col]], dtype=object)
    starts = per.value_counts().sort_index().rename_axis("period").rename("n").reset_index()
    starts["below_min_cell"] = _flag(starts["n"], spec.min_cell)
    return MappingResult(reference_week=ref, by=tuple(by), min_cell=spec.min_cell, n_mapped=n_all, crosstab=ct,
                         margins=margins, entitlement=ent_tab, timeline=timeline, starts=starts,
                         spec=spec.model_dump())
