"""Specification curve: the headline effects re-estimated over a declared grid of reasonable designs.

Every combination of caliper x ratio x replacement x exact set x regression adjustment in a
:class:`~evaltool.sensitivity.spec.SpecCurveSpec` is matched with :func:`evaltool.match` and
estimated with :func:`evaltool.estimate`, through an ``executor`` (anything with
``map(fn, iterable)``; results are identical whichever executor runs them, since every task is
a pure function of its arguments). A design that cannot be formed (e.g. a caliper leaving no
matches) is kept as a row with ``estimate`` None and its reason.

Each design of the study's ``comparison_designs:`` is a further point of the curve
(:func:`add_comparison_designs`): its effect on each headline outcome, numbered after the grid in
config order and labelled in the ``design`` column by its name (the grid's own points have
``design`` None; their choice columns describe them).

Summary per outcome: the share of estimable specifications whose estimate has the sign of the
headline (the first specification, or ``headline`` when given), and the share whose 95 % CI
excludes 0 (Simonsohn, Simmons & Nelson 2020).
"""

from __future__ import annotations

import itertools
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltool.design.matching import match
from evaltool.effects import estimate
from evaltool.exceptions import EvaltoolError
from evaltool.sensitivity.spec import SpecCurveSpec

__all__ = ["SequentialExecutor", "design_grid", "run_specification", "specification_curve", "start_specification_curve",
           "curve_summary", "add_comparison_designs", "CHOICE_COLUMNS", "CURVE_COLUMNS"]

CHOICE_COLUMNS = ("caliper", "ratio", "replace", "exact", "regression")
CURVE_COLUMNS = ("spec_id", *CHOICE_COLUMNS, "outcome", "estimate", "std_error", "ci_low", "ci_high",
                 "n_treated", "n_control", "error", "design")


class SequentialExecutor:
    """The default executor: ``map`` runs the tasks one after another in this process."""

    def map(self, fn, iterable: Iterable[Any]) -> list[Any]:
        return [fn(x) for x in iterable]


def design_grid(grid: SpecCurveSpec) -> list[dict[str, Any]]:
    """The specifications in a stable order, numbered ``spec_id`` 1..n."""
    combos = itertools.product(grid.caliper, grid.ratio, grid.replace, grid.exact, grid.regression)
    return [{"spec_id": i + 1, "caliper": c, "ratio": int(r), "replace": bool(rep),
             "exact": list(ex), "regression": bool(reg)}
            for i, (c, r, rep, ex, reg) in enumerate(combos)]


def run_specification(task: tuple[dict[str, Any], pd.DataFrame, str, tuple[str, ...], Any,
                                  dict[str, Any]]) -> list[dict[str, Any]]:
    """One specification: match, estimate, return one row per outcome (a pure, picklable task)."""
    choice, data, treatment, covariates, outcomes, match_kwargs = task
    return run_design_group(([choice], data, treatment, covariates, outcomes, match_kwargs))


def run_design_group(task: tuple[list[dict[str, Any]], pd.DataFrame, str, tuple[str, ...], Any,
                                 dict[str, Any]]) -> list[dict[str, Any]]:
    """Specifications that differ only in ``regression``: one matching, one estimate each (a pure,
    picklable task); rows as :func:`run_specification` gives them, specification by specification."""
    choices, data, treatment, covariates, outcomes, match_kwargs = task
    names = list(outcomes.columns) if isinstance(outcomes, pd.DataFrame) else list(outcomes)
    first = choices[0]
    rows: list[dict[str, Any]] = []
    with warnings.catch_warnings():  # ATM / balance warnings belong to the headline design, not here
        warnings.simplefilter("ignore")
        try:
            m = match(data, treatment, list(covariates), ratio=first["ratio"], replace=first["replace"],
                      caliper=first["caliper"], exact=first["exact"] or None, **match_kwargs)
        except EvaltoolError as exc:
            return [row for c in choices for row in _failed(c, names, exc)]
        for choice in choices:
            kwargs: dict[str, Any] = {"adjust": "none"}
            if choice["regression"]:
                kwargs.update(method="regression", covariates=list(covariates), variance="cluster")
            try:
                res = estimate(m, outcomes, **kwargs)
            except EvaltoolError as exc:
                rows += _failed(choice, names, exc)
                continue
            base = _base(choice)
            rows += [{**base, "outcome": r.outcome, "estimate": r.estimate, "std_error": r.std_error,
                      "ci_low": r.ci_low, "ci_high": r.ci_high, "n_treated": r.n_treated,
                      "n_control": r.n_control, "error": None, "design": None}
                     for r in res.effects.itertuples(index=False)]
    return rows


