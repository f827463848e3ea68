"""Population scale out of core: ``python benchmarks/bench_register_5m.py [--n 5000000] [--partitions 16]
[--memory-limit-gib 8] [--data DIR] [--quick]``.

Three steps, each its own process whose address space is capped at the memory limit
(``resource.setrlimit(RLIMIT_AS)``: the step fails, rather than swaps or is measured
loosely, if it needs more):

1. ``simulate``: ``write_simulation`` writes ``--n`` persons and their weekly register
   panel (5 years of weeks around the start; about 1.3 billion person-weeks at 5M), streamed
   chunk by chunk into one parquet file (skipped when ``--data`` already holds it);
2. ``partition``: ``write_partitioned_panel`` streams that file into K hash partitions by
   person (one parquet file each);
3. ``outcomes``: ``derive_outcomes_partitioned`` derives the standard outcome set of
   ``bench_registers.py`` (26 columns) partition by partition with DuckDB (DuckDB's own
   ``memory_limit`` is the cap minus 2 GiB for Python, the persons and the result).

Prints one row per step: persons, panel rows, seconds, peak RSS (VmHWM of the step's
process) and the cap. The data are written to ``--data`` (default a temporary folder,
removed afterwards) and never committed.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _cap(gib: float) -> None:
    import resource

    limit = int(gib * 1024 ** 3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def step(name: str, data: Path, n: int, partitions: int, gib: float) -> dict:
    _cap(gib)
    from bench_registers import peak_rss_mb, standard_specs

    t0 = time.perf_counter()
    rows = None
    if name == "simulate":
        from evaltool.simulate import write_simulation

        write_simulation(data, n=n, seed=2026, chunk_persons=50_000)
    elif name == "partition":
        import pyarrow.parquet as pq

        from evaltool.registers.partitioned import write_partitioned_panel

        src = data / "weekly_status.parquet"
        rows = pq.ParquetFile(src).metadata.num_rows
        write_partitioned_panel(str(src), data / "parts", partitions, batch_rows=4_000_000)
    else:
        import pandas as pd

        from evaltool.registers import default_code_map_path, load_code_map
        from evaltool.registers.partitioned import derive_outcomes_partitioned

        persons = pd.read_parquet(data / "persons.parquet", columns=["person_id", "outreach", "start_week"])
        files = [data / "parts" / f"part-{k:05d}.parquet" for k in range(partitions)]
        duck = f"{max(1.0, gib - 2.0):.1f}GB"
        res = derive_outcomes_partitioned(persons, files, load_code_map(default_code_map_path()),
                                          standard_specs(), partitions=partitions, memory_limit=duck)
        if res.frame.shape != (len(persons), 26):
            raise SystemExit(f"expected {len(persons)} x 26 outcomes, got {res.frame.shape}")
        rows = int(res.report["n_person_weeks"])
        n = len(persons)
    return {"step": name, "n": n, "rows": rows, "seconds": time.perf_counter() - t0,
            "peak_rss_mb": peak_rss_mb()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5_000_000)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--memory-limit-gib", type=float, default=8.0, help="address-space cap per step")
    ap.add_argument("--data", default=None, help="folder for the simulated register (kept)")
    ap.add_argument("--quick", action="store_true", help="n = 20,000, 4 partitions (smoke run)")
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n, k = (20_000, 4) if args.quick else (args.n, args.partitions)
    if args.step:
        print(json.dumps(step(args.step, Path(args.data), n, k, args.memory_limit_gib)))
        return 0
    tmp = None if args.data else Path(tempfile.mkdtemp(prefix="evaltool_bench_5m_"))
    data = Path(args.data) if args.data else tmp
    rows = []
    try:
        for name in ("simulate", "partition", "outcomes"):
            if name == "simulate" and (data / "weekly_status.parquet").exists():
                continue
            cmd = [sys.executable, __file__, "--step", name, "--data", str(data), "--n", str(n),
                   "--partitions", str(k), "--memory-limit-gib", str(args.memory_limit_gib)]
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"step {name} failed (exit {proc.returncode}) under the "
                                 f"{args.memory_limit_gib:g} GiB cap")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(f"# {name}: {r['seconds']:.0f} s, peak {r['peak_rss_mb']:,.0f} MB", file=sys.stderr, flush=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"| step      |   persons |    panel rows | seconds | peak RSS MB | cap GiB |")
    print("|-----------|-----------|---------------|---------|-------------|---------|")
    for r in rows:
        nrows = "-" if r["rows"] is None else f"{r['rows']:,}"
        print(f"| {r['step']:<9} | {r['n']:>9,} | {nrows:>13} | {r['seconds']:>7.0f} | "
              f"{r['peak_rss_mb']:>11,.0f} | {args.memory_limit_gib:>7g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
