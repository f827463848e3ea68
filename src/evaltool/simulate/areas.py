"""Area panel: housing area x year with staggered adoption of the outreach effort."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltool.simulate.population import COMPARISON_AREAS, OUTREACH_AREAS

__all__ = ["AREA_EFFECT", "YEARS", "SCENARIOS", "simulate_areas", "simulate_area_panel"]

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


SCENARIOS = ("fredericia", "staggered", "one_treated")


def _dynamic_effect(effect: float, e: np.ndarray, cohort_mult: np.ndarray) -> np.ndarray:
    """Effect at event time ``e >= 0``: ``effect * m_g * (0.5 + 0.25 min(e, 4))`` (grows, then flat)."""
    return np.where(e >= 0, effect * cohort_mult * (0.5 + 0.25 * np.minimum(np.maximum(e, 0), 4)), 0.0)


def simulate_area_panel(n_areas: int = 30, years=range(2008, 2021), scenario: str = "fredericia",
                        effect: float = -0.03, seed: int = 2026, n_treated: int | None = None
                        ) -> tuple[pd.DataFrame, dict]:
    """Area x year panel with outreach starts, area trends and a known area-level effect.

    ``rate_it = level_i + slope_i (t - t_mid) + shock_t + tau_it + e_it`` with area levels,
    independent area slopes (sd 0.001 per year), a common falling trend, iid noise (sd 0.01), and

    * ``fredericia``: two treated areas ("Korskærparken", "Nørrebrogade") from 2014 with high
      levels (~49 % in 2013), a common fall so that their raw change is much larger than the
      constant true effect ``effect``;
    * ``staggered``: about 60 % of areas treated in three cohorts (at 30 %, 50 %, 70 % of the
      period range) with effects growing with time since start and differing by cohort
      (``effect * m_g * (0.5 + 0.25 min(e, 4))``, ``m_g`` = 1.5, 1.0, 0.5): TWFE is biased here;
    * ``one_treated``: a single treated area from the middle period, constant effect.

    ``n_treated`` changes the number of treated areas of ``fredericia`` (default 2; all start
    together, the first two keep their names) -- e.g. for Monte-Carlo checks of TWFE with a
    single start period and more treated areas.

    Returns
    -------
    panel : DataFrame
        ``area, year, residents, unemployment_rate, outreach_start_year`` (0 = never treated).
    truth : dict
        True effects: ``att_simple`` (Callaway-Sant'Anna simple aggregation weights),
        ``att_dynamic`` by event time, ``att_group`` by cohort, ``att_treated_post`` (mean over
        treated area-years after start), the design and the scenario.

    Examples
    --------
    >>> df, truth = simulate_area_panel(12, range(2008, 2021), "fredericia", -0.03, 1)
    >>> sorted(df["outreach_start_year"].unique().tolist()), truth["att_simple"]
    ([0, 2014], -0.03)
    """
    from evaltool._checks import check_choice, check_int, check_number
    from evaltool.exceptions import DataError

    check_choice("scenario", scenario, SCENARIOS, exc=DataError)
    check_int("n_areas", n_areas, low=3, exc=DataError)
    check_int("seed", seed, low=0, exc=DataError)
    check_number("effect", effect, low=-0.5, high=0.5, exc=DataError)
    check_int("n_treated", n_treated, low=1, allow_none=True, exc=DataError)
    if n_treated is not None and (scenario != "fredericia" or n_treated >= n_areas):
        raise DataError(f"`n_treated` applies to scenario 'fredericia' and must be < n_areas ({n_areas}); "
                        f"got {n_treated} with scenario {scenario!r}")
    yrs = np.array(list(years), dtype=np.int64)
    if len(yrs) < 4 or np.any(np.diff(yrs) != 1):
        raise DataError(f"`years` must be >= 4 consecutive years; got {list(yrs)[:6]}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13]))
    k, t = n_areas, len(yrs)
    start = np.zeros(k, dtype=np.int64)
    mult = np.ones(k)
    if scenario == "fredericia":
        s = 2014 if yrs[0] < 2014 <= yrs[-1] else int(yrs[t // 2])
        m = n_treated or 2
        start[:m] = s
        names = ["Korskærparken", "Nørrebrogade"][:m] + [f"Område {j:02d}" for j in range(1, k - min(m, 2) + 1)]
        level = np.concatenate([[0.55, 0.53][:m], rng.uniform(0.15, 0.60, k - min(m, 2))])
    elif scenario == "staggered":
        cohorts = yrs[[int(round(q * (t - 1))) for q in (0.3, 0.5, 0.7)]]
        n_tr = int(round(0.6 * k))
        start[:n_tr] = cohorts[np.arange(n_tr) % 3]
        mult[:n_tr] = np.array([1.5, 1.0, 0.5])[np.arange(n_tr) % 3]
        names = [f"Område {j:02d}" for j in range(1, k + 1)]
        level = rng.uniform(0.15, 0.40, k) + 0.03 * (start > 0)
    else:
        start[0] = int(yrs[t // 2])
        names = ["Korskærparken"] + [f"Område {j:02d}" for j in range(1, k)]
        level = np.concatenate([[0.35], rng.uniform(0.15, 0.45, k - 1)])
    slope = rng.normal(0, 0.001, k)
    tmid = (yrs[0] + yrs[-1]) / 2
    shock = -0.012 * (yrs - yrs[0]) + rng.normal(0, 0.004, t)
    ev = yrs[None, :] - start[:, None]
    tau = np.where(start[:, None] > 0, _dynamic_effect(effect, ev, mult[:, None]), 0.0) \
        if scenario == "staggered" else np.where((start[:, None] > 0) & (ev >= 0), effect, 0.0)
    rate = level[:, None] + slope[:, None] * (yrs - tmid)[None, :] + shock[None, :] + tau + rng.normal(0, 0.01, (k, t))
    residents = np.rint(rng.uniform(800, 5000, k)[:, None] * np.exp(np.cumsum(rng.normal(0, 0.01, (k, t)), axis=1)))
    panel = pd.DataFrame({
        "area": pd.array(np.repeat(np.array(names, dtype=object), t), dtype="str"),
        "year": np.tile(yrs, k),
        "residents": residents.reshape(-1).astype(np.int64),
        "unemployment_rate": rate.reshape(-1),
        "outreach_start_year": np.repeat(start, t),
    })
    return panel, _area_truth(scenario, effect, yrs, start, tau, seed)


def _area_truth(scenario: str, effect: float, yrs: np.ndarray, start: np.ndarray, tau: np.ndarray,
                seed: int) -> dict:
    treated = start > 0
    ev = yrs[None, :] - start[:, None]
    post = treated[:, None] & (ev >= 0)
    cohorts = sorted({int(g) for g in start[treated]})
    cells = [(g, int(y), float(tau[start == g, j].mean()), int((start == g).sum()))
             for g in cohorts for j, y in enumerate(yrs) if y >= g]
    n = len(start)
    simple = sum(c[2] * c[3] for c in cells) / sum(c[3] for c in cells)
    dyn: dict[str, float] = {}
    for e in sorted({c[1] - c[0] for c in cells}):
        sel = [c for c in cells if c[1] - c[0] == e]
        dyn[str(e)] = sum(c[2] * c[3] for c in sel) / sum(c[3] for c in sel)
    group = {str(g): float(np.mean([c[2] for c in cells if c[0] == g])) for g in cohorts}
    pg = {g: (start == g).sum() / n for g in cohorts}
    return {
        "scenario": scenario, "effect": effect, "seed": seed,
        "att_simple": float(simple), "att_dynamic": dyn, "att_group": group,
        "att_group_overall": float(sum(group[str(g)] * pg[g] for g in cohorts) / sum(pg.values())),
        "att_treated_post": float(tau[post].mean()),
        "first_treated": {str(g): int((start == g).sum()) for g in cohorts},
        "n_areas": n, "years": [int(yrs[0]), int(yrs[-1])],
        "note": ("constant effect" if scenario != "staggered" else
                 "effects grow with time since start and differ by cohort: TWFE is biased"),
    }
