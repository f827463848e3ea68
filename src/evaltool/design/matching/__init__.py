"""Matching designs: who is compared with whom, never an effect.

:func:`match` builds a :class:`MatchSpec` (validated, frozen) and runs the method
registered under its name in :data:`METHODS`. Every method returns the same
:class:`MatchResult`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> d = pd.DataFrame({"age": rng.normal(40, 10, 400)})
>>> d["t"] = (rng.random(400) < 0.25 + 0.005 * (d["age"] - 40)).astype(int)
>>> m = match(d, "t", ["age"])
>>> m.n["treated"]["matched"] == m.n["treated"]["all"]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evaltool.estimand import Estimand
from evaltool.design.matching.registry import METHODS, get_method
from evaltool.design.matching.result import MatchResult
from evaltool.specs.matching import MatchSpec
from evaltool.terms import is_arrow, normalise_terms

__all__ = ["match", "fit_match", "MatchResult", "MatchSpec", "METHODS"]


def match(data: Any, treatment: str, covariates: str | Sequence[str], method: str = "nearest",
          ratio: int = 1, replace: bool = False, caliper: float | None = None,
          std_caliper: bool = True, caliper_scale: str = "distance",
          exact: Sequence[str] | None = None, m_order: str | None = None, distance: Any = "glm",
          mahvars: Sequence[str] | None = None, discard: str = "none",
          estimand: str | Estimand = "ATT", seed: int | None = None, ties: bool = False,
          subclass: int | None = None, min_n: int | None = None, cutpoints: Any = None,
          k2k: bool = False, min_controls: float | None = None,
          max_controls: float | None = None, solver: str = "lemon",
          optmatch_tol: float = 1e-7) -> MatchResult:
    """Match treated to control units (MatchIt semantics, O(n log n) on a score).

    Parameters
    ----------
    data : DataFrame or pyarrow Table
        One row per person; never modified. Index labels identify units in the result.
        A pyarrow Table is matched by ``nearest`` without importing pandas (the other
        methods convert it to a DataFrame on a RangeIndex): its
        units are identified by 0-based row position, and ``pairs()`` and
        ``matched_data()`` return pyarrow Tables (the other fields, e.g. ``weights``,
        become pandas objects on a RangeIndex when first read).
    treatment : str
        0/1 (or bool) treatment column.
    covariates : sequence of str
        Covariate terms (``age``, ``C(origin)``, ``log(x)``, ``x^2``, ``a:b``) for the
        propensity model, Mahalanobis distance and balance.
    method : str, default "nearest"
        A name in :data:`METHODS`.
    ratio : int, default 1
        Controls per treated unit (k rounds without replacement).
    replace : bool, default False
        Allow a control to be matched to several treated units.
    caliper : float, optional
        Maximum allowed distance (see ``std_caliper`` and ``caliper_scale``).
    std_caliper : bool, default True
        Caliper in standard deviations (R ``sd``, n - 1) of the distance over all
        non-discarded units; raw units when False.
    caliper_scale : {"distance", "logit"}, default "distance"
        ``"logit"`` matches on the logit of the propensity score with the caliper
        in SDs of the logit (Austin 2011).
    exact : list of str, optional
        Columns whose strata are never crossed.
    m_order : {"largest", "smallest", "closest", "data", "random"}, optional
        Order in which focal units choose; default ``"largest"`` with a score
        (``"smallest"`` for ATC) and ``"data"`` for Mahalanobis.
    distance : "glm", "logit", "mahalanobis", column name or classifier, default "glm"
        What is matched on: the logit propensity score on the probability scale,
        a classifier's ``predict_proba``, Mahalanobis distance on ``covariates``, or
        a precomputed score column.
    mahvars : list of str, optional
        Mahalanobis distance on these terms, within the propensity caliper.
    discard : {"none", "treated", "control", "both"}, default "none"
        Drop units outside the other group's distance range before matching.
    estimand : {"ATT", "ATC", "ATE"}, default "ATT"
        ATC swaps the roles of the groups, as MatchIt does; ATE only with methods
        ``full``, ``subclass`` and ``cem`` (as in MatchIt).
    seed : int, optional
        Seed for ``m_order="random"``.
    ties : bool, default False
        With ``replace=True`` only: keep every control whose distance is within
        1e-5 of the ``ratio``-th nearest, each weighted 1/(number kept) (R Matching).
    subclass, min_n : int, optional
        Method ``subclass``: number of subclasses (default 6) and the least number of
        units of each group per subclass, reached by "scooting" (MatchIt's ``min.n``, default 1).
    cutpoints, k2k
        Method ``cem``: MatchIt's cut points (``"sturges"``, a number of bins, cut
        points, or a mapping column -> one of those) and 1:1 pairing within strata.
    min_controls, max_controls : float, optional
        Method ``full``: bounds on the controls per focal unit (MatchIt's names).
    solver : str, default "lemon"
        Methods ``optimal`` and ``full``: ``"lemon"`` reproduces MatchIt's matched sets
        (the choices of optmatch's default solver, LEMON's cycle canceling); ``"scipy"``
        (HiGHS / LAPJVsp) is faster on large problems and returns an optimum of equal
        cost, not necessarily the same sets.
    optmatch_tol : float, default 1e-7
        Methods ``optimal`` and ``full``: optmatch's ``tol`` (distances are rounded to a
        grid of about ``tol * n / (n - 2)``; MatchIt's default is 0.001).

    Returns
    -------
    MatchResult

    Raises
    ------
    ConfigError
        Invalid arguments or combinations (the message names the argument; the
        same rules as a config's ``design:`` section, see :class:`MatchSpec`).
    EvaltoolError
        Missing columns.
    MatchingError
        No overlap, or no focal unit could be matched.

    Examples
    --------
    1:1 nearest-neighbour matching on the propensity score, every participant matched:

    >>> import evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    >>> design.n["treated"]
    {'all': 104, 'matched': 104, 'unmatched': 0, 'discarded': 0}
    >>> design.estimand.value, int((design.weights > 0).sum())
    ('ATT', 208)
    """
    spec = MatchSpec(method=method, ratio=ratio, replace=replace, caliper=caliper,
                     std_caliper=std_caliper, caliper_scale=caliper_scale, exact=exact,
                     m_order=m_order, distance=distance, mahvars=mahvars, discard=discard,
                     estimand=estimand, seed=seed, ties=ties, subclass=subclass, min_n=min_n,
                     cutpoints=cutpoints, k2k=k2k, min_controls=min_controls,
                     max_controls=max_controls, solver=solver, optmatch_tol=optmatch_tol)
    return fit_match(data, treatment, covariates, spec)


def fit_match(data: Any, treatment: str, covariates: str | Sequence[str],
              spec: MatchSpec) -> MatchResult:
    """Run the matching design ``spec`` (e.g. built from a config) on ``data``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"age": rng.normal(40, 10, 400), "t": rng.integers(0, 2, 400)})
    >>> fit_match(d, "t", ["age"], MatchSpec(ratio=1)).spec.ratio
    1
    """
    method = get_method(spec.method)
    if spec.method != "nearest" and is_arrow(data):  # the other methods work on pandas
        data = data.to_pandas()
    return method(data, treatment, normalise_terms(covariates), spec)
