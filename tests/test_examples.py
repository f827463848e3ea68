"""The examples run as documented and their key printed numbers agree with the simulators' truths.

Truths (sources): ``evaltool.simulate.simulate_study(...).truth`` — internship or wage subsidy within
52 weeks +0.02 (= +2.0 pp), contact effects meetings_scheduled +5 and no_show_rate -0.06 (-6 pp);
``evaltool.simulate.areas.simulate_area_panel(..., effect=-0.03)`` — area effect -0.03, as set in
``configs/fredericia_areas.yaml``. Each example prints the truth it is checked against, and the
tests read it from the output too, so a change of simulator is caught.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, str(ROOT / script), *args], capture_output=True, text=True,
                         timeout=600, cwd=ROOT, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


def _row(out: str, first: str) -> list[str]:
    """The whitespace-split fields of the first output line whose first field is ``first``."""
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == first:
            return fields
    raise AssertionError(f"no output line starting with {first!r}")


def test_python_api_example_runs():
    out = _run("examples/python_api.py", "--n", "4000")
    for text in ("Sample sizes", "internship_or_wage_subsidy_52w", "true effects:", "Time to event"):
        assert text in out, text


@pytest.mark.slow
def test_copenhagen_internship_interval_covers_truth():
    out = _run("examples/copenhagen/run.py")
    # outcome mean_treated mean_control estimate ci_low ci_high p_value_adj n_treated truth_pp covers_truth
    f = _row(out, "internship_or_wage_subsidy_52w")
    mt, mc, est, lo, hi, truth = (float(f[i]) for i in (1, 2, 3, 4, 5, 8))
    assert truth == 2.0  # simulate_study truth: +0.02
    assert lo <= truth <= hi and f[9] == "True"
    assert abs((mt - mc) - est) <= 0.011  # rounded to 2 decimals
    assert 0 < est < 10 and 5 < mc < 15  # levels of the order of CFBU's 12.3 % vs 10.3 %
    # robustness: all five interval types for the headline outcome, headline = wild bootstrap over 16 areas
    lines = [ln.split() for ln in out.splitlines() if ln.split()[:1] == ["internship_or_wage_subsidy_52w"]]
    kinds = {ln[1]: ln for ln in lines if len(ln) > 1 and ln[1] in
             {"pair", "cr1", "cr1_twoway", "wild_cluster_bootstrap", "randomization"}}
    assert set(kinds) == {"pair", "cr1", "cr1_twoway", "wild_cluster_bootstrap", "randomization"}
    wb = kinds["wild_cluster_bootstrap"]
    assert wb[6] == "16" and wb[7] == "True" and float(wb[3]) <= truth <= float(wb[4])
    assert "Specification curve: 8 designs" in out
    gamma = out.split("internship_or_wage_subsidy_52w: critical Gamma ")[1].split()[0]
    assert float(gamma) > 1.0
    assert "ordinary_employment_52w_pre" in out  # the pre-period placebo is reported


@pytest.mark.slow
def test_fredericia_area_did_interval_covers_simulated_effect():
    out = _run("examples/fredericia_area/run.py")
    truth = float(out.split("true effect on the treated areas after start ")[1].split(")")[0])
    assert abs(truth - (-0.03)) < 1e-9  # configs/fredericia_areas.yaml: effect -0.03, constant
    did = _row(out, "did_2x2")  # estimator aggregation(NaN) estimate ci_low ci_high pvalue se_type
    assert float(did[3]) <= truth <= float(did[4])
    raw = _row(out, "Korskærparken")  # unit period_before before after change comparison_change
    change, comp = float(raw[4]), float(raw[5])
    assert change < -0.10 and comp < -0.05  # the raw fall is mostly the common fall
    assert abs((change - comp) - float(did[2])) < 0.02  # its own DiD is near the pooled 2x2
    twfe_wild = [ln.split() for ln in out.splitlines() if ln.startswith("             twfe") and "wild" in ln][0]
    assert float(twfe_wild[3]) <= truth <= float(twfe_wild[4])
    synth_did = [ln.split() for ln in out.split("4. One area alone")[1].splitlines()
                 if ln.split()[:1] == ["synthetic_did"]][0]
    assert float(synth_did[2]) <= truth <= float(synth_did[3])


def test_fredericia_mapping_totals_add_up():
    out = _run("examples/fredericia_mapping/run.py", "--n", "6000")
    mapped = int(out.split("Reference week 202440: ")[1].split()[0])
    total = _row(out, "total")  # table 1: dagpenge integrationsydelse kontanthjaelp uddannelseshjaelp total
    assert sum(int(x) for x in total[1:5]) == int(total[5]) == mapped
    line = out.split("   totals: ")[1].splitlines()[0]
    assert line.count(f": {mapped}") == 3 and f"three-way table {mapped}" in line and line.endswith(str(mapped))
    bands = re.search(r"dagpenge recipients in the bands: (\d+) \(= the dagpenge column of table 1: (\d+)\)", out)
    assert bands is not None
    assert int(bands[1]) == int(bands[2]) == int(total[1])


def test_haderslev_journey_transition_rows_sum_to_one():
    out = _run("examples/haderslev_journey/run.py")
    n_rows = 0
    for block in out.split("1. Transitions week 0 -> week 13, ")[1:]:
        lines = block.split("\n\n")[0].splitlines()[2:]
        for ln in lines:
            fields = ln.split()
            shares = [float(x) for x in fields[2:-1]]
            assert float(fields[-1]) == 1.0
            assert abs(sum(shares) - 1.0) <= 0.0005 * len(shares)  # printed to 3 decimals
            n_rows += 1
    assert n_rows >= 4
    # contact-log effects: simulate_study truth meetings_scheduled +5, no_show_rate -0.06 (-6 pp)
    m = _row(out, "meetings_scheduled")
    assert float(m[2]) <= 5.0 <= float(m[3])
    ns = _row(out, "no_show_rate")
    assert float(ns[2]) <= -6.0 <= float(ns[3])
