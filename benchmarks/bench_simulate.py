"""Benchmark the simulator: ``python benchmarks/bench_simulate.py [--n 1000000] [--quick] [--out DIR]``.

Each stage runs in its own process so its peak memory (max RSS, from ``os.wait4``) is its own:

* ``persons``: persons, areas and truth only (``panel=False``);
* ``panel``: everything, the weekly panel written in chunks of persons.

Prints a table: stage, persons, seconds, peak RSS, panel rows, bytes written.
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


def worker(stage: str, n: int, out: str, chunk: int) -> None:
    from evaltool.simulate import write_simulation

    t0 = time.perf_counter()
    paths = write_simulation(out, n=n, seed=2026, panel=stage == "panel", chunk_persons=chunk)
    secs = time.perf_counter() - t0
    rows = 0
    if stage == "panel":
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(Path(out) / "weekly_status.parquet").metadata.num_rows
    size = sum(p.stat().st_size for p in paths)
    print(json.dumps({"seconds": secs, "rows": rows, "bytes": size, "peak_rss_mb": peak_rss_mb()}))


def run_stage(stage: str, n: int, out: Path, chunk: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", stage, "--n", str(n), "--out", str(out), "--chunk", str(chunk)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="n = 20,000 (smoke run)")
    ap.add_argument("--chunk", type=int, default=50_000, help="persons per panel chunk")
    ap.add_argument("--out", default=None, help="folder to write (default: a temporary folder, deleted)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = 20_000 if args.quick else args.n
    if args.worker:
        worker(args.worker, n, args.out, args.chunk)
        return 0
    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="evaltool_bench_sim_"))
    try:
        rows = []
        for stage in ("persons", "panel"):
            res = run_stage(stage, n, base / stage, args.chunk)
            rows.append((stage, n, res["seconds"], res["peak_rss_mb"], res["rows"], res["bytes"] / 2**20))
    finally:
        if not args.out:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{'stage':<9}{'persons':>11}{'seconds':>10}{'peak RSS MB':>13}{'panel rows':>14}{'written MB':>12}")
    for stage, nn, secs, rss, r, mb in rows:
        print(f"{stage:<9}{nn:>11,}{secs:>10.1f}{rss:>13,.0f}{r:>14,}{mb:>12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
