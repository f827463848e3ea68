"""Figures of the sensitivity stage (matplotlib; each returns a Figure, nothing is shown or saved)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltool.exceptions import EstimationError
from evaltool.sensitivity.speccurve import CHOICE_COLUMNS

__all__ = ["specification_curve_figure", "rosenbaum_figure"]


def specification_curve_figure(curve: pd.DataFrame, outcome: str, *, label: str | None = None):
    """Two panels: estimates with 95 % CIs sorted by size (top), the design choices of each (bottom).

    Examples
    --------
    >>> curve = pd.DataFrame({"spec_id": [1, 2], "caliper": [None, 0.2], "ratio": [1, 1],
    ...     "replace": [False, False], "exact": ["none", "none"], "regression": [False, True],
    ...     "outcome": ["y", "y"], "estimate": [0.5, 0.4], "ci_low": [0.1, 0.0], "ci_high": [0.9, 0.8]})
    >>> fig = specification_curve_figure(curve, "y")
    >>> len(fig.axes)
    2
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    g = curve[(curve["outcome"] == outcome) & curve["estimate"].notna()]
    if g.empty:
        raise EstimationError(f"no estimable specification for outcome {outcome!r}")
    g = g.sort_values(["estimate", "spec_id"], kind="stable").reset_index(drop=True)
    x = np.arange(len(g))
    est = g["estimate"].to_numpy(dtype=float)
    lo, hi = g["ci_low"].to_numpy(dtype=float), g["ci_high"].to_numpy(dtype=float)
    sig = (lo > 0) | (hi < 0)
    fig = Figure(figsize=(8, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top.vlines(x, lo, hi, color="0.7", linewidth=1)
    top.scatter(x, est, c=np.where(sig, "#1f4e79", "#9aa7b3"), s=14, zorder=3)
    top.axhline(0, color="black", linewidth=0.8)
    top.set_ylabel(label or f"effect on {outcome}")
    ylabels, ypos = [], 0
    for col in CHOICE_COLUMNS:
        values = g[col].map(lambda v: "none" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        for v in sorted(values.unique()):
            on = (values == v).to_numpy()
            bottom.scatter(x[on], np.full(on.sum(), ypos), marker="|", s=60, color="#1f4e79")
            ylabels.append(f"{col} = {v}")
            ypos += 1
    bottom.set_yticks(range(len(ylabels)))
    bottom.set_yticklabels(ylabels, fontsize=7)
    bottom.set_xlabel("specification (sorted by estimate)")
    fig.tight_layout()
    return fig


def rosenbaum_figure(rows: pd.DataFrame, alpha: float = 0.05):
    """Upper-bound p-value against Gamma, one line per outcome, with the alpha line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for r in rows.itertuples(index=False):
        ax.plot(r.gamma_grid, r.p_upper, label=str(r.outcome))
    ax.axhline(alpha, color="black", linestyle="--", linewidth=0.8)
    ax.set_xlabel("Gamma (hidden bias: odds of outreach)")
    ax.set_ylabel("upper bound on one-sided p-value")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
