"""evaltool measured as installed: compiled bytecode, kept outside the source tree.

``pip install .`` byte-compiles evaltool (and R packages are byte-compiled when installed),
but a machine with ``PYTHONDONTWRITEBYTECODE=1`` set (as the development machine) makes every
benchmark process compile each evaltool module it imports again, a cost no installed copy
pays. :func:`compiled_env` returns an environment without that variable and with
``PYTHONPYCACHEPREFIX`` pointing at a bytecode cache beside the benchmark data (never inside
``src/``); :func:`warm` runs commands once so the cache is filled before anything is timed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path


def compiled_env(env: Mapping[str, str], cache: Path) -> dict[str, str]:
    """``env`` with bytecode written to and read from ``cache / "pycache"``."""
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(Path(cache) / "pycache")
    return out


def warm(cmds: Iterable[Sequence[str]], env: Mapping[str, str]) -> None:
    """Run every command once (untimed) so that the modules it imports are compiled."""
    for cmd in cmds:
        proc = subprocess.run(list(cmd), capture_output=True, env=dict(env))
        if proc.returncode != 0:
            raise RuntimeError(f"warm-up of {' '.join(map(str, cmd[:3]))} ... failed: "
                               f"{proc.stderr.decode()[-2000:]}")


def default_cache() -> Path:
    """The benchmark data folder (``EVALTOOL_BENCH_DATA``, else ``<tmp>/evaltool_bench``)."""
    import tempfile

    return Path(os.environ.get("EVALTOOL_BENCH_DATA", Path(tempfile.gettempdir()) / "evaltool_bench"))
