"""Degenerate standard errors (0 relative to the outcome scale) give "not estimable", not "CI 0.0 to 0.0"."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import evaltool
from evaltool.effects.multiple import adjust_pvalues
from evaltool.exceptions import DataWarning, EstimationError


@pytest.fixture(scope="module")
def design():
    rng = np.random.default_rng(7)
    n = 400
    d = pd.DataFrame({"t": (rng.random(n) < 0.3).astype(int), "x": rng.normal(size=n)})
    return evaltool.match(d, "t", ["x"]), d


def test_constant_outcome_is_not_estimable(design):
    m, d = design
    outcomes = pd.DataFrame({"same": np.ones(len(d)), "varies": (np.arange(len(d)) % 3 == 0).astype(float)},
                            index=d.index)
    with pytest.warns(DataWarning, match=r"outcome 'same': not estimable \(the standard error is 0"):
        res = evaltool.estimate(m, outcomes)
    eff = res.effects.set_index("outcome")
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "p_value_adj"):
        assert math.isnan(eff.loc["same", col]), col
    assert eff.loc["same", "mean_treated"] == 100.0  # the group levels are still described
    assert np.isfinite(eff.loc["varies", ["estimate", "std_error", "p_value", "p_value_adj"]].astype(float)).all()
    # the not-estimable outcome is not part of the multiple-testing family
    assert eff.loc["varies", "p_value_adj"] == pytest.approx(eff.loc["varies", "p_value"])


def test_adjust_pvalues_leaves_nan_out_of_the_family():
    out = adjust_pvalues([0.01, float("nan"), 0.03], "bh")
    assert math.isnan(out[1])
    assert out[[0, 2]].tolist() == pytest.approx([0.02, 0.03])  # BH over m = 2: 0.01*2/1, 0.03*2/2
    with pytest.raises(EstimationError, match=r"must be in \[0, 1\]"):
        adjust_pvalues([0.5, float("inf")], "holm")


@pytest.mark.parametrize("language, note", [("da", "kan ikke estimeres"), ("en", "not estimable")])
def test_report_says_not_estimable(language, note):
    from dataclasses import replace
    from pathlib import Path

    from evaltool.report import render_report
    from evaltool.results.schema import ResultsDocument

    doc = ResultsDocument.read(Path(__file__).parent / "fixtures" / "report" / "results_example.json")
    e = replace(doc.effects[0], estimate=None, std_error=None, ci_low=None, ci_high=None, p_value=None,
                p_value_adj=None)
    html = render_report(replace(doc, effects=(e,) + doc.effects[1:]), template="final", language=language).html
    assert note in html
    assert note not in render_report(doc, template="final", language=language).html


def test_more_coefficients_than_units_is_an_estimation_error_not_a_crash():
    """Found by the disclosure attacker (random studies 2446 and 5106): a specification-curve regression on
    a tiny matched sample had more covariate columns than units, and QR's R was not square (LinAlgError)."""
    import numpy as np
    import pytest

    from evaltool.effects.estimators import wls
    from evaltool.exceptions import EstimationError

    X = np.column_stack([np.ones(3), [0, 1, 1], np.eye(3)])  # 3 units, 5 coefficients
    with pytest.raises(EstimationError, match="5 coefficients but only 3 units"):
        wls(X, np.array([0.0, 1.0, 1.0]), np.ones(3))
