"""Whole-process measurement shared by the benchmarks: wall time and peak RSS of one command.

``measure(cmd)`` runs ``cmd`` under GNU ``/usr/bin/time`` (a small process, so the peak
resident set size it reports is the command's own; a child forked straight from a large
Python parent would inherit the parent's high-water mark across ``exec``) and returns
wall seconds and peak MiB (``measure_cpu`` also the CPU seconds, user + system, which load
from other processes distorts far less than wall time). ``alternate`` runs several commands
round-robin ``repeat`` times so that load from other processes on the machine hits every command
alike, and reports medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence


def measure(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one run of ``cmd``; raises if it fails."""
    wall, peak, _cpu, out = measure_cpu(cmd, env)
    return wall, peak, out


def measure_cpu(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[float, float, float, str]:
    """(wall seconds, peak RSS MiB, CPU seconds user + system, stdout) of one run of ``cmd``."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss.name, *cmd]
        t0 = time.perf_counter()
        proc = subprocess.run(full, capture_output=True, env=dict(env) if env is not None else None)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}): "
                               f"{proc.stderr.decode()[-2000:]}")
        peak_kib, user, system = (float(v) for v in rss.read().split()[-3:])
    return wall, peak_kib / 1024.0, user + system, proc.stdout.decode()


def alternate(cmds: Mapping[str, Sequence[str]], repeat: int,
              env: Mapping[str, str] | None = None) -> dict[str, dict[str, float | str]]:
    """Median wall seconds, CPU seconds and peak MiB per named command, runs alternated round-robin."""
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    peaks: dict[str, list[float]] = {k: [] for k in cmds}
    outs: dict[str, str] = {}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            w, p, c, o = measure_cpu(cmd, env)
            walls[name].append(w)
            cpus[name].append(c)
            peaks[name].append(p)
            outs[name] = o
    return {k: {"wall": statistics.median(walls[k]), "cpu": statistics.median(cpus[k]),
                "peak_mib": statistics.median(peaks[k]), "min_wall": min(walls[k]),
                "stdout": outs[k]} for k in cmds}


def src_env() -> dict[str, str]:
    """The environment with this checkout's ``src`` first on ``PYTHONPATH``."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
