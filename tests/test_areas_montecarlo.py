"""Small Monte-Carlo check (slow): unbiasedness and coverage with known truth; the full run is
benchmarks/bench_areas_montecarlo.py (table in docs/areas.md)."""

from __future__ import annotations

import numpy as np
import pytest

from evaltool.areas import AreaSpec, run_area_analysis
from evaltool.simulate.areas import simulate_area_panel

REPS = 30


@pytest.mark.slow
def test_block_design_unbiased_and_covers():
    spec = AreaSpec(methods=["twfe", "callaway_santanna"], n_boot=99, n_permutations=0)
    err, cov_cl, cov_wb, err_cs = [], [], [], []
    for s in range(REPS):
        df, truth = simulate_area_panel(24, range(2008, 2021), "fredericia", -0.03, 100 + s, n_treated=8)
        res = run_area_analysis(df, spec, seed=s)
        tw = [r for r in res.estimates if r.estimator == "twfe"]
        t = truth["att_treated_post"]
        err.append(tw[0].estimate - t)
        cov_cl.append(tw[0].ci_low <= t <= tw[0].ci_high)
        cov_wb.append(tw[2].ci_low <= t <= tw[2].ci_high)
        err_cs.append(res.get("callaway_santanna", "simple").estimate - truth["att_simple"])
    for e in (np.array(err), np.array(err_cs)):
        assert abs(e.mean()) < 4 * e.std(ddof=1) / np.sqrt(REPS)
    # 30 replications: a 95 % interval covers >= 24 times with probability > 0.99
    assert sum(cov_cl) >= 24 and sum(cov_wb) >= 24


@pytest.mark.slow
def test_staggered_twfe_biased_cs_not():
    spec = AreaSpec(methods=["twfe", "callaway_santanna"], n_boot=0, n_permutations=0)
    tw, cs = [], []
    for s in range(REPS):
        df, truth = simulate_area_panel(24, range(2008, 2021), "staggered", -0.03, 200 + s)
        res = run_area_analysis(df, spec, seed=s)
        tw.append(res.get("twfe").estimate - truth["att_simple"])
        cs.append(res.get("callaway_santanna", "simple").estimate - truth["att_simple"])
    tw, cs = np.array(tw), np.array(cs)
    assert tw.mean() > 4 * tw.std(ddof=1) / np.sqrt(REPS)        # TWFE attenuated towards zero
    assert abs(cs.mean()) < 4 * cs.std(ddof=1) / np.sqrt(REPS)
