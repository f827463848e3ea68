"""A bootstrap of 1,000 replicates on each executor: ``python benchmarks/bench_executors.py [--n 100000]``.

The same work in whole processes, one per executor (sequential; two local worker processes;
a Dask ``LocalCluster`` of two worker processes, started and stopped inside the process): read
the simulated persons (parquet), 1:1 nearest matching on the logit score, then
``estimate(..., variance="bootstrap", n_boot=1000)`` of the effect on meetings held. Runs
alternate ``--repeat`` times; the table shows the median wall and CPU seconds (user + system,
worker processes included) and the peak RSS of the largest process, the lower bound (a process that
only reads the parquet file) and whether the standard error is identical to the sequential run's
to the last bit (it must be: each replicate has its own seed, whatever runs it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import measure_cpu, src_env  # noqa: E402

CACHE = Path(os.environ.get("EVALTOOL_BENCH_DATA", Path(tempfile.gettempdir()) / "evaltool_bench"))
EXECUTORS = {"sequential": "1", "2 processes": "2", "Dask LocalCluster, 2 workers": "local"}

JOB = r"""
import sys
import pandas as pd
import evaltool
from evaltool.execution import ExecutorSpec, executor_scope
path, how, n_boot = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = ExecutorSpec(workers=2, scheduler="local") if how == "local" else ExecutorSpec(workers=int(how))
if __name__ == "__main__":
    persons = pd.read_parquet(path).set_index("person_id")
    m = evaltool.match(persons, "outreach", ["age", "C(sex)", "C(origin)", "prior_support_share"])
    with executor_scope(spec) as ex:
        res = evaltool.estimate(m, persons[["meetings_held"]].astype(float), variance="bootstrap",
                                n_boot=n_boot, seed=7, n_jobs=ex)
    print(repr(float(res.effects["std_error"].iloc[0])))
"""


def make_data(n: int, env: dict[str, str]) -> Path:
    path = CACHE / f"executors_{n}.parquet"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        code = ("import sys; from evaltool.simulate import simulate_study; "
                f"simulate_study(n={n}, seed=2026, panel=False).persons.to_parquet(sys.argv[1], index=False)")
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20,000 persons, 200 replicates, one run")
    args = ap.parse_args()
    sizes, n_boot, repeat = ([20_000], 200, 1) if args.quick else (args.n, args.n_boot, args.repeat)
    env = src_env()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"| persons | executor | wall s | CPU s | peak MiB | lower bound s | SE as sequential ({n_boot} replicates) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="evaltool-bench-") as tmp:
        job = Path(tmp) / "job.py"
        job.write_text(JOB, encoding="utf-8")
        for n in sizes:
            data = make_data(n, env)
            runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in EXECUTORS}
            se: dict[str, str] = {}
            lower = []
            for _ in range(repeat):
                for name, how in EXECUTORS.items():
                    wall, peak, cpu, out = measure_cpu([sys.executable, str(job), str(data), how, str(n_boot)], env)
                    runs[name].append((wall, cpu, peak))
                    se[name] = out.strip().splitlines()[-1]
                wall, _p, _c, _o = measure_cpu([sys.executable, "-c",
                                                "import sys, pyarrow.parquet as pq; pq.read_table(sys.argv[1])",
                                                str(data)], env)
                lower.append(wall)
            for name in EXECUTORS:
                walls, cpus, peaks = zip(*runs[name])
                same = "same" if se[name] == se["sequential"] else f"DIFFER ({se[name]} vs {se['sequential']})"
                print(f"| {n:,} | {name} | {statistics.median(walls):.1f} | {statistics.median(cpus):.1f} | "
                      f"{statistics.median(peaks):,.0f} | {statistics.median(lower):.1f} | {same} |", flush=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
