"""Start-up stays light: the matching path and ``evaltool --help`` import no heavy optional stack.

Each check runs in a fresh interpreter (``sys.modules`` of the test process is polluted by
other tests). Timings live in ``benchmarks/bench_startup.py``; here only what gets imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("statsmodels", "matplotlib", "duckdb", "jinja2", "sklearn", "dask", "distributed")
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _loaded(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_matching_import_is_light():
    """``evaltool.match`` imports no pandas (a pyarrow Table is matched without it)."""
    loaded = _loaded("import evaltool.design.matching\nimport evaltool\nevaltool.match")
    assert "evaltool" in loaded and "numpy" in loaded
    assert not loaded & {*HEAVY, "pandas", "pyarrow"}, sorted(loaded & {*HEAVY, "pandas", "pyarrow"})


def test_propensity_nearest_match_needs_no_statsmodels_or_scipy():
    code = """
import numpy as np, pandas as pd, evaltool
rng = np.random.default_rng(0)
d = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["a", "b"], 300)})
d["t"] = (rng.random(300) < 0.3).astype(int)
m = evaltool.match(d, "t", ["x", "C(g)"], caliper=0.2)
assert m.n["treated"]["all"] > 0
"""
    loaded = _loaded(code)
    assert not loaded & {*HEAVY, "scipy"}, sorted(loaded & {*HEAVY, "scipy"})


def test_cli_help_is_light():
    loaded = _loaded("import sys\nfrom evaltool.cli import main\nsys.argv = ['evaltool', '--help']\n"
                     "try:\n    main()\nexcept SystemExit:\n    pass")
    assert "click" in loaded
    assert not loaded & {*HEAVY, "pandas", "scipy", "pydantic"}, sorted(loaded & {*HEAVY, "pandas", "scipy"})
