"""Area-level analysis of a simulated Fredericia-like panel, from Python.

Two housing areas get outreach job consultants from 2014; unemployment there falls from about
49 % to 38 %, but it also falls in the comparison areas. The true effect in the simulation is
-3 percentage points. Run:

    PYTHONPATH=src python examples/fredericia_areas.py
"""

from __future__ import annotations

import pandas as pd

from evaltool.areas import AreaSpec, run_area_analysis
from evaltool.simulate.areas import simulate_area_panel


def main() -> None:
    panel, truth = simulate_area_panel(n_areas=16, years=range(2008, 2021), scenario="fredericia",
                                       effect=-0.03, seed=2026)
    spec = AreaSpec(population="residents",
                    methods=["before_after", "did_2x2", "twfe", "event_study", "callaway_santanna",
                             "synthetic_control", "synthetic_did"],
                    n_boot=999, n_permutations=999, n_placebo=50)
    res = run_area_analysis(panel, spec, seed=2026)

    print("What the press release says (raw change, per area):")
    ba = pd.DataFrame(res.before_after)[["unit", "period_before", "before", "after", "change", "comparison_change"]]
    print(ba.round(3).to_string(index=False))
    print(f"\nTrue effect in the simulation: {truth['att_treated_post']:+.3f}\n")
    table = res.to_frame()
    heads = table[table["event_time"].isna() & table["period"].isna()
                  & (table["group"].isna() | table["estimator"].isin(["did_2x2", "synthetic_control",
                                                                      "synthetic_did"]))]
    cols = ["estimator", "aggregation", "estimate", "ci_low", "ci_high", "pvalue", "se_type"]
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(heads[cols].round(4).to_string(index=False))
    pt = res.pretrend_test
    print(f"\nPre-trend test (event study leads {pt['leads']}): chi2 = {pt['statistic']:.2f}, "
          f"df = {pt['df']}, p = {pt['pvalue']:.3f}")
    for m in ("synthetic_control", "synthetic_did"):
        n_donors = len([w for w in res.donor_weights if w["estimator"] == m])
        print(f"{m}: {n_donors} donors with weight > 0, pre-period RMSPE {res.extras[m]['pre_rmspe']:.4f} "
              "(a poor fit means the estimate should not be trusted)")


if __name__ == "__main__":
    main()
