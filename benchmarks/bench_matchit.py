"""evaltool vs R MatchIt 4.7.2: whole processes doing the same work on the same data.

Usage::

    R_LIBS=/root/R-peers python benchmarks/bench_matchit.py [--sizes 100000 1000000]
        [--repeat 5] [--quick]

Work on each side, one process per run (``_evaltool_match.py`` / ``matchit_match.R``):
read one CSV (``pyarrow.csv`` into a pyarrow Table, no pandas / ``data.table::fread``),
fit the logit propensity score (15 design columns: age, sex, origin, education, benefit
type, three history shares), 1:1 nearest matching without replacement, largest score
first (with and without a caliper of 0.2 SD), build the matched sample, write the matched
pairs. Runs alternate between the tools; the table shows the median wall time, CPU time
(user + system) and peak RSS of each whole process (GNU ``/usr/bin/time``), the wall and
CPU ratios, and beside them the lower bound of each side: a process that only reads the
CSV and sorts one column (Python: interpreter, ``import numpy, pyarrow.csv``, the read, one
sort). The last column checks that the matched pairs are identical. The load average is
printed before and after: on a loaded machine wall ratios are distorted (CPU seconds
much less so). The Python processes run evaltool as installed, with compiled bytecode
(``_bytecode.py``: ``PYTHONDONTWRITEBYTECODE`` unset, ``PYTHONPYCACHEPREFIX`` = the data
folder's ``pycache``, warmed by one untimed run at 20,000 persons), as R runs its byte-compiled
packages; without it a machine with ``PYTHONDONTWRITEBYTECODE=1`` recompiles evaltool in every run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _bytecode import compiled_env, default_cache, warm  # noqa: E402
from _process import alternate, src_env  # noqa: E402

CACHE = default_cache()


def make_data(n: int, seed: int = 2026) -> Path:
    """Synthetic persons (~20 % treated) written once per size to the cache folder."""
    import numpy as np
    import pandas as pd

    path = CACHE / f"matchit_{n}.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "person_id": np.arange(1, n + 1),
        "age": rng.integers(18, 65, n),
        "female": rng.integers(0, 2, n),
        "origin": rng.choice(["dk", "nonwest", "west"], n, p=[0.6, 0.3, 0.1]),
        "educ": rng.choice(["basic", "higher", "none", "vocational"], n, p=[0.4, 0.1, 0.2, 0.3]),
        "benefit": rng.choice(["dagpenge", "integration", "kontant", "sygedagpenge", "uddannelse"], n),
        "prior_support": rng.beta(2, 3, n).round(4),
        "prior_employment": rng.beta(2, 5, n).round(4),
        "prior_internship": rng.beta(1, 9, n).round(4),
    })
    lin = (-2.2 + 0.01 * (d["age"] - 40) + 0.1 * d["female"] + 0.5 * (d["origin"] == "nonwest")
           + 0.4 * (d["benefit"] == "kontant") + 1.2 * d["prior_support"] - 0.8 * d["prior_employment"])
    d.insert(1, "treat", (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int))
    tmp = path.with_suffix(".tmp")
    d.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def read_pairs(path: Path) -> list[tuple[int, int]]:
    lines = path.read_text().split()[1:]
    return sorted(tuple(int(v) for v in line.split(",")) for line in lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="20,000 persons, 1 run (smoke run)")
    args = ap.parse_args()
    sizes, repeat = ([20_000], 1) if args.quick else (args.sizes, args.repeat)
    rscript = shutil.which("Rscript")
    have_r = rscript is not None and subprocess.run(
        [rscript, "-e", "library(MatchIt); library(data.table)"], capture_output=True).returncode == 0
    if not have_r:
        print("R MatchIt not found (set R_LIBS); evaltool columns only")
    env = compiled_env(src_env(), CACHE)
    py = [sys.executable, str(HERE / "_evaltool_match.py")]
    rr = [rscript or "Rscript", str(HERE / "matchit_match.R")]
    small = str(make_data(20_000))
    with tempfile.TemporaryDirectory() as tmp:
        warm([py + [small, "0.2", str(Path(tmp) / "w.csv")],
              py + [small, "0.2", str(Path(tmp) / "w.txt"), "lower"]], env)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("evaltool with compiled bytecode (PYTHONPYCACHEPREFIX, warmed), as installed")
    print(f"| {'n':>9} | {'case':<12} | {'evaltool s':>10} | {'MatchIt s':>9} | {'ratio':>5} | "
          f"{'CPU s py/R':>11} | {'CPU ratio':>9} | {'lower py/R s':>12} | {'evaltool MiB':>12} | "
          f"{'MatchIt MiB':>11} | {'lower MiB py/R':>14} | pairs |")
    print("|" + "|".join("-" * w for w in (11, 14, 12, 11, 7, 13, 11, 14, 14, 13, 16, 7)) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for n in sizes:
            data = str(make_data(n))
            for case, cal in (("nearest", "none"), ("caliper 0.2", "0.2")):
                cmds = {"evaltool": py + [data, cal, str(out / "py.csv")],
                        "lower_py": py + [data, cal, str(out / "lpy.txt"), "lower"]}
                if have_r:
                    cmds["matchit"] = rr + [data, cal, str(out / "r.csv")]
                    cmds["lower_r"] = rr + [data, cal, str(out / "lr.txt"), "lower"]
                res = alternate(cmds, repeat, env=env)
                e = res["evaltool"]
                if have_r:
                    r, lr = res["matchit"], res["lower_r"]
                    same = "same" if read_pairs(out / "py.csv") == read_pairs(out / "r.csv") else "DIFFER"
                    rs, ratio, rm, lrs, lrm = (f"{r['wall']:.2f}", f"{e['wall'] / r['wall']:.2f}",
                                               f"{r['peak_mib']:.0f}", f"{lr['wall']:.2f}", f"{lr['peak_mib']:.0f}")
                    rc, cratio = f"{r['cpu']:.2f}", f"{e['cpu'] / r['cpu']:.2f}"
                else:
                    rs = ratio = rm = lrs = lrm = same = rc = cratio = "-"
                lp = res["lower_py"]
                print(f"| {n:>9,} | {case:<12} | {e['wall']:>10.2f} | {rs:>9} | {ratio:>5} | "
                      f"{e['cpu']:>5.2f}/{rc:>5} | {cratio:>9} | "
                      f"{lp['wall']:>5.2f}/{lrs:>6} | {e['peak_mib']:>12.0f} | {rm:>11} | "
                      f"{lp['peak_mib']:>6.0f}/{lrm:>7} | {same:>5} |", flush=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
