"""The same bootstrap on one process and on two worker processes gives identical numbers.

Run from the repository root: ``PYTHONPATH=src python examples/cluster/executors.py``. The docs page
"Running on a cluster" shows this script's output, produced when the site is built. On a cluster,
pass a Dask scheduler address (``"tcp://host:8786"``) or ``distributed.Client`` as ``executor``;
replicate *b* draws from child *b* of ``SeedSequence(seed)`` wherever it runs.
"""

from __future__ import annotations

import warnings

import evaltool
from evaltool.effects.bootstrap import ClusterBootstrap
from evaltool.execution import ExecutorSpec


def main() -> None:
    persons = evaltool.simulate_study(n=3000, seed=2026, panel=False).persons
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", evaltool.EvaltoolWarning)
        design = evaltool.match(persons, "outreach", ["age", "C(origin)", "prior_support_share"])
    rows = []
    for label, executor in (("sequential (this process)", ExecutorSpec(workers=1)),
                            ("2 local worker processes", ExecutorSpec(workers=2))):
        res = evaltool.estimate(design, "meetings_held",
                                variance=ClusterBootstrap(n_boot=499, seed=1, executor=executor))
        row = res.to_frame().iloc[0]
        rows.append((label, row["estimate"], row["std_error"], row["ci_low"], row["ci_high"]))
    print(f"{'executor':<28}{'ATT':>9}{'boot SE':>12}{'CI low':>10}{'CI high':>10}")
    for label, est, se, lo, hi in rows:
        print(f"{label:<28}{est:>9.4f}{se:>12.6f}{lo:>10.4f}{hi:>10.4f}")
    same = all(r[1:] == rows[0][1:] for r in rows)
    print(f"identical to the last bit: {same}")
    if not same:
        raise SystemExit("executors disagree")


if __name__ == "__main__":
    main()
