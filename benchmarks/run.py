"""Run every benchmark and print one table: ``python benchmarks/run.py [--quick] [names...]``.

Each ``bench_*.py`` beside this file runs in its own process (so its peak memory is its
own) and prints a markdown table; this runner collects those tables into one long table
(benchmark, case, measure, value): a row's first cells up to its first number name the
case, the remaining cells are its measures. ``--quick`` passes the benchmarks' small sizes for a smoke run; the
benchmarks' own tables are printed too with ``--each``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?(?:[/ ].*)?$")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def long_rows(name: str, text: str) -> list[tuple[str, str, str, str]]:
    """(benchmark, case, measure, value) rows from the markdown table(s) in ``text``."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        k = 1  # the first cell and the text cells before the first number name the case
        while k < len(cells) and not _NUMBER.match(cells[k]):
            k += 1
        case = " / ".join(cells[:k])
        rows += [(name, case, h, c) for h, c in zip(header[k:], cells[k:])]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--each", action="store_true", help="also print each benchmark's own table")
    parser.add_argument("only", nargs="*", help="benchmark names (e.g. matching startup matchit)")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    failed, table = 0, []
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            failed += 1
            print(f"{name}: FAILED\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        if args.each:
            print(f"\n## {name}\n\n{proc.stdout}", flush=True)
        table += long_rows(name, proc.stdout)
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(("benchmark", "case", "measure", "value"))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(("benchmark", "case", "measure", "value"), widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
