"""Benchmark register outcomes: ``python benchmarks/bench_registers.py [--n 1000000] [--quick] [--data DIR]``.

Writes a simulated study (``--n`` persons x 313 weeks) unless ``--data`` points at one, then runs,
each in its own process (peak memory: the process's VmHWM):

* ``outcomes``: the standard outcome set in one DuckDB pass over the parquet panel: 6 outcomes
  (any placement, any self-support, self-support at week k, share on public support, weeks to
  self-support, weeks to sickness-or-self-support) at 3 horizons (26, 52, 104) + 2 history
  covariates (share on public support in the 52 and 156 weeks before start);
* ``trajectories``: weekly status shares by group, weeks -52..156, every category.

Prints a table: stage, persons, panel rows, seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; not inflated by the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def standard_specs():
    from evaltool.registers import OutcomeSpec

    specs = []
    for h in (26, 52, 104):
        specs += [
            OutcomeSpec(f"placement_any_{h}w", "any", ("placement",), window=(1, h)),
            OutcomeSpec(f"selfsup_any_{h}w", "any", ("self_support",), window=(1, h)),
            OutcomeSpec(f"selfsup_at_{h}w", "status_at", ("self_support",), week=h),
            OutcomeSpec(f"public_share_{h}w", "share", ("public_support",), window=(1, h)),
            OutcomeSpec(f"selfsup_tt_{h}w", "time_to", ("self_support",), horizon=h),
            OutcomeSpec(f"sick_or_self_tt_{h}w", "time_to", ("sygedagpenge", "self_support"), horizon=h),
        ]
    specs += [OutcomeSpec("public_support_share_52w", "share", ("public_support",), window=(-52, -1)),
              OutcomeSpec("public_support_share_156w", "share", ("public_support",), window=(-156, -1))]
    return specs


def worker(stage: str, data: Path, memory_limit: str) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    from evaltool.registers import default_code_map_path, derive_outcomes, load_code_map, trajectories

    cm = load_code_map(default_code_map_path())
    persons = pd.read_parquet(data / "persons.parquet", columns=["person_id", "outreach", "start_week"])
    panel = str(data / "weekly_status.parquet")
    t0 = time.perf_counter()
    if stage == "outcomes":
        res = derive_outcomes(persons, panel, cm, standard_specs(), memory_limit=memory_limit)
        if res.frame.shape[1] != 26:
            raise SystemExit(f"expected 26 outcome columns, got {res.frame.shape[1]}")
    else:
        trajectories(persons, panel, cm, "outreach", memory_limit=memory_limit)
    secs = time.perf_counter() - t0
    print(json.dumps({"seconds": secs, "rows": pq.ParquetFile(panel).metadata.num_rows, "n": len(persons),
                      "peak_rss_mb": peak_rss_mb()}))


def run(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="n = 20,000 (smoke run)")
    ap.add_argument("--data", default=None, help="folder with persons.parquet and weekly_status.parquet")
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, Path(args.data), args.memory_limit)
        return 0
    n = 20_000 if args.quick else args.n
    tmp = None
    data = Path(args.data) if args.data else None
    try:
        if data is None:
            tmp = Path(tempfile.mkdtemp(prefix="evaltool_bench_reg_"))
            data = tmp / "data"
            subprocess.run([sys.executable, "-c", "import sys; from evaltool.simulate import write_simulation; "
                            "write_simulation(sys.argv[1], n=int(sys.argv[2]), seed=2026)", str(data), str(n)],
                           check=True)
        rows = []
        for stage in ("outcomes", "trajectories"):
            res = run([sys.executable, __file__, "--worker", stage, "--data", str(data),
                       "--memory-limit", args.memory_limit])
            rows.append((stage, res["n"], res["rows"], res["seconds"], res["peak_rss_mb"]))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'stage':<14}{'persons':>11}{'panel rows':>14}{'seconds':>10}{'peak RSS MB':>13}")
    for stage, nn, r, secs, rss in rows:
        print(f"{stage:<14}{nn:>11,}{r:>14,}{secs:>10.1f}{rss:>13,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
