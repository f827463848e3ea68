"""Event-study plot (matplotlib, colour-blind safe Okabe-Ito palette)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from evaltool.areas.result import AreaResult

__all__ = ["plot_event_study", "OKABE_ITO"]

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def plot_event_study(result: AreaResult, estimators: tuple[str, ...] = ("event_study", "callaway_santanna"),
                     language: str = "en") -> Figure:
    """Estimates by event time with 95 % intervals, one colour and marker per estimator.

    Examples
    --------
    >>> from evaltool.simulate.areas import simulate_area_panel
    >>> from evaltool.areas import AreaSpec, run_area_analysis
    >>> df, _ = simulate_area_panel(20, range(2008, 2020), "staggered", -0.02, 1)
    >>> res = run_area_analysis(df, AreaSpec(methods=["event_study"], n_boot=0, n_permutations=0), seed=1)
    >>> fig = plot_event_study(res); len(fig.axes)
    1
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    markers = ("o", "s", "^", "D")
    offset = np.linspace(-0.12, 0.12, len(estimators)) if len(estimators) > 1 else [0.0]
    for k, est in enumerate(estimators):
        rows = [r for r in result.estimates if r.estimator == est and r.aggregation == "dynamic"
                and r.event_time is not None]
        if not rows:
            continue
        e = np.array([r.event_time for r in rows], float) + offset[k]
        b = np.array([r.estimate for r in rows])
        lo = np.array([r.ci_low for r in rows])
        hi = np.array([r.ci_high for r in rows])
        err = np.vstack([b - lo, hi - b])
        ax.errorbar(e, b, yerr=np.where(np.isfinite(err), err, 0), fmt=markers[k % 4], color=OKABE_ITO[k],
                    capsize=3, label=est.replace("_", " "))
    ax.axhline(0, color="#555555", lw=0.8)
    ax.axvline(-0.5, color="#999999", lw=0.8, ls="--")
    da = language == "da"
    ax.set_xlabel("Perioder siden start" if da else "Periods since start")
    ax.set_ylabel("Effekt (95 %-interval)" if da else "Effect (95 % interval)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
