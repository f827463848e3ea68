"""The examples run as documented (small sizes)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_api_example_runs():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "python_api.py"), "--n", "4000"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for text in ("Sample sizes", "internship_or_wage_subsidy_52w", "true effects:", "Time to event"):
        assert text in out, text
