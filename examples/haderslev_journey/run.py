"""Haderslev: what path do citizens take through the system, and how long do their cases last?

"Borgerrejsen": for citizens served by outreach and matched citizens served by the ordinary
jobcentre, the quarter-by-quarter transitions between benefits and efforts (internship/wage
subsidy, sickness benefit, resource course, education, self-support), the most frequent pathways,
the time on public support until a lasting exit (case duration), process measures from the contact
log and the cost per additional person placed. The specs are the process sections of
``configs/splejse_mapping.yaml``; the data are simulated with known truths. Run from the repository
root (about 20 s at the default size)::

    PYTHONPATH=src python examples/haderslev_journey/run.py [--n 4000] [--figures out_dir]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import evaltool
from evaltool.process import CaseDurationSpec, ContactsSpec, CostSpec, JourneySpec
from evaltool.process.contacts import run_process
from evaltool.process.cost import run_cost
from evaltool.process.duration import run_case_duration
from evaltool.process.figures import alluvial_figure, state_distribution_figure
from evaltool.registers import OutcomeSpec, derive_outcomes
from evaltool.registers.journeys import journeys
from evaltool.simulate import simulate_contacts, simulate_study

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "splejse_mapping.yaml"


def process_sections(path: Path) -> dict:
    """The process sections of the config (the study config's own sections)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def transition_table(jr, group: str, from_period: int = 0) -> pd.DataFrame:
    """Row shares of the transition matrix ``from_period -> from_period + 1`` (rows with persons only)."""
    t = next(t for t in jr.transitions if t["group"] == group and t["from_period"] == from_period)
    counts = np.asarray(t["counts"], dtype=float)
    shares = pd.DataFrame(np.asarray(t["shares"], dtype=float), index=jr.states, columns=jr.states)
    keep = counts.sum(axis=1) > 0
    out = shares[keep].loc[:, counts.sum(axis=0) > 0]
    out.insert(0, "n", counts.sum(axis=1)[keep])
    out["row_sum"] = shares[keep].sum(axis=1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--figures", type=Path, default=None, help="folder for the two journey figures (PNG)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", evaltool.EvaltoolWarning)
    cfg = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    sections = process_sections(CONFIG)
    seed = int(cfg["data"]["simulate"]["seed"])

    sim = simulate_study(n=args.n, seed=seed)
    persons = sim.persons.set_index("person_id", drop=False)
    rng = sim.data_range

    # 1. the matched design of configs/splejse_mapping.yaml; journeys are compared on it
    d = cfg["design"]
    design = evaltool.match(persons, "outreach", d["covariates"], exact=d["exact"])
    w = design.weights.reindex(persons.index).to_numpy()
    pair = design.subclass.reindex(persons.index).to_numpy()
    print(f"Matched design: {int((design.treat == 1).sum())} outreach citizens, "
          f"{int(((design.treat == 0) & (design.weights > 0)).sum())} matched comparison citizens "
          f"(exact on {d['exact']})\n")

    jspec = JourneySpec(**sections["journeys"])
    jr = journeys(persons, sim.weekly_status, sim.code_map, jspec, weights=w, cluster=pair, data_range=rng)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for group in ("treated", "comparison"):
            print(f"1. Transitions week 0 -> week 13, {group} (row shares; each row sums to 1)")
            print(transition_table(jr, group).round(3).to_string(), end="\n\n")
        print("2. Treated - comparison differences in transition probabilities (spec contrasts; "
              "95 % CI clustered by matched pair)")
        print(jr.to_frame()[["from_state", "to_state", "p_treated", "p_control", "estimate", "ci_low", "ci_high",
                             "n_treated"]].round(3).to_string(index=False), end="\n\n")
    print("3. Most frequent pathways (spells of at least "
          f"{sections['journeys']['min_spell_weeks']} weeks, first year)")
    for group in ("treated", "comparison"):
        for p in [p for p in jr.pathways if p["group"] == group][:4]:
            print(f"   {group:<10} {p['share']:6.1%}  {p['pathway']}")
    tis = pd.DataFrame([{"group": r["group"], **r["weeks"]} for r in jr.time_in_state if "subgroup" not in r
                        or r.get("subgroup") is None]).set_index("group")
    print("\n4. Weeks in each state during the first year (matched groups)")
    print(tis.loc[:, tis.sum(axis=0) > 0].round(1).to_string(), end="\n\n")

    # 5. case duration: weeks on public support until a lasting exit, and until a first offer
    cd = run_case_duration(persons, sim.weekly_status, sim.code_map, CaseDurationSpec(**sections["case_duration"]),
                           weights=w, cluster=pair, data_range=rng)
    print("5. Case duration (weeks; median and restricted mean with 95 % CI)")
    print(cd.to_frame().round(1).to_string(index=False), end="\n\n")

    # 6. process measures from the contact log, with effects on the matched design
    proc = run_process(simulate_contacts(sim.persons, seed), design, ContactsSpec(**sections["contacts"]))
    print("6. Process measures (treated - comparison, first year)")
    print(proc.rows[["indicator", "estimate", "ci_low", "ci_high", "unit"]].round(3).to_string(index=False))
    print("   true effects:", ", ".join(f"{k} {v:+g}" for k, v in sim.truth["contacts"].items()), end="\n\n")

    # 7. cost per additional person in internship or wage subsidy
    out = derive_outcomes(persons, sim.weekly_status, sim.code_map,
                          [OutcomeSpec("internship_or_wage_subsidy_52w", "any", ("placement",), window=(1, 52))],
                          data_range=rng)
    eff = evaltool.estimate(design, out.frame.set_axis(persons.index))
    cost = run_cost(CostSpec(**sections["cost"]), eff.effects)
    print("7. " + cost.summary())

    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
        alluvial_figure(jr, "treated").savefig(args.figures / "alluvial_treated.png", dpi=120)
        state_distribution_figure(jr).savefig(args.figures / "state_distribution.png", dpi=120)


if __name__ == "__main__":
    main()
