"""Area panel: housing area x year with staggered adoption of the outreach effort."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltool.simulate.population import COMPARISON_AREAS, OUTREACH_AREAS

__all__ = ["AREA_EFFECT", "YEARS", "simulate_areas"]

AREA_EFFECT = -0.008   # unemployment rate -0.8 percentage points from the adoption year on
YEARS = tuple(range(2016, 2027))


def simulate_areas(rng: np.random.Generator) -> pd.DataFrame:
    """Area x year panel: ``area, year, residents, unemployment_rate, outreach_start_year``.

    ``unemployment_rate = area level + year shock + AREA_EFFECT * [year >= start] + noise``;
    ``outreach_start_year`` is NaN for areas that never had the effort.
    """
    names = [*OUTREACH_AREAS, *COMPARISON_AREAS]
    start = np.array([OUTREACH_AREAS.get(a, np.nan) for a in names], dtype=float)
    k, t = len(names), len(YEARS)
    level = np.where(np.isnan(start), 0.055, 0.11) + rng.normal(0, 0.012, k)
    year_shock = np.cumsum(rng.normal(-0.002, 0.003, t))
    years = np.array(YEARS)
    treated = ~np.isnan(start)[:, None] & (years[None, :] >= np.nan_to_num(start, nan=9999)[:, None])
    rate = level[:, None] + year_shock[None, :] + AREA_EFFECT * treated + rng.normal(0, 0.003, (k, t))
    residents = np.rint(rng.uniform(1500, 6000, k)[:, None] * np.exp(np.cumsum(rng.normal(0, 0.01, (k, t)), axis=1)))
    return pd.DataFrame({
        "area": pd.array(np.repeat(np.array(names, dtype=object), t), dtype="str"),
        "year": np.tile(years, k).astype(np.int64),
        "residents": residents.reshape(-1).astype(np.int64),
        "unemployment_rate": np.round(np.clip(rate, 0.005, 0.5).reshape(-1), 6),
        "outreach_start_year": np.repeat(start, t),
    })
