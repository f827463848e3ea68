"""Fredericia: who are the unemployed residents the job consultant should reach, and when?

The job consultant's strategy ("splejseordning") needs a map of the target group at one reference
week: unemployed residents by housing area, benefit and match (visitation) group, and which
dagpenge recipients lose their entitlement in the coming months (they then move to cash benefit,
or out of the target group). The specs are the ``mapping:`` section of
``configs/splejse_mapping.yaml`` (the same file runs on register extracts); the data here are
simulated with the config's seed. Run from the repository root::

    PYTHONPATH=src python examples/fredericia_mapping/run.py [--n 20000]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd
import yaml

import evaltool
from evaltool.process import MappingSpec
from evaltool.process.mapping import run_mapping
from evaltool.simulate import simulate_study

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "splejse_mapping.yaml"


def process_sections(path: Path) -> dict:
    """The process sections of the config (the study config's own sections)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _masked(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Counts 1..min_cell-1 shown as '<5' (the output folder's gate also suppresses secondary cells)."""
    return frame.apply(lambda col: col.map(lambda v: f"<{min_cell}" if 0 < v < min_cell else str(int(v))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=None, help="persons to simulate (default: the config's n)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", evaltool.EvaltoolWarning)
    cfg = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    sim_cfg = cfg["data"]["simulate"]
    n = args.n or sim_cfg["n"]
    spec = MappingSpec(**{**process_sections(CONFIG)["mapping"], "by": ["area", "benefit", "match_group"]})
    sim = simulate_study(n=n, seed=sim_cfg["seed"], treated_share=sim_cfg["treated_share"])
    persons = sim.persons.set_index("person_id", drop=False)
    res = run_mapping(persons, sim.weekly_status, sim.code_map, spec, data_range=sim.data_range)

    print(f"Reference week {res.reference_week}: {res.n_mapped} residents on a benefit in the target group "
          f"(simulated, n = {n}); cells below {res.min_cell} persons are flagged for suppression.\n")
    ct = res.crosstab
    print("1. Area x benefit (summed over match groups)")
    pivot = ct.pivot_table(index="area", columns="benefit", values="n", aggfunc="sum", fill_value=0, observed=True)
    pivot["total"] = pivot.sum(axis=1)
    pivot.loc["total"] = pivot.sum(axis=0)
    print(_masked(pivot, res.min_cell).to_string(), end="\n\n")
    print("2. Benefit x match group (summed over areas)")
    pivot2 = ct.pivot_table(index="benefit", columns="match_group", values="n", aggfunc="sum", fill_value=0,
                            observed=True)
    print(_masked(pivot2, res.min_cell).to_string(), end="\n\n")
    flagged = ct[ct["below_min_cell"]]
    print(f"3. Cells of the full area x benefit x match group table: {len(ct)}, of which {len(flagged)} "
          f"below {res.min_cell} persons ({int(flagged['n'].sum())} persons): publish the margins above, "
          "not the three-way table.")
    sums = {k: int(v["n"].sum()) for k, v in res.margins.items()}
    print(f"   totals: three-way table {int(ct['n'].sum())}, margins {sums}, mapped {res.n_mapped}\n")

    if res.entitlement is not None:
        ent = res.entitlement
        print("4. Dagpenge recipients by remaining weeks of entitlement (rows: area; 0 = already used up)")
        index = [c for c in ent.columns if c not in ("remaining_band", "n", "below_min_cell")]
        wide = ent.pivot_table(index=index or None, columns="remaining_band", values="n", aggfunc="sum",
                               fill_value=0, observed=True, sort=False)
        wide["total"] = wide.sum(axis=1)
        wide.loc["total"] = wide.sum(axis=0)
        print(_masked(wide, res.min_cell).to_string(), end="\n")
        print(f"   dagpenge recipients in the bands: {int(ent['n'].sum())} "
              f"(= the dagpenge column of table 1: {int(pivot.loc['total', 'dagpenge'])})\n")
    if res.timeline is not None:
        print("5. Dagpenge recipients whose entitlement runs out, by month after the reference week")
        print(res.timeline.to_string(index=False), end="\n\n")
    print("6. Outreach starts by quarter (treated)")
    print(res.starts.to_string(index=False))


if __name__ == "__main__":
    main()
