"""Case duration by group: Kaplan-Meier medians, restricted means and effects by week k.

Uses :func:`evaltool.effects.time_to_event.time_to_event` (weighted Kaplan-Meier with
cluster-robust influence-function standard errors; Brookmeyer-Crowley median CIs) and adds the
restricted mean ``RMST(tau) = integral_0^tau S(t) dt`` per group and its difference, with the
influence function ``IF_RMST = sum_j IF_S(t_j) (t_{j+1} - t_j)`` summed within clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.effects.time_to_event import _KM, _cluster_var, time_to_event
from evaltool.exceptions import EstimationError
from evaltool.registers.case_duration import case_durations

__all__ = ["CaseDurationResult", "restricted_mean", "run_case_duration"]

OUTCOMES = ("exit", "first_offer")


def _rmst_if(km: _KM, w: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
    grid = np.concatenate([[0.0], km.times[(km.times > 0) & (km.times < tau)], [tau]])
    value = 0.0
    infl = np.zeros(len(km.t))
    for lo, hi in zip(grid[:-1], grid[1:]):
        s, _ = km.at(lo)
        value += float(s) * float(hi - lo)
        infl += km.influence(lo) * (hi - lo)
    return value, w * infl


def restricted_mean(time, event, treat, weights=None, cluster=None, tau: float = 52, alpha: float = 0.05
                    ) -> dict[str, Any]:
    """Restricted mean time to event up to ``tau`` per group and their difference, with CIs.

    Examples
    --------
    >>> r = restricted_mean([1, 2, 3, 4], [1, 1, 1, 1], [1, 1, 0, 0], tau=10)
    >>> r["treated"]["estimate"], r["comparison"]["estimate"], r["difference"]["estimate"]
    (1.5, 3.5, -2.0)
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    z = np.asarray(treat).astype(int)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    cl = np.arange(len(t)) if cluster is None else pd.factorize(pd.Series(np.asarray(cluster)))[0]
    q = float(stats.norm.ppf(1 - alpha / 2))
    out: dict[str, Any] = {"tau": tau}
    contrib = np.zeros(len(t))
    vals = {}
    for g, name, sign in ((1, "treated", 1.0), (0, "comparison", -1.0)):
        m = z == g
        if not m.any():
            raise EstimationError(f"restricted mean: no {name} persons")
        v, inf = _rmst_if(_KM(t[m], e[m], w[m]), w[m], tau)
        se = float(np.sqrt(_cluster_var(inf, cl[m])))
        vals[g] = v
        contrib[m] = sign * inf
        out[name] = {"estimate": v, "std_error": se, "ci_low": v - q * se, "ci_high": v + q * se}
    d = vals[1] - vals[0]
    se = float(np.sqrt(_cluster_var(contrib, cl)))
    out["difference"] = {"estimate": d, "std_error": se, "ci_low": d - q * se, "ci_high": d + q * se,
                         "p_value": float(2 * stats.norm.sf(abs(d / se))) if se > 0 else None}
    return out


@dataclass(frozen=True)
class CaseDurationResult(ResultMixin):
    """The ``case_duration`` results block: per outcome (``exit``, ``first_offer``) medians,
    restricted means, effects on P(event by week k), Cox hazard ratio; ``outcomes`` holds the
    per-person times (for :func:`evaltool.estimate`; never published)."""

    spec: dict[str, Any]
    analyses: dict[str, Any]
    outcomes: pd.DataFrame

    _title = "Case duration"

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for name, a in self.analyses.items():
            for med in a["median"]:
                rows.append({"outcome": name, "group": med["group"], "median": med["median"],
                             "median_ci_low": med["ci_low"], "median_ci_high": med["ci_high"],
                             "rmst": a["restricted_mean"][med["group"]]["estimate"],
                             "rmst_ci_low": a["restricted_mean"][med["group"]]["ci_low"],
                             "rmst_ci_high": a["restricted_mean"][med["group"]]["ci_high"]})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"spec": jsonable(self.spec), "summary": frame_records(self.to_frame()),
                "analyses": jsonable(self.analyses)}

    def __repr__(self) -> str:
        return f"CaseDurationResult(outcomes={list(self.analyses)}, n={len(self.outcomes)})"

    def effect_outcomes(self, weeks: tuple[int, ...] | None = None) -> pd.DataFrame:
        """``<outcome>_by_<k>w`` per person for :func:`evaltool.estimate`: 1 if the event came by
        week k, 0 if the person was followed to week k without it, NA if censored before week k.

        Indexed like ``outcomes`` (person ids of the persons with positive weight).
        """
        ks = tuple(self.spec["weeks"]) if weeks is None else tuple(int(k) for k in weeks)
        cols = {}
        for name in self.analyses:
            t = self.outcomes[name].to_numpy(dtype=float)
            e = self.outcomes[f"{name}_event"].to_numpy() == 1
            for k in ks:
                cols[f"{name}_by_{k}w"] = np.where(e & (t <= k), 1.0, np.where(t >= k, 0.0, np.nan))
        return pd.DataFrame(cols, index=self.outcomes.index)


def run_case_duration(persons: pd.DataFrame, panel: Any, code_map: Any, spec: Any, *, treatment: str = "outreach",
                      weights: Any = None, cluster: Any = None, id_col: str = "person_id",
                      start_col: str = "start_week", engine: str = "auto",
                      data_range: tuple[int, int] | None = None,
                      matrices: list[tuple[np.ndarray, list[str]]] | None = None) -> CaseDurationResult:
    """Case duration on a (matched) sample (``spec``: a :class:`CaseDurationSpec`).

    ``weights``/``cluster`` are aligned with the rows of ``persons`` (design weights, 0 = not in
    the design; pair/subclass ids for the standard errors). ``matrices``: the state matrices of
    :func:`~evaltool.registers.case_duration.duration_requests` for the persons with positive
    weight, if already read.
    """
    w = np.ones(len(persons)) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    pers = persons.loc[keep]
    times = case_durations(pers, panel, code_map, spec, id_col=id_col, start_col=start_col, engine=engine,
                           data_range=data_range, matrices=matrices)
    z = pers[treatment].to_numpy().astype(int)
    cl = None if cluster is None else np.asarray(cluster)[keep]
    analyses = {}
    for name in OUTCOMES:
        t, e = times[name].to_numpy(), times[f"{name}_event"].to_numpy()
        tte = time_to_event(t, e, z, w[keep], cl, outcome=name, weeks=tuple(spec.weeks), alpha=spec.alpha)
        analyses[name] = {
            "median": frame_records(tte.median),
            "restricted_mean": restricted_mean(t, e, z, w[keep], cl, tau=spec.restricted_mean_weeks, alpha=spec.alpha),
            "by_week": frame_records(tte.by_week), "cox": jsonable(tte.cox),
            "events": {"treated": int(e[z == 1].sum()), "comparison": int(e[z == 0].sum())},
            "n": {"treated": int((z == 1).sum()), "comparison": int((z == 0).sum())},
        }
    return CaseDurationResult(spec=spec.model_dump(), analyses=analyses, outcomes=times)
