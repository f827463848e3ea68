"""Simulated persons: covariates, selection into outreach, history and latent potential outcomes.

Every random quantity is drawn here, per person, from streams spawned from one seed; the weekly
panel is then a deterministic function of these draws (``weekly.py``), so writing it in chunks
cannot change it. See ``docs/simulation.md`` for the model and why the true effects hold exactly
(in expectation) for every covariate profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from evaltool.weeks import from_ordinal, to_ordinal

__all__ = ["EFFECT_PLACEMENT", "LOCKIN", "PROCESS_EFFECTS", "OUTREACH_AREAS", "COMPARISON_AREAS",
           "draw_population", "calibrate_intercept"]

EFFECT_PLACEMENT = 0.02     # +2.0 pp internship or wage-subsidy job within 52 weeks
LOCKIN = 0.012              # share of persons pushed out of self-support at week 26 by an extra placement
PROCESS_EFFECTS = {"meetings_held": 5.0, "meetings_missed": -0.6, "sanctions": -0.2, "n_caseworkers": -0.9}
LATEST_START = 202526
# outreach housing areas (invented names) and the year the effort started there
OUTREACH_AREAS = {"Korskær": 2022, "Lindevang Syd": 2022, "Tranehaven": 2023, "Egeparken": 2023,
                  "Solbjerg Vænge": 2024, "Bøgelunden": 2024}
COMPARISON_AREAS = ("Rosenhøj", "Kildeparken", "Humlebo", "Vestervang", "Stengården", "Grønnevang",
                    "Mølleparken", "Skovbrynet", "Enghaven", "Fuglekvarteret")

SEX = ("woman", "man")
ORIGIN = ("danish", "western", "non_western")
EDUCATION = ("basic", "upper_secondary", "vocational", "higher")
BENEFIT = ("kontanthjaelp", "uddannelseshjaelp", "integrationsydelse", "dagpenge", "sygedagpenge")
MATCH = ("jobparat", "aktivitetsparat", "uddannelsesparat")


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Row-wise categorical draws from an (n, k) matrix of (unnormalised) probabilities."""
    p = probs / probs.sum(axis=1, keepdims=True)
    u = rng.random(len(p))
    return np.minimum((u[:, None] > np.cumsum(p, axis=1)).sum(axis=1), p.shape[1] - 1)


def _uniform_int(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    """``n`` integers uniform on [lo, hi] (inclusive, elementwise)."""
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    size = n
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)


def calibrate_intercept(lin: np.ndarray, share: float) -> float:
    """Intercept a with mean(expit(a + lin)) == share (bisection; deterministic)."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if expit(mid + lin).mean() < share:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _covariates(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    age = 18 + np.floor(46 * rng.beta(2.0, 2.4, n)).astype(np.int64)
    sex = (rng.random(n) < 0.52).astype(np.int64)  # 0 woman, 1 man
    origin = _categorical(rng, np.tile([0.50, 0.08, 0.42], (n, 1)))
    edu_p = np.array([[0.42, 0.12, 0.34, 0.12], [0.35, 0.15, 0.25, 0.25], [0.60, 0.10, 0.20, 0.10]])
    education = _categorical(rng, edu_p[origin])
    ben = np.tile([0.40, 0.0, 0.0, 0.18, 0.14], (n, 1))
    ben[:, 1] += 0.9 * ((age < 30) & (education <= 1))
    ben[:, 2] += 0.25 * (origin == 2)
    ben[:, 3] += 0.30 * (education == 3)
    benefit = _categorical(rng, ben)
    mg_p = np.array([[0.35, 0.65, 0.0], [0.0, 0.4, 0.6], [0.35, 0.65, 0.0], [0.95, 0.05, 0.0], [0.5, 0.5, 0.0]])
    match = _categorical(rng, mg_p[benefit])
    return {"age": age, "sex": sex, "origin": origin, "education": education, "benefit": benefit, "match": match}


def _history(rng: np.random.Generator, cov: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Spells in the 156 weeks before start: SU/education, an earlier support spell, the final spell."""
    n = len(cov["age"])
    aktiv = (cov["match"] == 1).astype(float)
    cash = np.isin(cov["benefit"], (0, 1, 2)).astype(float)
    m = expit(-0.3 + 1.2 * aktiv + 0.5 * (cov["origin"] == 2) + 0.6 * cash
              - 0.6 * (cov["benefit"] == 3) + 0.015 * (cov["age"] - 40))
    k_total = np.clip(np.rint(156 * rng.beta(4 * m, 4 * (1 - m))), 4, 156).astype(np.int64)
    ks = np.where((cov["age"] < 35) & (rng.random(n) < 0.25), _uniform_int(rng, 8, 52, n), 0)
    ks = np.minimum(ks, 156 - k_total)
    split = rng.random(n) < 0.4
    k1 = np.where(split, np.maximum(4, np.ceil(k_total * rng.uniform(0.3, 0.9, n))), k_total).astype(np.int64)
    gap = np.maximum(156 - ks - k1 - 1, 0)
    k2 = np.minimum(k_total - k1, gap)
    e_start = -156 + ks + np.floor(rng.random(n) * (gap - k2 + 1)).astype(np.int64)
    earlier_cat = _categorical(rng, np.tile([0.5, 0.3, 0.2], (n, 1)))  # own benefit, dagpenge, sygedagpenge
    has_pp = (k1 >= 10) & (rng.random(n) < 0.15)
    pp_len = _uniform_int(rng, 4, 8, n)
    pp_start = -k1 + np.floor(rng.random(n) * np.maximum(k1 - pp_len, 1)).astype(np.int64)
    return {"k1": k1, "k2": k2, "ks": ks, "e_start": e_start, "earlier_cat": earlier_cat,
            "has_pp": has_pp, "pp_start": pp_start, "pp_len": np.where(has_pp, pp_len, 0),
            "pp_type": (rng.random(n) < 0.5).astype(np.int64)}


