"""Every design at 100k and 1M persons: whole processes, medians, peak memory.

Usage::

    nice python benchmarks/bench_designs.py [--sizes 100000 1000000] [--repeat 3]
        [--designs nearest cem ...] [--limit 600]

Each run is one process (``_evaltool_design.py``): read the CSV of ``bench_matchit.py`` (same
synthetic persons, ~20 % treated, cached in ``$EVALTOOL_BENCH_DATA``), build the design on the 15
design columns, its balance table and the effect on a seeded outcome, write the weights.
Runs of the designs alternate; the table holds the median wall time, the median CPU seconds (user +
sys of the process and its children, ``getrusage``: the figure to compare on a shared machine) and
peak RSS (GNU time), and the load average before and after. A run longer than ``--limit`` seconds is stopped and reported as such (the design's honest limit at
that size). The lower bound (start Python, read the CSV, sort a column) is the first row.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _evaltool_design import DESIGNS  # noqa: E402
from _process import measure, src_env  # noqa: E402
from bench_matchit import make_data  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS))
    ap.add_argument("--limit", type=float, default=600)
    ap.add_argument("--quick", action="store_true", help="20k persons, one run each")
    a = ap.parse_args()
    sizes, repeat = ([20_000], 1) if a.quick else (a.sizes, a.repeat)
    env = src_env()
    rows = []
    for n in sizes:
        data = str(make_data(n))
        out = f"/tmp/evaltool_bench_design_{n}.csv"
        cmds = {"lower bound": [sys.executable, str(HERE / "_evaltool_match.py"), data, "none", out, "lower"]}
        cmds |= {d: ["timeout", str(int(a.limit)), sys.executable, str(HERE / "_evaltool_design.py"), data, d, out]
                 for d in a.designs}
        walls: dict[str, list[float]] = {k: [] for k in cmds}
        cpus: dict[str, list[float]] = {k: [] for k in cmds}
        peaks: dict[str, list[float]] = {k: [] for k in cmds}
        load = os.getloadavg()[0]
        failed: dict[str, str] = {}
        for _ in range(repeat):
            for name, cmd in cmds.items():
                if name in failed:
                    continue
                before = _cpu()
                try:
                    w, p, _o = measure(cmd, env)
                except RuntimeError as exc:
                    failed[name] = f"over {a.limit:.0f} s" if "(124)" in str(exc) else "failed"
                    continue
                cpus[name].append(_cpu() - before)
                walls[name].append(w)
                peaks[name].append(p)
        load = f"{load:.1f}-{os.getloadavg()[0]:.1f}"
        for name in cmds:
            if name in failed:
                rows.append((n, name, failed[name], "", "", 0, load))
            else:
                rows.append((n, name, f"{statistics.median(walls[name]):.1f}", f"{statistics.median(cpus[name]):.1f}",
                             f"{statistics.median(peaks[name]):.0f}", len(walls[name]), load))
            print(" | ".join(str(v) for v in rows[-1]), flush=True)
    print("\n|         n | design                 | median s | median CPU s | peak MiB | runs | load avg |")
    print("|-----------|------------------------|----------|--------------|----------|------|----------|")
    for n, name, wall, cpu, peak, k, load in rows:
        print(f"| {n:>9,} | {name:<22} | {wall:>8} | {cpu:>12} | {peak:>8} | {k:>4} | {load:>8} |")


def _cpu() -> float:
    """User + system CPU seconds of every finished child process so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    main()
