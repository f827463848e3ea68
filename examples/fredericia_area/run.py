"""Fredericia: did unemployment in Korskærparken fall because of the outreach job consultants?

The press release: unemployment in Korskærparken fell from 49.4 % to 37.7 % after job consultants
moved into the area. Unemployment fell almost everywhere in those years, so the raw fall is not the
effect. This example reads the analysis from ``configs/fredericia_areas.yaml`` (section
``area_panel``: the fields of :class:`evaltool.areas.AreaSpec` plus the data source) and runs it on a
simulated panel shaped like the real case (16 areas, 2008-2020, two treated from 2014, a common fall
of ~8 points and a true effect of -3 points). Replace ``simulate:`` by ``path:`` (one row per area
and year) for the real panel. Run from the repository root::

    PYTHONPATH=src python examples/fredericia_area/run.py
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import yaml

import evaltool
from evaltool.areas import AreaSpec, run_area_analysis
from evaltool.simulate.areas import simulate_area_panel

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "fredericia_areas.yaml"
FOCUS = "Korskærparken"


def _panel(section: dict) -> pd.DataFrame:
    if "path" in section:
        path = Path(section.pop("path"))
        return pd.read_csv(path if path.is_absolute() else CONFIG.parent / path)
    sim = section.pop("simulate")
    years = range(sim["years"][0], sim["years"][1] + 1)
    panel, truth = simulate_area_panel(sim["n_areas"], years, sim["scenario"], sim["effect"], sim["seed"])
    print(f"(simulated panel: true effect on the treated areas after start {truth['att_treated_post']:+.3f})\n")
    return panel


def _print(frame: pd.DataFrame, digits: int = 4) -> None:
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(frame.round(digits).to_string(index=False))


def main() -> None:
    warnings.simplefilter("ignore", evaltool.EvaltoolWarning)  # not-estimable notes are printed below
    cfg = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    section = dict(cfg["area_panel"])
    panel = _panel(section)
    spec = AreaSpec.build(**{**section, "n_boot": 499, "n_permutations": 499, "n_placebo": 50})
    seed = int(cfg["study"]["seed"])
    res = run_area_analysis(panel, spec, seed=seed)

    print("1. What the press release says: the raw change per treated area (pre = last year before start)")
    ba = pd.DataFrame(res.before_after)[["unit", "period_before", "before", "after", "change", "comparison_change"]]
    _print(ba, 3)
    print("   comparison_change = the same change in the never-treated areas: most of the fall happened there too.\n")

    table = res.to_frame()
    print("2. Effect estimates (unemployment rate, fraction; -0.03 = 3 percentage points)")
    heads = table[table["event_time"].isna() & table["period"].isna()
                  & (table["group"].isna() | table["estimator"].isin(["did_2x2", "synthetic_control",
                                                                      "synthetic_did"]))]
    _print(heads[["estimator", "aggregation", "estimate", "ci_low", "ci_high", "pvalue", "se_type"]])
    for name, why in dict(res.not_estimable).items() if getattr(res, "not_estimable", None) else []:
        print(f"   not estimable: {name}: {why}")

    print("\n3. Event study (years relative to start; -1 is the reference)")
    ev = table[(table["estimator"] == "event_study") & table["event_time"].notna()]
    _print(ev[["event_time", "estimate", "ci_low", "ci_high"]])
    pt = res.pretrend_test
    print(f"   pre-trend test (leads {pt['leads']}): chi2 = {pt['statistic']:.2f}, df = {pt['df']}, "
          f"p = {pt['pvalue']:.3f} (a small p says the areas were already drifting apart before start)")

    print(f"\n4. One area alone: synthetic control and synthetic DiD for {FOCUS}")
    unit, first = spec.unit, spec.first_treated
    one = panel[(panel[unit] == FOCUS) | (panel[first].fillna(0) == 0)]
    one_spec = AreaSpec.build(**{**section, "methods": ["synthetic_control", "synthetic_did"], "n_placebo": 50})
    one_res = run_area_analysis(one, one_spec, seed=seed)
    rows = one_res.to_frame()
    rows = rows[rows["event_time"].isna() & rows["period"].isna()]
    _print(rows[["estimator", "estimate", "ci_low", "ci_high", "se_type"]])
    for m in ("synthetic_control", "synthetic_did"):
        donors = sorted((w for w in one_res.donor_weights if w["estimator"] == m), key=lambda w: -w["weight"])
        top = ", ".join(f"{w['unit']} {w['weight']:.2f}" for w in donors[:3])
        print(f"   {m}: {len(donors)} donors with weight > 0 (largest: {top}); "
              f"pre-period RMSPE {one_res.extras[m]['pre_rmspe']:.4f}")
    print("   A synthetic control is a weighted average of comparison areas without an intercept: an area whose\n"
          "   level is above every comparison area cannot be reproduced (large pre-period RMSPE) and its\n"
          "   estimate should not be used; synthetic DiD allows a level difference and fits the pre-period trend.")


if __name__ == "__main__":
    main()
