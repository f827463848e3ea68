"""Seeded cluster bootstrap over matched sets.

Every replicate draws the sample's clusters (subclasses, matched sets, or units when
the design has neither) with replacement; a cluster drawn ``m`` times enters with its
weights multiplied by ``m``, and the point estimator is refitted. Replicate ``b`` draws
from its own generator, child ``b`` of ``SeedSequence(seed)``, and the replicates run
through one :mod:`evaltool.execution` executor (sequential, local processes or Dask), so
the replicates are byte-identical whichever executor runs them and however they are
chunked.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from evaltool.execution import chunked, executor_scope, replicate_seeds

from evaltool.effects.strategy import EffectProblem, VarianceEstimate, VarianceStrategy
from evaltool.exceptions import EstimationError, EvaltoolWarning

__all__ = ["ClusterBootstrap", "bootstrap_replicates"]


def _replicates(seeds: list[np.random.SeedSequence], *, estimator: Any, y: np.ndarray,
                treat: np.ndarray, w: np.ndarray, Z: np.ndarray | None, cl: np.ndarray,
                g: int) -> np.ndarray:
    """Replicate estimates for a chunk of replicate seeds (runs on any executor)."""
    out = np.empty(len(seeds))
    for i, ss in enumerate(seeds):
        counts = np.bincount(np.random.default_rng(ss).integers(0, g, size=g), minlength=g)
        out[i] = estimator.point(y, treat, w * counts[cl], Z)
    return out


@contextmanager
def _progress_bar(total: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A transient progress bar on stderr (rich) while replicates are drawn; a no-op when hidden."""
    if not show:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("bootstrap", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("bootstrap", total=total)
        yield lambda n: bar.advance(task, n)


def bootstrap_replicates(problem: EffectProblem, n_boot: int, seed: int | None,
                         n_jobs: int = 1, progress: bool | None = None,
                         executor: Any = None) -> np.ndarray:
    """Replicate estimates of a cluster bootstrap (see the module docstring).

    ``executor`` is anything :func:`evaltool.execution.get_executor` accepts; by default
    ``n_jobs`` local processes (sequential for 1).
    """
    s = problem.sample
    cl = s.clusters[0]
    g = int(cl.max()) + 1
    seeds = replicate_seeds(seed, n_boot)
    shared = {"estimator": problem.estimator, "y": problem.rows_y(), "treat": s.treat,
              "w": s.weight, "Z": problem.rows_Z(), "cl": cl, "g": g}
    show = sys.stderr.isatty() if progress is None else progress
    with executor_scope(executor if executor is not None else n_jobs) as ex:
        size = max(1, min(100, -(-n_boot // max(1, 4 * ex.n_workers))))
        parts = []
        with _progress_bar(n_boot, show) as advance:
            for part in ex.imap(_replicates, chunked(seeds, size), shared):
                parts.append(part)
                advance(len(part))
    return np.concatenate(parts) if parts else np.empty(0)


@dataclass(frozen=True)
class ClusterBootstrap(VarianceStrategy):
    """Cluster (matched-set) bootstrap: SE = SD of replicates, percentile CI.

    The p-value is the normal one from the bootstrap SE. ``n_boot``, ``seed`` and
    ``n_jobs`` default to the values given to :func:`evaltool.estimate`; ``executor``
    (an :class:`evaltool.execution.ExecutorSpec`, scheduler address or Dask client)
    overrides ``n_jobs`` and gives the same replicates.
    """

    name: ClassVar[str] = "bootstrap"
    n_boot: int | None = None
    seed: int | None = None
    n_jobs: int | None = None
    executor: Any = None

    def replicates(self, problem: EffectProblem) -> np.ndarray:
        n_boot = self.n_boot or problem.n_boot
        seed = self.seed if self.seed is not None else problem.seed
        reps = bootstrap_replicates(problem, n_boot, seed, self.n_jobs or problem.n_jobs,
                                    executor=self.executor)
        ok = np.isfinite(reps)
        if ok.sum() < max(10, 0.5 * n_boot):
            raise EstimationError(f"bootstrap: only {int(ok.sum())} of {n_boot} replicates could be "
                                  "estimated (too few units in an arm)")
        if not ok.all():
            warnings.warn(f"bootstrap: {int((~ok).sum())} of {n_boot} replicates had an empty arm "
                          "and were left out", EvaltoolWarning, stacklevel=3)
        return reps[ok]

    def std_error(self, problem: EffectProblem) -> float:
        return float(np.std(self.replicates(problem), ddof=1))

    def compute(self, problem: EffectProblem) -> VarianceEstimate:
        from evaltool.effects.strategy import normal_interval

        reps = self.replicates(problem)
        se = float(np.std(reps, ddof=1))
        base = normal_interval(problem.fit.estimate, se, problem.alpha)
        lo, hi = np.quantile(reps, [problem.alpha / 2, 1 - problem.alpha / 2])
        return VarianceEstimate(se, float(lo), float(hi), base.p_value)
