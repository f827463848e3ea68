"""Benchmark the whole study end to end: ``python benchmarks/bench_pipeline.py [--n 1000000] [--quick]``.

Writes simulated register extracts (persons + weekly panel as parquet) once per size to a cache
folder (``$EVALTOOL_BENCH_DATA``, default ``$TMPDIR/evaltool_bench``), then times whole
``evaltool run`` processes of ``configs/copenhagen_outreach.yaml`` pointed at those files
(:func:`write_config`): reading and validating, register outcomes, matching with exact strata and a
caliper, effects with subgroups, trajectories, time to event, journeys, case duration, cost, the
sensitivity analyses with the specification curve and both reports.

Each case is one executor (``--workers``: 1 = everything in one process, 2 = the run's parallel work
on two worker processes) and, with ``--src LABEL=PATH``, one checkout's ``src`` (e.g. the code at
the start of a session beside the current one; it runs in one process, without ``--workers``). Runs alternate round-robin ``--repeat`` times;
the table shows medians of the wall time, the CPU time (user + system, worker processes included),
the peak RSS of the largest process and the peak of the whole process tree's memory (the sum of the
processes' proportional set sizes, PSS, sampled every 0.2 s with ``psutil``, which the ``dask`` and
``test`` extras install; memory-mapped data shared by the workers counts once), and beside them the
lower bound: a process that only reads the two parquet files into
memory (``pyarrow.parquet``). ``results.json`` must be byte-identical across every case of one
checkout (checked, column ``same``).

evaltool is measured as installed: ``pip install`` byte-compiles the package, so the bytecode is
compiled once before timing (into the cache folder, ``PYTHONPYCACHEPREFIX``; the source tree stays
clean) even where ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import measure_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("EVALTOOL_BENCH_DATA", Path(tempfile.gettempdir()) / "evaltool_bench"))
LOWER = ("import sys, pyarrow.parquet as pq\n"
         "for f in sys.argv[1:]: pq.read_table(f)\n")


def write_config(folder: Path) -> Path:
    """The Copenhagen config pointed at the parquet extracts in ``folder``.

    What only the simulator can supply is left out: outcomes with ``source: social`` (the
    simulated social register) and the ``contacts`` section (the simulated contact log).
    Everything else (sample rules, exact strata and caliper, effects, subgroups, process,
    journeys, case duration, cost, sensitivity, the report) runs as configured.
    """
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "copenhagen_outreach.yaml").read_text(encoding="utf-8"))
    if "simulate" not in cfg.get("data", {}):
        raise SystemExit("configs/copenhagen_outreach.yaml no longer simulates its data")
    del cfg["data"]["simulate"]
    cfg["data"].update({"persons": "persons.parquet", "weekly_status": "weekly_status.parquet",
                        "code_map": str(ROOT / "configs" / "codes_example.yaml")})
    cfg["outcomes"] = [o for o in cfg["outcomes"] if o.get("source", "weekly_status") != "social"]
    cfg.pop("contacts", None)
    cost = cfg.get("cost")
    if cost:
        kept = {o["name"] for o in cfg["outcomes"]}
        cost["outcomes"] = [o for o in cost.get("outcomes", []) if o in kept]
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def make_data(n: int, env: dict[str, str], seed: int = 2026) -> Path:
    """The simulated extracts for ``n`` persons (written once into the cache) and their config."""
    folder = CACHE / f"pipeline_{n}"
    if not (folder / "truth.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        code = ("import sys; from pathlib import Path; from evaltool.simulate import write_simulation; "
                f"write_simulation(Path(sys.argv[1]), n={n}, seed={seed})")
        subprocess.run([sys.executable, "-c", code, str(folder)], check=True, env=env)
    return write_config(folder)


def installed_env(src: Path) -> dict[str, str]:
    """The environment of a run of the checkout ``src``: its bytecode compiled once, into the cache."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "evaltool")], check=True, env=env)
    return env


def measure_tree(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, float]:
    """(wall s, CPU s of the process and the children it reaped, peak RSS MiB of the largest process,
    peak MiB of the process tree: the sum of PSS over the process and its descendants, sampled)."""
    import threading
    import time

    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_full_info().pss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            peak[0] = max(peak[0], total / 2**20)
            done.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    thread.join()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"evaltool run failed: {err.strip()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--src", action="append", default=[], metavar="LABEL=PATH",
                    help="a checkout's src folder to time beside this one (repeatable)")
    ap.add_argument("--quick", action="store_true", help="20,000 persons, one run (smoke run)")
    args = ap.parse_args()
    sizes, repeat = ([20_000], 1) if args.quick else (args.n, args.repeat)
    sources = {"this checkout": ROOT / "src"}
    for item in args.src:
        label, _, path = item.partition("=")
        sources[label] = Path(path).resolve()
    envs = {label: installed_env(src) for label, src in sources.items()}
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| persons | code | workers | wall s | CPU s | peak MiB, largest process | peak MiB, all processes | "
          "lower bound s | estimate (truth), pp | same |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        cfg = make_data(n, envs["this checkout"])
        folder = cfg.parent
        truth = 100 * json.loads((folder / "truth.json").read_text(encoding="utf-8"))["att"][
            "internship_or_wage_subsidy_52w"]
        # another checkout (e.g. a session's starting code) may predate --workers: it runs as it did, in one process
        cases = [(label, w) for label in sources for w in (args.workers if label == "this checkout" else [1])]
        runs: dict[tuple[str, int], list[tuple[float, float, float, float]]] = {c: [] for c in cases}
        lower: list[float] = []
        results: dict[tuple[str, int], bytes] = {}
        with tempfile.TemporaryDirectory(prefix="evaltool-bench-") as tmp:
            for r in range(repeat):
                for label, w in cases:
                    out = Path(tmp) / f"{label.replace(' ', '_')}-{w}-{r}"
                    cmd = [sys.executable, "-m", "evaltool.cli", "run", str(cfg), "--out", str(out)]
                    cmd += ["--workers", str(w)] if label == "this checkout" else []
                    runs[(label, w)].append(measure_tree(cmd, envs[label]))
                    results[(label, w)] = (out / "results.json").read_bytes()
                wall, _peak, _cpu, _ = measure_cpu([sys.executable, "-c", LOWER, str(folder / "persons.parquet"),
                                                    str(folder / "weekly_status.parquet")])
                lower.append(wall)
        for label, w in cases:
            walls, cpus, peaks, trees = zip(*runs[(label, w)])
            doc = json.loads(results[(label, w)])
            eff = {e["outcome"]: e for e in doc["effects"]}["internship_or_wage_subsidy_52w"]
            same = "same" if all(results[c] == results[(label, w)] for c in cases if c[0] == label) else "DIFFER"
            print(f"| {n:,} | {label} | {w} | {statistics.median(walls):.1f} | {statistics.median(cpus):.1f} | "
                  f"{statistics.median(peaks):,.0f} | {statistics.median(trees):,.0f} | {statistics.median(lower):.1f} | "
                  f"{eff['estimate']:+.2f} ({truth:+.1f}) | {same} |", flush=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
