"""The effects spec: every parameter of :func:`evaltool.estimate`, validated once.

:class:`EffectsSpec` holds the bounds and cross-field rules of effect
estimation; the config schema builds the same spec (``effects:``), and checks
it against the design's default variance, so ``evaltool validate`` reports a
broken combination with ``file:line`` before any data are read.

Cross-field rules (each error's ``key`` names the field it points at):

* ``method="regression"`` needs ``covariates``;
* ``method="regression"`` cannot use a difference-only variance (``abadie_imbens``);
* ``ps_adjust`` needs variance ``abadie_imbens`` (given, or the design's default).

The last two depend on the variance the design implies when ``variance`` is
None; :meth:`EffectsSpec.resolve` applies them once that default is known.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from evaltool.execution import MAX_WORKERS
from evaltool._checks import check_bool, check_choice, check_int, check_number
from evaltool.exceptions import ConfigError, EvaltoolError
from evaltool.terms import parse_term

__all__ = ["EffectsSpec", "EFFECT_METHODS", "VARIANCE_NAMES", "VARIANCE_ALIASES", "DIFFERENCE_ONLY",
           "ADJUSTMENTS", "canonical_variance"]

EFFECT_METHODS = ("difference", "regression")
VARIANCE_NAMES = ("abadie_imbens", "bootstrap", "cluster", "hc1", "hc3", "m_estimation")
"""Names of the variance strategies; :data:`evaltool.effects.VARIANCES` maps each to its class."""
VARIANCE_ALIASES = {
    "cr1": "cluster", "subclass": "cluster", "pair": "cluster", "robust": "hc1", "hc": "hc1",
    "ai": "abadie_imbens", "boot": "bootstrap", "mest": "m_estimation",
}
DIFFERENCE_ONLY = ("abadie_imbens", "m_estimation")
"""Variance strategies for the matching (difference) estimator only."""
ADJUSTMENTS = ("holm", "bh", "none")
N_BOOT = (50, 100_000)
N_JOBS = (1, MAX_WORKERS)


def canonical_variance(name: str) -> str:
    """The registered name of a variance strategy name or alias (case-insensitive)."""
    key = VARIANCE_ALIASES.get(str(name).lower(), str(name).lower())
    if key not in VARIANCE_NAMES:
        valid = ", ".join(VARIANCE_NAMES) + " (aliases: " + ", ".join(
            f"{a}={t}" for a, t in sorted(VARIANCE_ALIASES.items())) + ")"
        raise ConfigError(f"`variance` must be one of {valid}; got {name!r}", key="variance")
    return key


def _rule(key: str, message: str) -> ConfigError:
    return ConfigError(message, key=key)


@dataclass(frozen=True)
class EffectsSpec:
    """Every setting of :func:`evaltool.estimate`, validated on construction.

    ``variance`` is a name or alias (kept canonical), a variance-strategy instance,
    or None for the design's default (see :meth:`resolve`).

    Parameters
    ----------
    method, variance, ps_adjust, adjust, covariates, n_boot, alpha, n_jobs, seed
        As in :func:`evaltool.estimate` (a config's ``effects:`` section has the same keys;
        ``seed`` comes from ``study.seed`` and ``n_jobs`` from ``execution.workers``). ``n_jobs``
        may also be a running :class:`~evaltool.execution.Executor`, used as it is.

    Examples
    --------
    >>> EffectsSpec(variance="AI").variance
    'abadie_imbens'
    >>> EffectsSpec(ps_adjust=True).resolve("cluster")
    Traceback (most recent call last):
    ...
    evaltool.exceptions.ConfigError: `ps_adjust` needs variance 'abadie_imbens'; got variance 'cluster'
    """

    method: str = "difference"
    variance: Any = None
    ps_adjust: bool = False
    adjust: str = "holm"
    covariates: tuple[str, ...] | None = None
    n_boot: int = 999
    alpha: float = 0.05
    n_jobs: Any = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        check_choice("method", self.method, EFFECT_METHODS, exc=ConfigError)
        if isinstance(self.variance, str):
            set_(self, "variance", canonical_variance(self.variance))
        elif self.variance is not None and not hasattr(self.variance, "compute"):
            raise _rule("variance", f"`variance` must be a name or a VarianceStrategy; got "
                                    f"{type(self.variance).__name__}")
        check_bool("ps_adjust", self.ps_adjust, exc=ConfigError)
        check_choice("adjust", self.adjust, ADJUSTMENTS, exc=ConfigError)
        if self.covariates is not None:
            terms = [self.covariates] if isinstance(self.covariates, str) else list(self.covariates)
            try:
                set_(self, "covariates", tuple(parse_term(t).text for t in terms))
            except EvaltoolError as exc:
                raise _rule("covariates", str(exc)) from None
        set_(self, "n_boot", check_int("n_boot", self.n_boot, low=N_BOOT[0], high=N_BOOT[1], exc=ConfigError))
        check_number("alpha", self.alpha, low=0, high=0.5, low_open=True, high_open=True, exc=ConfigError)
        set_(self, "alpha", float(self.alpha))
        from evaltool.execution import Executor

        if not isinstance(self.n_jobs, Executor):  # a running executor (the run's) is taken as it is
            set_(self, "n_jobs", check_int("n_jobs", self.n_jobs, low=N_JOBS[0], high=N_JOBS[1], exc=ConfigError))
        check_int("seed", self.seed, low=0, allow_none=True, exc=ConfigError)
        if self.method == "regression" and not self.covariates:
            raise _rule("covariates", "`method` 'regression' needs `covariates` (a list of terms)")
        if self.variance is not None:
            self._check_variance(self.variance)

    @property
    def variance_name(self) -> str | None:
        v = self.variance
        return v if isinstance(v, str) or v is None else getattr(v, "name", type(v).__name__)

    def _check_variance(self, variance: Any) -> None:
        name = variance if isinstance(variance, str) else getattr(variance, "name", None)
        regression_ok = (name not in DIFFERENCE_ONLY if isinstance(variance, str)
                         else getattr(variance, "supports_regression", True))
        if self.method == "regression" and not regression_ok:
            raise _rule("variance", f"variance {name!r} is for method 'difference' (the matching "
                                    "estimator); use 'cluster', 'hc1', 'hc3' or 'bootstrap' with 'regression'")
        if self.ps_adjust and not (isinstance(variance, str) and name == "abadie_imbens"):
            raise _rule("ps_adjust", f"`ps_adjust` needs variance 'abadie_imbens'; got variance {name!r}")

    def resolve(self, default_variance: str) -> "EffectsSpec":
        """This spec with ``variance`` filled from the design's default, all rules checked."""
        if self.variance is not None:
            return self
        return dataclasses.replace(self, variance=canonical_variance(default_variance))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "variance": self.variance_name, "ps_adjust": self.ps_adjust,
                "adjust": self.adjust, "covariates": list(self.covariates) if self.covariates else None,
                "n_boot": self.n_boot, "alpha": self.alpha, "n_jobs": self.n_jobs, "seed": self.seed}