def _latent(rng: np.random.Generator, cov, share: np.ndarray, emp: np.ndarray) -> dict[str, np.ndarray]:
    """Potential outcomes: placement and job-entry timing without and with outreach."""
    n = len(share)
    aktiv = (cov["match"] == 1).astype(float)
    nonw = (cov["origin"] == 2).astype(float)
    age_c = (cov["age"] - 40) / 10
    p0 = np.clip(expit(-2.15 + 0.35 * aktiv - 0.25 * nonw - 0.2 * age_c - 0.8 * (share - 0.6)), 0.01, 0.35)
    f = np.clip(expit(-0.6 - 2.2 * (share - 0.6) - 0.9 * aktiv - 0.4 * nonw + 0.45 * (cov["education"] == 3)
                      + 0.2 * (cov["education"] == 2) - 0.2 * age_c + 0.5 * (cov["benefit"] == 3)
                      + 0.004 * (emp - 40)), 0.04, 0.85)
    early = rng.random(n) < f
    hazard = np.clip(0.02 * f / 0.3, 0.003, 0.05)
    e0 = np.where(early, _uniform_int(rng, 1, 26, n), 26 + rng.geometric(hazard))
    e0 = np.minimum(e0, 10_000)
    p_ctrl = rng.random(n) < p0
    q = np.where(early, LOCKIN / ((1 - p0) * f), (EFFECT_PLACEMENT - LOCKIN) / ((1 - p0) * (1 - f)))
    extra = ~p_ctrl & (rng.random(n) < q)
    # placement without outreach: starts while still on benefit; a job due inside it waits until it ends
    s0 = _uniform_int(rng, 1, np.minimum(e0, 40), n)
    l0 = _uniform_int(rng, 4, 12, n)
    e_ctrl = np.where(p_ctrl & (e0 >= s0) & (e0 <= s0 + l0 - 1), s0 + l0, e0)
    # extra placement under outreach: early job-finders are locked in past week 26 (but start by week 39);
    # late ones are placed and back on benefit before their job would have come
    lift = _uniform_int(rng, 0, 12, n)
    s1 = np.where(early, _uniform_int(rng, 1, np.minimum(e0, 26), n), _uniform_int(rng, 1, 14, n))
    l1 = np.where(early, 27 - s1 + lift, _uniform_int(rng, 4, 12, n))
    e_extra = np.where(early, 27 + lift, e0)
    return {
        "p0": p0, "f": f, "e0": e0, "p_ctrl": p_ctrl, "extra": extra,
        "s0": s0, "l0": l0, "type0": (rng.random(n) < 0.4).astype(np.int64), "e_ctrl": e_ctrl,
        "s1": s1, "l1": l1, "type1": (rng.random(n) < 0.4).astype(np.int64), "e_extra": e_extra,
        "has_return": rng.random(n) < 0.25, "ret_start": _uniform_int(rng, 60, 150, n),
        "ret_len": _uniform_int(rng, 4, 30, n),
        "has_sick": rng.random(n) < 0.2, "sick_start": _uniform_int(rng, 1, 156, n), "sick_len": _uniform_int(rng, 2, 10, n),
        "has_rf": rng.random(n) < 0.3, "rf_start": _uniform_int(rng, 53, 104, n),
        "code_u": rng.random((n, 10)),
    }


