"""Contract battery over every registered matching method, plus error contracts."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from evaltool.estimand import Estimand
from evaltool.exceptions import (ConfigError, DataWarning, EstimandWarning, EstimationError,
                                 EvaltoolError, MatchingError)
from evaltool.design.matching import METHODS, MatchResult, match


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n = 400
    d = pd.DataFrame({
        "age": rng.normal(40, 10, n).round(),
        "origin": rng.choice(["DK", "West", "NonWest"], n),
        "sex": rng.choice(["f", "m"], n),
        "hist": rng.random(n),
    }, index=pd.Index([f"p{i:04d}" for i in range(n)], name="person_id"))
    lin = -1.2 + 0.03 * (d["age"] - 40) + 0.8 * (d["origin"] == "NonWest") + d["hist"]
    d["t"] = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    return d


VARIANTS = [dict(), dict(ratio=2), dict(replace=True), dict(caliper=0.1), dict(exact=["sex"]),
            dict(distance="mahalanobis"), dict(estimand="ATC", replace=True), dict(discard="both")]


# nearest-only options (replace, m_order, ...) are errors for the other methods
OTHER_VARIANTS = {"optimal": [dict(), dict(exact=["sex"])],
                  "full": [dict(), dict(estimand="ATE"), dict(caliper=0.1, exact=["sex"]),
                           dict(min_controls=0.5, max_controls=3)],
                  "cem": [dict(), dict(estimand="ATE"), dict(k2k=True, estimand="ATC")],
                  "subclass": [dict(), dict(estimand="ATE"), dict(subclass=12, min_n=2)]}
CASES = [(m, kw) for m in METHODS
         for kw in (VARIANTS if m == "nearest"
                    else OTHER_VARIANTS.get(m, [dict(), dict(estimand="ATC")]))]


@pytest.mark.parametrize("method,kw", CASES, ids=[f"{m}-{json.dumps(v)}" for m, v in CASES])
def test_contract(method, kw, data):
    covs = ["age", "origin", "sex", "hist"]
    before = data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = match(data, "t", covs, method=method, **kw)
    pd.testing.assert_frame_equal(data, before)             # input untouched
    assert isinstance(m, MatchResult) and m.data is data
    idx = data.index
    for s in (m.treat, m.weights, m.subclass, m.discarded):
        assert s.index.equals(idx)
    assert m.subclass.dtype == "Int64" and m.weights.dtype == float
    assert (m.weights >= 0).all() and not m.weights[m.discarded].any()
    assert m.estimand in (Estimand.ATT, Estimand.ATM, Estimand.ATC, Estimand.ATE)
    assert m.default_variance == ("abadie_imbens" if m.spec.replace else "cluster")
    p = m.pairs()
    assert list(p.columns) == ["subclass", "treated", "control", "slot", "weight"]
    assert set(p["subclass"]) == set(range(1, p["subclass"].nunique() + 1))
    np.testing.assert_allclose(p.groupby("subclass")["weight"].sum(), 1.0)
    assert (data.loc[p["treated"], "t"] == 1).all() and (data.loc[p["control"], "t"] == 0).all()
    if m.spec.replace:
        assert m.subclass.isna().all()
    else:
        assert m.subclass.notna().sum() == (m.weights > 0).sum()
    md = m.matched_data()
    assert {"weights", "subclass"} <= set(md.columns) and len(md) == (m.weights > 0).sum()
    focal = m.focal
    assert m.match_matrix.index.equals(idx[m.treat == focal])
    dct = m.to_dict()
    text = json.dumps(dct)
    assert not any(lab in text for lab in idx[:50])                 # no person ids
    assert list(dct) == list(m.to_dict())                             # stable key order
    assert len(m.to_frame()) == len(p) and "Matching design" in m.summary()
    assert m.n["treated"]["all"] == int((data["t"] == 1).sum())
    for g in ("treated", "control"):
        c = m.n[g]
        assert c["matched"] + c["unmatched"] + c["discarded"] == c["all"]


def test_atm_warning_when_caliper_drops_treated(data):
    with pytest.warns(EstimandWarning, match="estimand is now ATM"):
        m = match(data, "t", ["age", "hist"], caliper=0.001)
    assert m.estimand is Estimand.ATM


def test_no_overlap_error():
    d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0], "s": [0.9, 0.8, 0.85, 0.1, 0.2, 0.15]})
    with pytest.raises(MatchingError, match="no overlap"):
        match(d, "t", ["s"], distance="s")
    with pytest.raises(EstimationError, match="separation|overlap"):
        match(d, "t", ["s"])


def test_caliper_dropping_every_treated_unit():
    d = pd.DataFrame({"t": [1, 1, 0, 0], "s": [0.50, 0.52, 0.40, 0.62]})
    with pytest.raises(MatchingError, match="no treated unit could be matched"):
        match(d, "t", ["s"], distance="s", caliper=0.01, std_caliper=False)


def test_exact_stratum_without_controls_warns_and_names_it(data):
    d = data.copy()
    d["area"] = np.where(d["t"] == 1, "A", "B")
    d.loc[d.index[:40], "area"] = "C"
    with pytest.warns(DataWarning, match="area='A'"):
        m = match(d, "t", ["age"], exact=["area"])
    assert m.discarded[d["area"] == "A"].all()


def test_fewer_controls_than_ratio(data):
    d = data.iloc[:60].copy()
    n_t, n_c = int(d["t"].sum()), int((1 - d["t"]).sum())
    with pytest.warns(DataWarning, match=f"{n_c} eligible control for {n_t} treated x ratio 3"):
        m = match(d, "t", ["age"], ratio=3)
    # it still matches, without replacement: every control at most once, none invented
    used = m.match_matrix.stack().dropna()
    assert 0 < len(used) <= n_c and used.is_unique


def test_non_numeric_covariate_is_categorical(data):
    m = match(data, "t", ["age", "origin"])
    assert "originNonWest" in m.propensity.columns


@pytest.mark.parametrize("kw, msg", [
    (dict(caliper=-0.2), r"`caliper` must be a number > 0; got -0.2"),
    (dict(ratio=0), r"`ratio` must be an integer >= 1"),
    (dict(method="genetic"), r"`method` must be one of 'nearest'"),
    (dict(m_order="biggest"), r"`m_order` must be one of"),
    (dict(discard="some"), r"`discard` must be one of"),
    (dict(estimand="ATE"), r"`estimand` must be one of 'ATT', 'ATC'"),
    (dict(distance="nocol"), r"distance column"),
    (dict(exact=["nocol"]), r"'nocol' not found"),
    (dict(m_order="random"), r"needs an explicit `seed`"),
])
def test_argument_errors(kw, msg, data):
    with pytest.raises(EvaltoolError, match=msg):
        match(data, "t", ["age"], **kw)


@pytest.mark.parametrize("kw, msg", [
    (dict(ties=True), "`ties` .*needs `replace` to be true"),
    (dict(distance="mahalanobis", caliper=0.2), "`caliper` needs a score, but `distance` is 'mahalanobis'"),
    (dict(distance="mahalanobis", mahvars=["age"]), "mahvars"),
])
def test_incompatible_options(kw, msg, data):
    with pytest.raises(ConfigError, match=msg):
        match(data, "t", ["age"], **kw)


def test_missing_covariate_named(data):
    with pytest.raises(EvaltoolError, match="'income' not found"):
        match(data, "t", ["age", "log(income)"])
