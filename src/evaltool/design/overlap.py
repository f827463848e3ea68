"""Propensity-score overlap: histogram counts before and after matching.

The design stage owns this block of the results: counts of the distance (the
propensity score) in equal-width bins on [0, 1], for the treated, all controls
and the controls kept by the design.

Usage (on a fitted design; not run as a doctest)
------------------------------------------------
::

    hist = propensity_histogram(design)
    hist["bins"][:3]
    # -> [0.0, 0.05, 0.1]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["propensity_histogram", "N_BINS"]

N_BINS = 20


def propensity_histogram(design: Any, n_bins: int = N_BINS) -> dict[str, list] | None:
    """Bin edges and counts (``treated``, ``control_all``, ``control_matched``); None without a propensity score."""
    dist = getattr(design, "distance", None)
    if dist is None or getattr(design, "propensity", None) is None:
        return None
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    treat = design.treat
    w = design.weights

    def counts(mask: pd.Series) -> list[int]:
        return np.histogram(dist[mask].to_numpy(dtype=float), bins=edges)[0].astype(int).tolist()

    return {"bins": edges.round(4).tolist(), "treated": counts(treat == 1),
            "control_all": counts(treat == 0), "control_matched": counts((treat == 0) & (w > 0))}
