"""Run every benchmark and print their tables: ``python benchmarks/run.py [--quick]``.

Each ``bench_*.py`` beside this file is run in its own process (so its peak
memory is its own) and prints a table; ``--quick`` passes the benchmark's small
sizes for a smoke run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("only", nargs="*", help="benchmark names (e.g. matching registers)")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    failed = 0
    for script in scripts:
        print(f"\n## {script.stem}\n", flush=True)
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        failed += subprocess.call(cmd) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
