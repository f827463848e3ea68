"""Start-up benchmark: wall time and peak memory of whole interpreter processes (GNU time).

Usage::

    python benchmarks/bench_startup.py [--repeat 7] [--quick]

Rows (runs alternated, median wall and CPU seconds): a bare interpreter, ``import numpy,
pyarrow.csv`` (the floor of the pandas-free matching path), ``import pandas`` (the floor any
pandas tool pays), ``import evaltool; evaltool.match`` (imports no pandas), ``evaltool
--help`` and, when R MatchIt is installed (``R_LIBS``), ``Rscript -e 'library(MatchIt)'``.
Target: the evaltool rows within 0.5 s. The load average is printed: wall times on a
loaded machine are distorted. Python runs with compiled bytecode, as an installed evaltool
(``_bytecode.py``: ``PYTHONDONTWRITEBYTECODE`` unset, ``PYTHONPYCACHEPREFIX`` in the benchmark
data folder, every command run once untimed first).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bytecode import compiled_env, default_cache, warm  # noqa: E402
from _process import alternate, src_env  # noqa: E402

PY = sys.executable
HELP = "import sys; from evaltool.cli import main; sys.argv = ['evaltool', '--help']; sys.exit(main())"


def commands() -> dict[str, list[str]]:
    cmds = {
        "python (bare interpreter)": [PY, "-c", "pass"],
        "import numpy, pyarrow.csv": [PY, "-c", "import numpy, pyarrow.csv"],
        "import pandas (floor)": [PY, "-c", "import pandas"],
        "import evaltool; evaltool.match": [PY, "-c", "import evaltool; evaltool.match"],
        "evaltool --help": [PY, "-c", HELP],
    }
    rscript = shutil.which("Rscript")
    if rscript and subprocess.run([rscript, "-e", "library(MatchIt)"], capture_output=True).returncode == 0:
        cmds["Rscript -e 'library(MatchIt)'"] = [rscript, "-e", "suppressMessages(library(MatchIt))"]
    return cmds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="3 runs each (smoke run)")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    env = compiled_env(src_env(), default_cache())
    cmds = commands()
    warm(cmds.values(), env)
    print("Python with compiled bytecode (PYTHONPYCACHEPREFIX, warmed), as installed")
    res = alternate(cmds, 3 if args.quick else args.repeat, env=env)
    print(f"| {'process':<34} | {'median s':>8} | {'min s':>6} | {'CPU s':>6} | {'peak MiB':>8} |")
    print(f"|{'-' * 36}|{'-' * 10}|{'-' * 8}|{'-' * 8}|{'-' * 10}|")
    for name, r in res.items():
        print(f"| {name:<34} | {r['wall']:>8.2f} | {r['min_wall']:>6.2f} | {r['cpu']:>6.2f} | "
              f"{r['peak_mib']:>8.0f} |")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
