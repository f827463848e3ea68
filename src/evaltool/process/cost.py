"""Cost per participant and cost per additional person in an outcome, with uncertainty.

With ``c`` the extra cost per participant (effort cost minus the comparison cost) and ``d`` the
effect on the probability of the outcome (e.g. +0.02 = 2 percentage points more in internship
or wage subsidy), the cost per additional person is ``c / d``. ``c`` is a known constant, so:

* ``fieller`` (default): the Fieller interval for a ratio with a constant numerator is the
  effect's CI inverted, ``[c / d_high, c / d_low]`` -- exact whenever the effect CI is;
* ``delta``: ``c / d -/+ z c se(d) / d^2`` (symmetric; poor when ``d`` is close to 0).

If the effect CI includes 0 the cost per additional person is **not bounded** (the data are
consistent with no additional person at any cost): ``ci_high`` is ``None`` and ``bounded`` is
False. If the whole CI is below 0, there are no additional persons: ``estimate`` is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.exceptions import EstimationError

__all__ = ["cost_per_additional", "CostResult", "run_cost"]


def cost_per_additional(extra_cost: float, effect: float, ci_low: float, ci_high: float, std_error: float | None = None,
                        method: str = "fieller", alpha: float = 0.05) -> dict[str, Any]:
    """Cost per additional person for an effect on the probability scale (see module docstring).

    Examples
    --------
    >>> r = cost_per_additional(17_000, 0.02, 0.01, 0.03)
    >>> round(r["estimate"]), round(r["ci_low"]), round(r["ci_high"]), r["bounded"]
    (850000, 566667, 1700000, True)
    >>> cost_per_additional(17_000, 0.02, -0.01, 0.05)["ci_high"] is None
    True
    """
    if ci_high <= 0:
        return {"estimate": None, "ci_low": None, "ci_high": None, "bounded": False,
                "note": "no additional persons: the effect CI lies at or below 0"}
    est = extra_cost / effect if effect > 0 else None
    if method == "fieller":
        if ci_low > 0:
            return {"estimate": est, "ci_low": extra_cost / ci_high, "ci_high": extra_cost / ci_low, "bounded": True,
                    "note": None}
        return {"estimate": est, "ci_low": extra_cost / ci_high, "ci_high": None, "bounded": False,
                "note": "not bounded: the effect CI includes 0"}
    if method != "delta":
        raise EstimationError(f"`method` must be one of 'fieller', 'delta'; got {method!r}")
    if std_error is None or est is None:
        raise EstimationError("the delta method needs a positive effect and its std_error")
    if ci_low <= 0:
        return {"estimate": est, "ci_low": None, "ci_high": None, "bounded": False,
                "note": "not bounded: the effect CI includes 0"}
    z = float(stats.norm.ppf(1 - alpha / 2))
    half = z * extra_cost * std_error / effect ** 2
    return {"estimate": est, "ci_low": est - half, "ci_high": est + half, "bounded": True, "note": None}


@dataclass(frozen=True)
class CostResult(ResultMixin):
    """The ``cost`` results block."""

    currency: str
    cost_per_participant: float
    comparison_cost_per_participant: float
    extra_cost_per_participant: float
    method: str
    rows: pd.DataFrame

    _title = "Cost"

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"currency": self.currency, "cost_per_participant": self.cost_per_participant,
                         "comparison_cost_per_participant": self.comparison_cost_per_participant,
                         "extra_cost_per_participant": self.extra_cost_per_participant, "method": self.method,
                         "per_outcome": frame_records(self.rows)})

    def __repr__(self) -> str:
        return (f"CostResult(cost_per_participant={self.cost_per_participant:.0f} {self.currency}, "
                f"outcomes={len(self.rows)})")


def run_cost(spec: Any, effects: pd.DataFrame | None = None) -> CostResult:
    """Cost per participant and per additional person in each of ``spec.outcomes``.

    Parameters
    ----------
    spec : CostSpec
    effects : DataFrame, optional
        Effect rows (``EffectResult.effects`` or the process rows): ``outcome`` (or ``indicator``),
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``unit`` (``pp`` = percentage points).
    """
    c1 = spec.unit_cost
    extra = c1 - float(spec.comparison_cost_per_participant)
    rows = []
    if spec.outcomes:
        if effects is None:
            raise EstimationError("cost.outcomes needs effect rows (pass `effects`)")
        key = "outcome" if "outcome" in effects.columns else "indicator"
        for name in spec.outcomes:
            hit = effects[effects[key] == name]
            if "subgroup" in hit.columns:
                hit = hit[hit["subgroup"].isna()]
            if hit.empty:
                raise EstimationError(f"cost.outcomes: no effect row for {name!r}; estimated: "
                                      f"{', '.join(map(str, effects[key]))}")
            r = hit.iloc[0]
            scale = 100.0 if r.get("unit") == "pp" else 1.0
            eff, lo, hi = (float(r[k]) / scale for k in ("estimate", "ci_low", "ci_high"))
            se = float(r["std_error"]) / scale if np.isfinite(r["std_error"]) else None
            res = cost_per_additional(extra, eff, lo, hi, se, spec.method, spec.alpha)
            rows.append({"outcome": name, "effect": eff, "effect_ci_low": lo, "effect_ci_high": hi,
                         "additional_per_100": 100 * eff, **{f"cost_per_additional_{k}" if k in
                                                             ("estimate", "ci_low", "ci_high") else k: v
                                                             for k, v in res.items()}})
    cols = ["outcome", "effect", "effect_ci_low", "effect_ci_high", "additional_per_100",
            "cost_per_additional_estimate", "cost_per_additional_ci_low", "cost_per_additional_ci_high",
            "bounded", "note"]
    return CostResult(currency=spec.currency, cost_per_participant=c1,
                      comparison_cost_per_participant=float(spec.comparison_cost_per_participant),
                      extra_cost_per_participant=extra, method=spec.method, rows=pd.DataFrame(rows, columns=cols))
