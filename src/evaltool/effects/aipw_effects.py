"""AIPW effects in the shape of :func:`evaltool.estimate`'s result (a study with ``design.method: aipw``).

One :func:`evaltool.effects.aipw.aipw` fit per outcome (and per subgroup level, on that
level's persons), written as :data:`~evaltool.effects.result.EFFECT_COLUMNS` rows with
``method`` ``"aipw"`` and ``variance`` ``"influence_function"``. ``mean_treated`` and
``mean_control`` are the AIPW estimates of the two potential-outcome means of the
estimand's population (ATE: ``mean(g1 + t (y - g1) / m)`` and ``mean(g0 + (1 - t)(y - g0) / (1 - m))``;
ATT: the treated mean and that mean minus the effect). Binary outcomes and those named in
``percent`` are reported in percent and percentage points, as by :func:`evaltool.estimate`.
Subgroup rows have no test of equal effects (the folds differ by level); the study says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltool.effects.aipw import aipw
from evaltool.effects.multiple import adjust_pvalues
from evaltool.effects.result import EFFECT_COLUMNS, TEST_COLUMNS, EffectResult, empty_frame
from evaltool.estimand import Estimand
from evaltool.exceptions import DataWarning, EstimationError
from evaltool.specs.weighting import AIPWSpec

__all__ = ["aipw_effects"]


def _row(data: pd.DataFrame, treatment: str, outcome: str, covariates: Sequence[str], spec: AIPWSpec,
         alpha: float, scale: float, subgroup: str | None = None, level: str | None = None) -> dict:
    r = aipw(data, treatment, outcome, covariates, estimand=spec.estimand.value, n_folds=spec.n_folds,
             seed=spec.seed, propensity_learner=spec.propensity_learner,
             outcome_learner=spec.outcome_learner, trim=spec.trim, alpha=alpha)
    y = data[outcome].to_numpy(dtype=float)
    t = data[treatment].to_numpy(dtype=float)
    nu = r.nuisances
    m, g0, g1 = (nu[c].to_numpy() for c in ("m", "g0", "g1"))
    if spec.estimand is Estimand.ATE:
        mu1 = float(np.mean(g1 + t * (y - g1) / m))
        mu0 = float(np.mean(g0 + (1 - t) * (y - g0) / (1 - m)))
    else:
        mu1 = float(y[t == 1].mean())
        mu0 = mu1 - r.estimate
    return {"outcome": outcome, "subgroup": subgroup, "level": level, "estimand": spec.estimand.value,
            "method": "aipw", "variance": "influence_function", "estimate": r.estimate * scale,
            "std_error": r.std_error * scale, "ci_low": r.conf_int[0] * scale, "ci_high": r.conf_int[1] * scale,
            "p_value": r.pvalue, "p_value_adj": r.pvalue, "mean_treated": mu1 * scale,
            "mean_control": mu0 * scale, "relative_change": None if mu0 == 0 else r.estimate / mu0,
            "n_treated": int((t == 1).sum()), "n_control": int((t == 0).sum()),
            "unit": "pp" if scale == 100.0 else "level"}


def aipw_effects(data: pd.DataFrame, treatment: str, outcomes: pd.DataFrame, covariates: Sequence[str],
                 spec: AIPWSpec, *, subgroups: Sequence[str] | None = None, adjust: str = "holm",
                 alpha: float = 0.05, percent: Sequence[str] | None = None) -> EffectResult:
    """AIPW effect of ``treatment`` on each column of ``outcomes`` (rows of ``data``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=400)})
    >>> d["t"] = (rng.random(400) < 1 / (1 + np.exp(-d.x))).astype(int)
    >>> y = pd.DataFrame({"y": d.x + 2 * d.t + rng.normal(size=400)})
    >>> r = aipw_effects(d, "t", y, ["x"], AIPWSpec(n_folds=2, seed=1))
    >>> r.effects.loc[0, "method"], r.effects.loc[0, "variance"]
    ('aipw', 'influence_function')
    """
    percent = set(percent or ())
    main, sub = [], []
    for outcome in outcomes.columns:
        y = pd.to_numeric(outcomes[outcome], errors="coerce")
        keep = y.notna().to_numpy()
        if not keep.all():
            warnings.warn(f"outcome {outcome!r}: {int((~keep).sum())} persons have no value and are left out",
                          DataWarning, stacklevel=2)
        frame = data.loc[keep].assign(**{outcome: y[keep].to_numpy()})
        v = frame[outcome].to_numpy(dtype=float)
        scale = 100.0 if outcome in percent or bool(np.isin(v, (0.0, 1.0)).all()) else 1.0
        main.append(_row(frame, treatment, outcome, covariates, spec, alpha, scale))
        for g in subgroups or ():
            for level, part in frame.groupby(g, sort=True, observed=True):
                try:
                    sub.append(_row(part, treatment, outcome, covariates, spec, alpha, scale, g, str(level)))
                except EstimationError as exc:
                    warnings.warn(f"subgroup {g}={level}, outcome {outcome!r}: AIPW not estimable ({exc})",
                                  DataWarning, stacklevel=2)
    if subgroups:
        warnings.warn("design method 'aipw': subgroup effects are AIPW fits per level; no test of equal "
                      "effects across levels is computed", DataWarning, stacklevel=2)
    effects = pd.DataFrame(main).loc[:, list(EFFECT_COLUMNS)] if main else empty_frame(EFFECT_COLUMNS)
    effects["p_value_adj"] = adjust_pvalues(effects["p_value"].to_numpy(dtype=float), adjust)
    subs = pd.DataFrame(sub).loc[:, list(EFFECT_COLUMNS)] if sub else empty_frame(EFFECT_COLUMNS)
    if len(subs):
        keys = subs["subgroup"].astype(str) + "\x1f" + subs["level"].astype(str)
        adj = np.empty(len(subs))
        for _, idx in subs.groupby(keys, sort=False).indices.items():
            adj[idx] = adjust_pvalues(subs["p_value"].to_numpy(dtype=float)[idx], adjust)
        subs["p_value_adj"] = adj
    return EffectResult(effects=effects, subgroups=subs, subgroup_tests=empty_frame(TEST_COLUMNS),
                        estimand=spec.estimand, method="aipw", variance="influence_function",
                        adjust=adjust, alpha=alpha, seed=spec.seed)
