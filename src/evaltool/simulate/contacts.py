"""Simulated contact logs, a social-outcome register and programme costs, with known truths.

Everything is drawn from its own seed stream (``SeedSequence(seed, spawn_key=(16, k))``), so
adding these inputs never changes the persons or the weekly panel of :func:`simulate_study`.
Contact logs are drawn with common random numbers in three worlds (``observed``, ``control``:
nobody served by outreach, ``treated``: everybody served): the difference of a person's process
measures between the ``treated`` and ``control`` worlds is their individual effect (an oracle).

Contact model (first 52 weeks after start, days 0-363):

* scheduled meetings: ``1 + Poisson(7 + 2 aktiv)`` without outreach, plus ``Poisson(5)`` with it;
* each meeting is a no-show with probability ``0.15 + 0.05 aktiv - 0.06 t`` and cancelled with
  probability ``0.10 - 0.04 t`` (else held);
* the first meeting comes ``U{14..56}`` days after start without outreach, 14 days earlier with it;
* a meeting is with the person's own caseworker with probability ``0.55 + 0.30 t`` (else a stand-in);
* spontaneous (open counselling) visits: ``Poisson(0.5)`` plus ``Poisson(1.5)`` with outreach.

Hence the true effects in :data:`CONTACT_EFFECTS` (exact in expectation for every covariate profile).

Social register (weekly rows, one code per person-week): within weeks 1-52 a person has each of
``health_treatment``, ``addiction_treatment``, ``housing_eviction``, ``debt_collection`` with a
covariate-dependent probability plus the additive effect in :data:`SOCIAL_EFFECTS`; events of
category k fall in a week ``4 j + k + 1`` (j = 0..12) so two categories never share a week.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from evaltool.exceptions import DataError
from evaltool.registers._panel import RANGE_KEY
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import from_ordinal, to_ordinal

__all__ = ["CONTACT_EFFECTS", "SOCIAL_EFFECTS", "SOCIAL_CATEGORIES", "COSTS", "simulate_contacts",
           "simulate_social_register", "contact_truth"]

CONTACT_EFFECTS = {"meetings_scheduled": 5.0, "no_show_rate": -0.06, "cancellation_rate": -0.04,
                   "spontaneous_visits": 1.5, "own_caseworker_share": 0.30}
SOCIAL_CATEGORIES = ("health_treatment", "addiction_treatment", "housing_eviction", "debt_collection")
SOCIAL_EFFECTS = {"health_treatment": 0.04, "addiction_treatment": 0.03, "housing_eviction": -0.01,
                  "debt_collection": -0.02}
# cost inputs of the simulated effort (DKK): outreach staff cost per participant and the ordinary
# jobcentre's cost per citizen per year
COSTS = {"cost_per_participant": 38_000.0, "comparison_cost_per_participant": 21_000.0}
_WORLDS = ("observed", "control", "treated")
_STANDIN0 = 900
_MAX_EXTRA = 5.0


def _rng(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(16, k)))


def _monday(week: np.ndarray) -> np.ndarray:
    """Monday of ISO weeks YYYYWW as numpy datetime64[D]."""
    first = np.array([np.datetime64(_dt.date.fromisocalendar(int(w) // 100, int(w) % 100, 1))
                      for w in np.unique(week)], dtype="datetime64[D]")
    return first[np.searchsorted(np.unique(week), week)]


def _people(persons: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    need = ("person_id", "outreach", "start_week", "match_group", "caseworker_id")
    missing = [c for c in need if c not in persons.columns]
    if missing:
        raise DataError(f"persons: column(s) {', '.join(missing)} not found; expected the simulator's persons")
    return (persons["person_id"].to_numpy(), persons["outreach"].to_numpy().astype(np.int64),
            persons["start_week"].to_numpy().astype(np.int64),
            (persons["match_group"].astype(str).to_numpy() == "aktivitetsparat").astype(float),
            persons["caseworker_id"].to_numpy().astype(np.int64))


def simulate_contacts(persons: pd.DataFrame, seed: int, world: str = "observed") -> pd.DataFrame:
    """A contact log for the simulated persons (see the module docstring for the model).

    Parameters
    ----------
    persons : DataFrame
        ``simulate_study(...).persons``.
    seed : int
        Seed of the contact stream (use the study seed).
    world : {"observed", "control", "treated"}
        Who is served by outreach; all worlds share every random draw.

    Returns
    -------
    DataFrame
        ``person_id, date, kind (meeting/open_counselling), status (attended/no_show/cancelled),
        caseworker_id, spontaneous`` sorted by person and date.

    Examples
    --------
    >>> from evaltool.simulate import simulate_study
    >>> sim = simulate_study(n=200, seed=3, panel=False)
    >>> log = simulate_contacts(sim.persons, seed=3)
    >>> sorted(log["status"].unique())
    ['attended', 'cancelled', 'no_show']
    """
    if world not in _WORLDS:
        raise DataError(f"`world` must be one of {', '.join(_WORLDS)}; got {world!r}")
    ids, treated, start, aktiv, cw = _people(persons)
    n = len(ids)
    t = {"observed": treated, "control": np.zeros(n, np.int64), "treated": np.ones(n, np.int64)}[world]
    rng = _rng(seed, 0)
    n0 = 1 + rng.poisson(7 + 2 * aktiv)
    extra = rng.poisson(_MAX_EXTRA, n)
    first0 = rng.integers(14, 57, n)
    s0 = rng.poisson(0.5, n)
    s_extra = rng.poisson(1.5, n)
    m_max = int((n0 + extra).max(initial=1))
    u_day = rng.random((n, m_max))
    u_status = rng.random((n, m_max))
    u_cw = rng.random((n, m_max))
    standin = _STANDIN0 + rng.integers(0, 40, (n, m_max))
    s_max = int((s0 + s_extra).max(initial=1))
    u_sday = rng.random((n, s_max))
    u_scw = rng.random((n, s_max))
    n_sched = n0 + t * extra
    first = first0 - 14 * t
    p_ns = 0.15 + 0.05 * aktiv - 0.06 * t
    p_c = 0.10 - 0.04 * t
    p_own = 0.55 + 0.30 * t
    j = np.arange(m_max)[None, :]
    live = j < n_sched[:, None]
    day = np.where(j == 0, first[:, None], first[:, None] + np.floor(u_day * (364 - first[:, None])))
    status = np.where(u_status < p_ns[:, None], 2, np.where(u_status < (p_ns + p_c)[:, None], 1, 0))
    who = np.where(u_cw < p_own[:, None], cw[:, None], standin)
    n_spont = s0 + t * s_extra
    k = np.arange(s_max)[None, :]
    slive = k < n_spont[:, None]
    sday = np.floor(u_sday * 364)
    swho = np.where(u_scw < p_own[:, None], cw[:, None], _STANDIN0 + rng.integers(0, 40, (n, s_max)))
    r, c = np.nonzero(live)
    rs, cs = np.nonzero(slive)
    base = _monday(start)
    frame = pd.DataFrame({
        "person_id": np.concatenate([ids[r], ids[rs]]),
        "date": np.concatenate([base[r] + day[r, c].astype("timedelta64[D]"),
                                base[rs] + sday[rs, cs].astype("timedelta64[D]")]),
        "kind": np.concatenate([np.full(r.size, "meeting", dtype=object),
                                np.full(rs.size, "open_counselling", dtype=object)]),
        "status": np.concatenate([np.array(["attended", "cancelled", "no_show"], dtype=object)[status[r, c]],
                                  np.full(rs.size, "attended", dtype=object)]),
        "caseworker_id": np.concatenate([who[r, c], swho[rs, cs]]).astype(np.int64),
        "spontaneous": np.concatenate([np.zeros(r.size, bool), np.ones(rs.size, bool)]),
    })
    order = np.lexsort((frame["kind"].to_numpy().astype(str), frame["date"].to_numpy(),
                        frame["person_id"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def contact_truth() -> dict[str, float]:
    """True effects of outreach on the per-person process measures that are linear in the model."""
    return dict(CONTACT_EFFECTS)


def simulate_social_register(persons: pd.DataFrame, code_map: CodeMap, seed: int,
                             world: str = "observed") -> pd.DataFrame:
    """A weekly social register (``person_id, week, code``) with the effects in :data:`SOCIAL_EFFECTS`.

    The code map must hold the categories in :data:`SOCIAL_CATEGORIES` (the bundled one does);
    the primary code of each category is used.
    """
    if world not in _WORLDS:
        raise DataError(f"`world` must be one of {', '.join(_WORLDS)}; got {world!r}")
    missing = [c for c in SOCIAL_CATEGORIES if c not in code_map.categories]
    if missing:
        raise DataError(f"{code_map.source}: the social register needs categories {', '.join(missing)}")
    ids, treated, start, aktiv, _ = _people(persons)
    n = len(ids)
    t = {"observed": treated, "control": np.zeros(n, np.int64), "treated": np.ones(n, np.int64)}[world]
    nonw = (persons["origin"].astype(str).to_numpy() == "non_western").astype(float) \
        if "origin" in persons.columns else np.zeros(n)
    rng = _rng(seed, 1)
    base = {"health_treatment": 0.20 + 0.10 * aktiv, "addiction_treatment": 0.04 + 0.06 * aktiv,
            "housing_eviction": 0.02 + 0.02 * aktiv + 0.01 * nonw, "debt_collection": 0.10 + 0.08 * aktiv}
    sord = to_ordinal(start)
    rows_id, rows_week, rows_code = [], [], []
    for k, cat in enumerate(SOCIAL_CATEGORIES):
        u = rng.random(n)
        slot = rng.integers(0, 13, n)
        p = base[cat] + SOCIAL_EFFECTS[cat] * t
        hit = u < p
        rel = 4 * slot + k + 1
        rows_id.append(ids[hit])
        rows_week.append(from_ordinal(sord[hit] + rel[hit]))
        rows_code.append(np.full(int(hit.sum()), code_map.codes_for(cat)[0]))
    out = pd.DataFrame({"person_id": np.concatenate(rows_id), "week": np.concatenate(rows_week).astype(np.int32),
                        "code": np.concatenate(rows_code).astype(np.int16)})
    out = out.sort_values(["person_id", "week"], kind="stable").reset_index(drop=True)
    if n:
        out.attrs[RANGE_KEY] = [int(from_ordinal(sord.min() - 156)), int(from_ordinal(sord.max() + 156))]
    return out
