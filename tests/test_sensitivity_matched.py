"""Design adapters: matched sets, orientation, method choice, E-values of effect rows, empty result."""

import math

import numpy as np
import pandas as pd
import pytest

from evaltool.design.matching import match
from evaltool.effects import estimate
from evaltool.sensitivity import SensitivityResult, evalue_md, evalue_outcome, matched_sets, rosenbaum_outcome
from evaltool.sensitivity.rosenbaum import mcnemar_bound, wilcoxon_bound


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    n = 600
    d = pd.DataFrame({"x": rng.normal(size=n)}, index=pd.Index([f"p{i}" for i in range(n)]))
    d["t"] = (rng.random(n) < 1 / (1 + np.exp(1.2 - 0.5 * d["x"]))).astype(int)
    d["y"] = d["x"] + 0.4 * d["t"] + rng.normal(size=n)
    d["b"] = (rng.random(n) < 0.3 + 0.15 * d["t"]).astype(int)
    return d


def test_pairs_give_mcnemar_and_wilcoxon_consistent_with_raw_bounds(data):
    m = match(data, "t", ["x"])
    sets = matched_sets(m, data["b"])
    assert sets.shape == (int((data["t"] == 1).sum()), 2)
    r = rosenbaum_outcome(sets, [1.0, 1.5])
    d = sets[:, 0] - sets[:, 1]
    assert r["method"] == "mcnemar"
    assert r["p_upper"][1] == pytest.approx(mcnemar_bound(int((d > 0).sum()), int((d != 0).sum()), 1.5))
    sets_y = matched_sets(m, data["y"])
    ry = rosenbaum_outcome(sets_y, [1.0, 2.0])
    assert ry["method"] == "wilcoxon"
    assert ry["p_upper"][1] == pytest.approx(wilcoxon_bound(sets_y[:, 0] - sets_y[:, 1], 2.0)[1])
    # the Hodges-Lehmann range widens with Gamma and contains the Gamma = 1 estimate
    (a1, b1), (a2, b2) = ry["hl_interval"]
    assert a2 < a1 <= b1 < b2
    rx = rosenbaum_outcome(sets_y, [1.0], exact_max_pairs=400)
    assert rx["method"] == "wilcoxon_exact"


@pytest.mark.filterwarnings("ignore::evaltool.exceptions.EvaltoolWarning")
def test_direction_follows_the_effect_and_atc_is_oriented_treated_minus_control(data):
    for estimand in ("ATT", "ATC"):
        m = match(data, "t", ["x"], estimand=estimand)
        eff = estimate(m, "y").effects["estimate"].iloc[0]
        sets = matched_sets(m, data["y"])
        assert np.mean(sets[:, 0] - sets[:, 1]) == pytest.approx(eff, abs=1e-9)
        assert rosenbaum_outcome(sets, [1.0])["direction"] == ("increase" if eff > 0 else "decrease")
    neg = data.assign(y=-data["y"])
    r = rosenbaum_outcome(matched_sets(match(neg, "t", ["x"]), neg["y"]), [1.0])
    assert r["direction"] == "decrease" and r["p_upper"][0] < 0.05


def test_evalue_of_a_continuous_effect_row_uses_the_comparison_sd(data):
    m = match(data, "t", ["x"])
    row = estimate(m, "y").effects.iloc[0]
    ctrl = data.loc[(m.treat == 0) & (m.weights > 0), "y"].to_numpy()
    got = evalue_outcome(row, ctrl)
    sd = float(np.std(ctrl))
    assert got["scale"] == "SMD"
    assert got["evalue"] == pytest.approx(evalue_md(row["estimate"] / sd).point, rel=1e-12)
    assert got["rr"] == pytest.approx(math.exp(0.91 * row["estimate"] / sd), rel=1e-12)


def test_empty_result_surface():
    r = SensitivityResult()
    d = r.to_dict()
    assert list(d) == ["rosenbaum", "evalue", "placebo", "cluster", "headline_interval", "specification_curve",
                       "specification_summary", "spec", "seed", "notes"]
    assert d["rosenbaum"] == [] and len(r.to_frame()) == 0
    assert repr(r).startswith("SensitivityResult(rosenbaum=0")
