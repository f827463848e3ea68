"""Benchmark the whole study end to end: ``python benchmarks/bench_pipeline.py [--n 1000000] [--quick]``.

Writes simulated register extracts (persons + weekly panel as parquet) to a temporary
folder, then times ``evaltool run configs/copenhagen_outreach.yaml`` pointed at those
files: reading and validating, register outcomes through DuckDB, matching with exact
strata and a caliper, effects with subgroups, trajectories, Kaplan-Meier/Cox, four
outcome families and the final report. The run is a separate process, so its peak
memory (max RSS of the child, from ``os.wait4``) is its own.

Prints a table: persons, matched treated, seconds, peak RSS, and the headline estimate
against the simulator's truth.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_config(folder: Path) -> Path:
    """The Copenhagen config pointed at the parquet extracts in ``folder``.

    What only the simulator can supply is left out: outcomes with ``source: social`` (the
    simulated social register) and the ``contacts`` section (the simulated contact log).
    Everything else (sample rules, exact strata and caliper, effects, subgroups, process,
    journeys, case duration, cost, sensitivity, the report) runs as configured.
    """
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "copenhagen_outreach.yaml").read_text(encoding="utf-8"))
    if "simulate" not in cfg.get("data", {}):
        raise SystemExit("configs/copenhagen_outreach.yaml no longer simulates its data")
    del cfg["data"]["simulate"]
    cfg["data"].update({"persons": "persons.parquet", "weekly_status": "weekly_status.parquet",
                        "code_map": str(ROOT / "configs" / "codes_example.yaml")})
    cfg["outcomes"] = [o for o in cfg["outcomes"] if o.get("source", "weekly_status") != "social"]
    cfg.pop("contacts", None)
    cost = cfg.get("cost")
    if cost:
        kept = {o["name"] for o in cfg["outcomes"]}
        cost["outcomes"] = [o for o in cost.get("outcomes", []) if o in kept]
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run(n: int) -> dict:
    from evaltool.simulate import write_simulation

    with tempfile.TemporaryDirectory(prefix="evaltool-bench-") as tmp:
        folder = Path(tmp)
        write_simulation(folder, n=n, seed=2026)
        cfg = write_config(folder)
        cmd = [sys.executable, "-m", "evaltool.cli", "run", str(cfg), "--out", str(folder / "out")]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"evaltool run failed: {proc.stderr.read().strip()}")
        results = json.loads((folder / "out" / "results.json").read_text(encoding="utf-8"))
        truth = 100 * json.loads((folder / "truth.json").read_text(encoding="utf-8"))["att"][
            "internship_or_wage_subsidy_52w"]
    eff = {e["outcome"]: e for e in results["effects"]}["internship_or_wage_subsidy_52w"]
    return {"persons": n, "matched treated": eff["n_treated"], "seconds": secs,
            "peak RSS MB": usage.ru_maxrss / 1024, "estimate": eff["estimate"], "ci_low": eff["ci_low"],
            "ci_high": eff["ci_high"], "truth": truth}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--quick", action="store_true", help="20,000 persons only (smoke run)")
    args = ap.parse_args()
    sizes = [20_000] if args.quick else args.n
    print("evaltool run configs/copenhagen_outreach.yaml on simulated parquet extracts "
          "(internship or wage subsidy within 52 weeks, pp)")
    print(f"{'persons':>10}  {'matched T':>9}  {'seconds':>7}  {'peak MB':>7}  {'estimate (95% CI)':>24}  {'truth':>5}")
    for n in sizes:
        r = run(n)
        ci = f"{r['estimate']:+.2f} ({r['ci_low']:.2f} to {r['ci_high']:.2f})"
        print(f"{r['persons']:>10,}  {r['matched treated']:>9,}  {r['seconds']:>7.1f}  {r['peak RSS MB']:>7,.0f}  "
              f"{ci:>24}  {r['truth']:>+5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
