"""``comparison_designs`` feed the specification curve (issue 15): each declared design is one more
point of the curve per headline outcome, labelled by its name, and the curve's summary counts it.

The study runs are small simulations (``data.simulate``, 2,500 persons); the numbers compared are the
study's own (the comparison block's effect must be the curve point's), so no reference software is
involved.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from evaltool.config.loader import config_from_dict
from evaltool.results.comparison import ComparisonDesignRow
from evaltool.sensitivity.speccurve import CURVE_COLUMNS, add_comparison_designs, curve_summary
from evaltool.study.run import run_study

BASE = {
    "study": {"title": "Curve", "seed": 4},
    "data": {"simulate": {"n": 2500, "seed": 3}},
    "outcomes": [{"name": "y", "label": {"da": "y", "en": "y"}, "kind": "any", "categories": ["loentilskud"],
                  "weeks": [1, 52]}],
    "design": {"covariates": ["age", "C(origin)"]},
    "sensitivity": {"rosenbaum": False, "evalue": False, "placebo": {"pre_period": False}, "cluster": "none",
                    "specification_curve": {"caliper": [None, 0.2], "ratio": [1], "replace": [False],
                                            "regression": [False]}},
}
COMPARISON = [{"name": "overlap", "method": "weighting", "weighting": "overlap"},
              {"name": "subclass8", "method": "subclass", "subclass": 8}]


def _run(comparison: list | None):
    d = json.loads(json.dumps(BASE))
    if comparison is not None:
        d["comparison_designs"] = comparison
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_study(config_from_dict(d)).document()


@pytest.fixture(scope="module")
def with_designs():
    return _run(COMPARISON)


def _curve(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def test_points_follow_the_grid_labelled_by_design():
    curve = _curve([{"spec_id": s, "caliper": c, "ratio": 1, "replace": False, "exact": "none",
                     "regression": False, "outcome": o, "estimate": e, "ci_low": e - 1, "ci_high": e + 1}
                    for s, c in [(1, None), (2, 0.2)] for o, e in [("a", 1.0 * s), ("b", -1.0 * s)]])
    rows = [ComparisonDesignRow(design="main", outcome="a", estimate=9.0),
            ComparisonDesignRow(design="ipw", method="weighting (ipw)", outcome="a", estimate=3.0,
                                ci_low=2.5, ci_high=3.5, n_treated=40, n_control=60),
            ComparisonDesignRow(design="ipw", outcome="b", estimate=None),
            ComparisonDesignRow(design="ipw", outcome="not_on_curve", estimate=1.0),
            ComparisonDesignRow(design="cem", outcome="a", estimate=-4.0, ci_low=-5.0, ci_high=-3.0)]
    out = add_comparison_designs(curve, rows)
    assert out.iloc[:4].equals(curve.astype(out.dtypes.to_dict()))  # the grid is untouched
    new = out.iloc[4:]
    assert new[["spec_id", "design", "outcome"]].values.tolist() == [[3, "ipw", "a"], [3, "ipw", "b"],
                                                                     [4, "cem", "a"]]
    assert new["estimate"].tolist()[0] == 3.0 and np.isnan(new["estimate"].tolist()[1])
    assert [None if pd.isna(e) else e for e in new["error"]] == [None, "not estimable", None]
    assert new[["n_treated", "n_control"]].values.tolist()[0] == [40, 60]
    assert new[["caliper", "ratio", "exact"]].isna().all().all()
    s = curve_summary(out, {"a": 1.0, "b": -1.0}).set_index("outcome")
    assert s.loc["a", "n_specs"] == 4 and s.loc["a", "n_estimable"] == 4 and s.loc["b", "n_specs"] == 3
    assert s.loc["a", "min"] == -4.0 and s.loc["a", "max"] == 3.0   # the comparison points widen the range
    assert s.loc["a", "share_same_sign"] == 0.75
    assert add_comparison_designs(curve, rows[:1]) is curve          # only the headline: nothing added


def test_study_curve_has_each_comparison_design(with_designs):
    s, block = with_designs.sensitivity, with_designs.comparison_designs
    grid = [r for r in s.specification_curve if r.design is None]
    points = [r for r in s.specification_curve if r.design is not None]
    assert [r.spec for r in grid] == [1, 2]
    assert [(r.spec, r.design, r.outcome) for r in points] == [(3, "overlap", "y"), (4, "subclass8", "y")]
    eff = {(r.design, r.outcome): r for r in block.rows}
    for p in points:
        e = eff[(p.design, p.outcome)]
        assert (p.estimate, p.ci_low, p.ci_high, p.n_treated, p.n_control) == \
            (e.estimate, e.ci_low, e.ci_high, e.n_treated, e.n_control)
        assert p.estimate is not None and p.caliper is None and p.ratio is None
    summary = {r.outcome: r for r in s.specification_summary}["y"]
    assert summary.n_specs == 4
    ests = [r.estimate for r in s.specification_curve if r.estimate is not None]
    assert summary.min == min(ests) and summary.max == max(ests)


def test_without_comparison_designs_the_curve_is_the_grid(with_designs):
    plain = _run(None)
    assert [r.spec for r in plain.sensitivity.specification_curve] == [1, 2]
    assert all(r.design is None for r in plain.sensitivity.specification_curve)
    assert plain.sensitivity.specification_curve == tuple(r for r in with_designs.sensitivity.specification_curve
                                                          if r.design is None)


def test_curve_is_deterministic(with_designs):
    assert _run(COMPARISON).to_json() == with_designs.to_json()
