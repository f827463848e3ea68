"""Seeded cluster bootstrap over matched sets.

Every replicate draws the sample's clusters (subclasses, matched sets, or units when
the design has neither) with replacement; a cluster drawn ``m`` times enters with its
weights multiplied by ``m``, and the point estimator is refitted. All draws come from
one ``numpy.random.Generator`` seeded with ``seed`` before any work is split into
joblib jobs, so results are identical for any ``n_jobs``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from evaltool.effects.strategy import EffectProblem, VarianceEstimate, VarianceStrategy
from evaltool.exceptions import EstimationError, EvaltoolWarning

__all__ = ["ClusterBootstrap", "bootstrap_replicates"]


def _chunk(estimator, y, treat, w, Z, cl, counts) -> np.ndarray:
    return np.array([estimator.point(y, treat, w * c[cl], Z) for c in counts])


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
                         n_jobs: int = 1, progress: bool | None = None) -> np.ndarray:
    """Replicate estimates of a cluster bootstrap (see the module docstring)."""
    s = problem.sample
    cl = s.clusters[0]
    g = int(cl.max()) + 1
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, g, size=(n_boot, g))
    counts = np.zeros((n_boot, g))
    np.add.at(counts, (np.repeat(np.arange(n_boot), g), draws.ravel()), 1.0)
    y, Z = problem.rows_y(), problem.rows_Z()
    size = max(1, min(100, -(-n_boot // max(1, 4 * n_jobs))))
    chunks = [counts[i:i + size] for i in range(0, n_boot, size)]
    show = sys.stderr.isatty() if progress is None else progress
    with _progress_bar(n_boot, show) as advance:
        if n_jobs == 1:
            parts = []
            for c in chunks:
                parts.append(_chunk(problem.estimator, y, s.treat, s.weight, Z, cl, c))
                advance(len(c))
        else:
            from joblib import Parallel, delayed

            parts = []
            gen = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_chunk)(problem.estimator, y, s.treat, s.weight, Z, cl, c) for c in chunks)
            for part in gen:
                parts.append(part)
                advance(len(part))
    return np.concatenate(parts)


@dataclass(frozen=True)
class ClusterBootstrap(VarianceStrategy):
    """Cluster (matched-set) bootstrap: SE = SD of replicates, percentile CI.

    The p-value is the normal one from the bootstrap SE. ``n_boot``, ``seed`` and
    ``n_jobs`` default to the values given to :func:`evaltool.estimate`.
    """

    name: ClassVar[str] = "bootstrap"
    n_boot: int | None = None
    seed: int | None = None
    n_jobs: int | None = None

    def replicates(self, problem: EffectProblem) -> np.ndarray:
        n_boot = self.n_boot or problem.n_boot
        seed = self.seed if self.seed is not None else problem.seed
        reps = bootstrap_replicates(problem, n_boot, seed, self.n_jobs or problem.n_jobs)
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