def _base(choice: dict[str, Any]) -> dict[str, Any]:
    base = {k: choice[k] for k in ("spec_id", *CHOICE_COLUMNS)}
    base["exact"] = "+".join(choice["exact"]) or "none"
    return base


def _failed(choice: dict[str, Any], names: list[str], exc: Exception) -> list[dict[str, Any]]:
    base = _base(choice)
    return [{**base, "outcome": o, "estimate": None, "std_error": None, "ci_low": None, "ci_high": None,
             "n_treated": None, "n_control": None, "error": str(exc).splitlines()[0], "design": None}
            for o in names]


def _design_groups(choices: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The grid's choices grouped by their matching (caliper, ratio, replace, exact), in grid order."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for c in choices:
        groups.setdefault((c["caliper"], c["ratio"], c["replace"], tuple(c["exact"])), []).append(c)
    return list(groups.values())


def _lean_data(data: pd.DataFrame, treatment: str, covariates: Sequence[str], grid: SpecCurveSpec,
               kw: dict[str, Any], score: np.ndarray | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The columns the grid's designs read (a smaller task for worker processes) and the match arguments.

    Every grid design matches on the same logit propensity score (it does not depend on caliper, ratio,
    replacement or exact strata), so it is fitted once (or ``score`` is taken) and matched on as a
    column: the same numbers as fitting it per design. Other distances are left to each design."""
    from evaltool.design.propensity import fit_propensity
    from evaltool.terms import normalise_terms, parse_term

    dist = kw.get("distance", "glm")
    cols = [treatment, *(c for t in covariates for c in parse_term(t).columns),
            *(c for ex in grid.exact for c in ex), *(c for t in kw.get("mahvars") or () for c in parse_term(t).columns)]
    if isinstance(dist, str) and dist not in ("glm", "logit", "mahalanobis"):
        cols.append(dist)
    lean = data[[c for c in dict.fromkeys(cols) if c in data.columns]]  # a missing column: match() says so
    if not (isinstance(dist, str) and dist in ("glm", "logit") and kw.get("caliper_scale", "distance") == "distance"):
        return lean, kw
    if score is None:
        try:
            score = fit_propensity(data, treatment, normalise_terms(list(covariates)), model="logit").score_values
        except EvaltoolError:  # every design fails with this error, row by row, as before
            return lean, kw
    col = "_evaltool_propensity_score"
    while col in lean.columns:
        col += "_"
    lean = lean.assign(**{col: np.asarray(score, dtype=float)})
    return lean, {**kw, "distance": col}


def _progress(iterator: Iterable[Any], total: int, steps: Sequence[int]) -> Iterable[Any]:
    if not sys.stderr.isatty():
        yield from iterator
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("specification curve", total=total)
        for item, step in zip(iterator, steps):
            bar.advance(task, step)
            yield item


def specification_curve(data: pd.DataFrame, treatment: str, covariates: Sequence[str],
                        outcomes: Sequence[str] | pd.DataFrame, grid: SpecCurveSpec | None = None, *,
                        executor: Any = None, match_kwargs: dict[str, Any] | None = None,
                        score: np.ndarray | None = None) -> pd.DataFrame:
    """Re-estimate ``outcomes`` over every design of ``grid``.

    Returns one row per specification x outcome: ``spec_id``, the choices (:data:`CHOICE_COLUMNS`),
    ``outcome``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``n_treated``, ``n_control``,
    ``error``, ``design`` (None: a grid point; see :func:`add_comparison_designs`). A progress bar is shown only when stderr is a terminal.

    Work is shared where the numbers are the same: with the logit propensity score (the default
    distance) it is fitted once for every design (``score``: the headline design's, fitted on the same
    data and covariates), and specifications that differ only in ``regression`` share one matching;
    each matching is one task of ``executor``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=300)})
    >>> d["t"] = (rng.random(300) < 0.3).astype(int)
    >>> d["y"] = d["x"] + 0.5 * d["t"] + rng.normal(size=300)
    >>> g = SpecCurveSpec(caliper=(None, 0.2), ratio=(1,), replace=(False,), regression=(False,))
    >>> specification_curve(d, "t", ["x"], ["y"], g)["spec_id"].tolist()
    [1, 2]
    """
    return start_specification_curve(data, treatment, covariates, outcomes, grid, executor=executor,
                                     match_kwargs=match_kwargs, score=score)()


def start_specification_curve(data: pd.DataFrame, treatment: str, covariates: Sequence[str],
                              outcomes: Sequence[str] | pd.DataFrame, grid: SpecCurveSpec | None = None, *,
                              executor: Any = None, match_kwargs: dict[str, Any] | None = None,
                              score: np.ndarray | None = None) -> Callable[[], pd.DataFrame]:
    """:func:`specification_curve` in two steps: the designs are handed to ``executor`` now (its workers
    start on them at once when it has an ``imap`` that dispatches eagerly, as the process and Dask
    executors of :mod:`evaltool.execution` do) and the returned callable collects the curve, so the
    caller can do other work meanwhile. A sequential executor computes them when collected."""
    grid = grid or SpecCurveSpec()
    ex = executor if executor is not None else SequentialExecutor()
    if not callable(getattr(ex, "map", None)):
        raise EvaltoolError(f"`executor` must have a map(fn, iterable) method; got {type(ex).__name__}")
    choices = design_grid(grid)
    data, kw = _lean_data(data, treatment, covariates, grid, dict(match_kwargs or {}), score)
    groups = _design_groups(choices)
    tasks = [(g, data, treatment, tuple(covariates), outcomes, kw) for g in groups]
    imap = getattr(ex, "imap", None)
    results = imap(run_design_group, tasks) if callable(imap) else None

    def collect() -> pd.DataFrame:
        parts = results if results is not None else ex.map(run_design_group, tasks)
        rows = [row for rows in _progress(parts, len(choices), [len(g) for g in groups]) for row in rows]
        return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))

    return collect


def add_comparison_designs(curve: pd.DataFrame, rows: Iterable[Any]) -> pd.DataFrame:
    """``curve`` with one more point per comparison design and outcome of the curve.

    ``rows`` are :class:`~evaltool.results.comparison.ComparisonDesignRow` s (rows of design
    ``"main"`` are the headline and are skipped; outcomes not on the curve too). Points are
    numbered after the grid (``spec_id`` max + 1, ... in the order of the designs' first rows), carry
    the design's estimate, interval and counts, ``design`` = the design's name and no grid choices.

    Examples
    --------
    >>> from evaltool.results.comparison import ComparisonDesignRow
    >>> curve = pd.DataFrame([{"spec_id": 1, "outcome": "y", "estimate": 1.0}], columns=list(CURVE_COLUMNS))
    >>> more = [ComparisonDesignRow(design="main", outcome="y", estimate=1.0),
    ...         ComparisonDesignRow(design="ipw", method="weighting (ipw)", outcome="y", estimate=1.5)]
    >>> add_comparison_designs(curve, more)[["spec_id", "design", "estimate"]].to_dict("records")[-1]
    {'spec_id': 2, 'design': 'ipw', 'estimate': 1.5}
    """
    outcomes = set(curve["outcome"])
    rows = [r for r in rows if r.design != "main" and r.outcome in outcomes]
    if not rows:
        return curve
    first = int(curve["spec_id"].max()) + 1 if len(curve) else 1
    ids = {name: first + i for i, name in enumerate(dict.fromkeys(r.design for r in rows))}
    extra = [{"spec_id": ids[r.design], **dict.fromkeys(CHOICE_COLUMNS), "outcome": r.outcome,
              "estimate": r.estimate, "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high,
              "n_treated": r.n_treated, "n_control": r.n_control,
              "error": None if r.estimate is not None else "not estimable", "design": r.design}
             for r in rows]
    extra.sort(key=lambda e: e["spec_id"])  # stable: each design's outcomes in block order
    return pd.DataFrame([*curve.to_dict("records"), *extra], columns=list(CURVE_COLUMNS))


def curve_summary(curve: pd.DataFrame, headline: dict[str, float] | None = None) -> pd.DataFrame:
    """Per outcome: specifications run and estimable, share with the headline's sign, share significant."""
    out = []
    for outcome, g in curve.groupby("outcome", sort=False):
        ok = g[g["estimate"].notna()]
        est = ok["estimate"].to_numpy(dtype=float)
        ref = (headline or {}).get(outcome, est[0] if est.size else np.nan)
        sig = (ok["ci_low"].to_numpy(dtype=float) > 0) | (ok["ci_high"].to_numpy(dtype=float) < 0)
        out.append({"outcome": outcome, "n_specs": int(len(g)), "n_estimable": int(len(ok)),
                    "headline": float(ref) if np.isfinite(ref) else None,
                    "share_same_sign": float(np.mean(np.sign(est) == np.sign(ref))) if est.size else None,
                    "share_significant": float(np.mean(sig)) if est.size else None,
                    "share_significant_same_sign": float(np.mean(sig & (np.sign(est) == np.sign(ref))))
                    if est.size else None,
                    "min": float(est.min()) if est.size else None, "median": float(np.median(est)) if est.size else None,
                    "max": float(est.max()) if est.size else None})
    return pd.DataFrame(out, columns=["outcome", "n_specs", "n_estimable", "headline", "share_same_sign",
                                      "share_significant", "share_significant_same_sign", "min", "median", "max"])
