"""Test support for evaltool.effects: a minimal design satisfying the Design protocol.

Built from the R fixtures in tests/fixtures/effects/ (MatchIt 4.7.2 designs,
Matching::Match matched sets) or from a small simulated population.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from evaltool.effects import PairsDesign
from evaltool.estimand import Estimand

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "effects"


FakeDesign = PairsDesign  # designs built by hand in the tests


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def lalonde_matchit() -> pd.DataFrame:
    d = load("sandwich.json")["data"]
    return pd.DataFrame(d).set_index("id")


def matchit_design(case: str) -> FakeDesign:
    """A design from a MatchIt 4.7.2 case (weights, subclasses; pairs from subclasses/get_matches)."""
    c = load("sandwich.json")["cases"][case]
    data = lalonde_matchit()
    w = pd.Series(np.asarray(c["weight"], dtype=float), index=data.index)
    sub = pd.Series([None if s is None else int(s) for s in c["subclass"]], index=data.index, dtype="Int64")
    treat = data["treat"].astype(int)
    if "get_matches" in c:
        gm = pd.DataFrame(c["get_matches"])
        rows = []
        for s, grp in gm.groupby("subclass", sort=False):
            t = grp.loc[grp["treat"] == 1, "unit_id"].iloc[0]
            ctrl = grp[grp["treat"] == 0]
            for k, (u, wt) in enumerate(zip(ctrl["unit_id"], ctrl["weights"]), start=1):
                rows.append({"subclass": int(s), "treated": t, "control": u, "slot": k, "weight": float(wt)})
        pairs, default, replace = pd.DataFrame(rows), "abadie_imbens", True
    else:
        rows = []
        frame = pd.DataFrame({"treat": treat, "sub": sub})[w > 0]
        for s, grp in frame.groupby("sub"):
            t = grp.index[grp["treat"] == 1][0]
            ctrl = list(grp.index[grp["treat"] == 0])
            for k, u in enumerate(ctrl, start=1):
                rows.append({"subclass": int(s), "treated": t, "control": u, "slot": k, "weight": 1 / len(ctrl)})
        pairs, default, replace = pd.DataFrame(rows), "cluster", False
    return FakeDesign(data=data, treatment="treat", treat=treat, weights=w, subclass=sub,
                      estimand=Estimand.ATT, default_variance=default, pairs_frame=pairs,
                      spec=SimpleNamespace(ratio=1, replace=replace))


def matching_design(case: str) -> FakeDesign:
    """A design from R Matching::Match's own matched sets (1-based indices -> row labels 0..n-1)."""
    fx = load("matching.json")
    c = fx["cases"][case]
    data = pd.DataFrame(fx["data"])
    est = Estimand.parse(c["estimand"])
    it = np.asarray(c["index_treated"]) - 1
    ic = np.asarray(c["index_control"]) - 1
    pw = np.asarray(c["weights"], dtype=float)
    focal = ic if est is Estimand.ATC else it
    sets = pd.factorize(focal)[0] + 1
    slot = pd.Series(sets).groupby(sets).cumcount().to_numpy() + 1
    pairs = pd.DataFrame({"subclass": sets, "treated": data.index[it], "control": data.index[ic],
                          "slot": slot, "weight": pw})
    other = it if est is Estimand.ATC else ic
    w = np.zeros(len(data))
    w[np.unique(focal)] = 1.0
    np.add.at(w, other, pw)
    treat = data["treat"].astype(int)
    return FakeDesign(data=data, treatment="treat", treat=treat, weights=pd.Series(w, index=data.index),
                      subclass=pd.Series(pd.NA, index=data.index, dtype="Int64"), estimand=est,
                      default_variance="abadie_imbens", pairs_frame=pairs,
                      spec=SimpleNamespace(ratio=c["M"], replace=True))


def simulate_population(n: int, rng: np.random.Generator, effect: float = 0.05) -> pd.DataFrame:
    """Selection on observables; binary outcome with a constant additive effect ``effect``."""
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    ps = 1 / (1 + np.exp(-(-1.2 + 0.8 * x1 + 0.6 * x2)))
    t = rng.binomial(1, ps)
    base = np.clip(0.25 + 0.10 * x1 + 0.10 * x2, 0.02, 0.90)
    y = rng.binomial(1, np.clip(base + effect * t, 0, 1))
    return pd.DataFrame({"x1": x1, "x2": x2, "treat": t, "y": y, "ps": ps,
                         "group": np.where(x2 == 1, "b", "a")},
                        index=pd.Index([f"P{i:05d}" for i in range(n)], name="person_id"))


def nearest_design(data: pd.DataFrame, score: str = "ps", ratio: int = 1, replace: bool = False,
                   estimand: Estimand = Estimand.ATT) -> FakeDesign:
    """Greedy nearest-neighbour matching on a score (treated in descending score order)."""
    t = data["treat"].to_numpy()
    s = data[score].to_numpy()
    treated = np.flatnonzero(t == 1)
    treated = treated[np.argsort(-s[treated], kind="stable")]
    rows = []
    avail = np.ones(len(data), dtype=bool)
    for k_set, i in enumerate(treated, start=1):
        cand = np.flatnonzero((t == 0) & avail)
        if cand.size < ratio:
            break
        best = cand[np.argsort(np.abs(s[cand] - s[i]), kind="stable")[:ratio]]
        for slot, j in enumerate(best, start=1):
            rows.append({"subclass": k_set, "treated": data.index[i], "control": data.index[j],
                         "slot": slot, "weight": 1 / ratio})
        if not replace:
            avail[best] = False
    pairs = pd.DataFrame(rows)
    w = pd.Series(0.0, index=data.index)
    w[pairs["treated"].unique()] = 1.0
    cw = pairs.groupby("control")["weight"].sum()
    w[cw.index] += cw.to_numpy()
    sub = pd.Series(pd.NA, index=data.index, dtype="Int64")
    if not replace:
        sub[pairs["treated"]] = pairs["subclass"].to_numpy()
        sub[pairs["control"]] = pairs["subclass"].to_numpy()
    return FakeDesign(data=data, treatment="treat", treat=data["treat"].astype(int), weights=w,
                      subclass=sub, estimand=estimand,
                      default_variance="abadie_imbens" if replace else "cluster",
                      pairs_frame=pairs, distance=data[score],
                      spec=SimpleNamespace(ratio=ratio, replace=replace))
