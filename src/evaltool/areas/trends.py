"""The area trends a report draws: each treated area, the comparison areas and the synthetic control.

``area_trends(panel, spec, result)`` returns plain rows (``series, kind, period, value, n_units,
population``): the outcome of every treated area (``kind='area'``), the unweighted mean of the
treated areas (``'treated'``) and of the never-treated areas (``'comparison'``, the comparison of
``before_after`` and ``did_2x2``), and for each synthetic estimator the donor-weighted mean of the
donors (``'synthetic_control'`` / ``'synthetic_did'``; for synthetic DiD the unit weights only, so
its level is shifted by the intercept the method allows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaltool.areas.panel import validate_area_panel
from evaltool.areas.result import AreaResult
from evaltool.specs.areas import AreaSpec

__all__ = ["area_trends"]


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _points(series: str, kind: str, periods, values, n_units: int, pop) -> list[dict[str, Any]]:
    return [{"series": series, "kind": kind, "period": int(p), "value": _f(v), "n_units": n_units,
             "population": None if pop is None else _f(pop[t])}
            for t, (p, v) in enumerate(zip(periods, values))]


def area_trends(panel: pd.DataFrame, spec: AreaSpec, result: AreaResult) -> list[dict[str, Any]]:
    """Trend points of the treated areas, the comparison areas and any synthetic control.

    Examples
    --------
    >>> from evaltool.simulate.areas import simulate_area_panel
    >>> from evaltool.areas import run_area_analysis
    >>> df, _ = simulate_area_panel(8, range(2010, 2018), "fredericia", -0.03, 1)
    >>> spec = AreaSpec(methods=["did_2x2"], n_boot=0, n_permutations=0, population="residents")
    >>> pts = area_trends(df, spec, run_area_analysis(df, spec))
    >>> sorted({p["kind"] for p in pts})
    ['area', 'comparison', 'treated']
    """
    p = validate_area_panel(panel, spec)
    y = p.matrix("y")
    pop = p.matrix("pop") if spec.population_column is not None else None
    g = p.unit_g
    treated, never = np.flatnonzero(g > 0), np.flatnonzero(g == 0)
    out: list[dict[str, Any]] = []
    for i in treated:
        out += _points(str(p.units[i]), "area", p.periods, y[i], 1, None if pop is None else pop[i])
    for kind, idx in (("treated", treated), ("comparison", never)):
        if len(idx):
            out += _points(kind, kind, p.periods, y[idx].mean(axis=0), len(idx),
                           None if pop is None else pop[idx].sum(axis=0))
    index = {str(u): i for i, u in enumerate(p.units)}
    for method in ("synthetic_control", "synthetic_did"):
        w = [(index[d["unit"]], d["weight"]) for d in result.donor_weights if d["estimator"] == method]
        if w:
            rows, wt = np.array([i for i, _ in w]), np.array([v for _, v in w])
            out += _points(method, method, p.periods, wt @ y[rows] / wt.sum(), len(rows), None)
    return out