def draw_population(seed: int, n: int, treated_share: float):
    """Persons table, latent draws (for the panel and oracle outcomes) and the area panel seed."""
    ss = np.random.SeedSequence(seed)
    s_cov, s_hist, s_treat, s_lat, s_proc, s_area = (np.random.default_rng(s) for s in ss.spawn(6))
    cov = _covariates(s_cov, n)
    hist = _history(s_hist, cov)
    support = hist["k1"] + hist["k2"]
    share = support / 156.0
    emp = 156 - support - hist["ks"]
    # selection into outreach on observed covariates
    lin = (0.9 * (cov["origin"] == 2) + 0.8 * (cov["match"] == 1) + 1.5 * (share - 0.6)
           - 0.3 * (cov["age"] - 40) / 10 + 0.15 * (cov["sex"] == 0))
    a = calibrate_intercept(lin, treated_share)
    treated = (s_treat.random(n) < expit(a + lin)).astype(np.int8)
    lat = _latent(s_lat, cov, share, emp)
    # areas and start weeks: outreach persons live in areas with the effort and start after it began
    names = list(OUTREACH_AREAS)
    a_idx = s_treat.integers(0, len(names), n)
    c_idx = s_treat.integers(0, len(COMPARISON_AREAS), n)
    area = np.where(treated == 1, np.array(names, dtype=object)[a_idx],
                    np.array(COMPARISON_AREAS, dtype=object)[c_idx])
    first = to_ordinal(np.array([OUTREACH_AREAS[k] * 100 + 1 for k in names]))[a_idx]
    last = int(to_ordinal(LATEST_START))
    t_start = first + np.floor(s_treat.random(n) * (last - first + 1)).astype(np.int64)
    pool = np.sort(t_start[treated == 1]) if treated.any() else np.sort(t_start)
    pseudo = pool[s_treat.integers(0, len(pool), n)]
    start_ord = np.where(treated == 1, t_start, pseudo)
    caseworker = np.where(treated == 1, 100 + a_idx * 10 + s_treat.integers(0, 3, n),
                          500 + s_treat.integers(0, 60, n))
    # first-year process measures (homogeneous additive effects of outreach, see PROCESS_EFFECTS)
    aktiv = (cov["match"] == 1)
    t = treated.astype(float)
    proc = {
        "meetings_held": s_proc.poisson(8 + 2 * aktiv + PROCESS_EFFECTS["meetings_held"] * t),
        "meetings_missed": s_proc.poisson(1.5 + 1.5 * aktiv + 0.5 * (share > 0.8) + PROCESS_EFFECTS["meetings_missed"] * t),
        "sanctions": s_proc.poisson(0.4 + 0.3 * aktiv + PROCESS_EFFECTS["sanctions"] * t),
        "n_caseworkers": 1 + s_proc.poisson(1.6 + 0.5 * aktiv + PROCESS_EFFECTS["n_caseworkers"] * t),
    }
    pick = lambda labels, idx: pd.array(np.array(labels, dtype=object)[idx], dtype="str")  # noqa: E731
    persons = pd.DataFrame({
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "outreach": treated,
        "start_week": from_ordinal(start_ord).astype(np.int32),
        "area": pd.array(area, dtype="str"),
        "served_by": pick(("jobcentre", "outreach"), treated.astype(np.int64)),
        "age": cov["age"],
        "sex": pick(SEX, cov["sex"]),
        "origin": pick(ORIGIN, cov["origin"]),
        "education": pick(EDUCATION, cov["education"]),
        "benefit_type": pick(BENEFIT, cov["benefit"]),
        "match_group": pick(MATCH, cov["match"]),
        "prior_support_share": share,
        "prior_employment_weeks": emp.astype(np.int64),
        "caseworker_id": caseworker.astype(np.int64),
        **{k: v.astype(np.int64) for k, v in proc.items()},
    })
    latent = {**hist, **lat, "benefit": cov["benefit"], "start_ord": start_ord, "treated": treated}
    return persons, latent, s_area
