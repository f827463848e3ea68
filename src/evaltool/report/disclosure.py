"""Statistical disclosure control for typed results: small-cell suppression and rounding.

Every table and every figure of a report is built from a *controlled* copy of
the results document (:class:`~evaltool.results.schema.ResultsDocument`) made by
:func:`apply_disclosure`. The rules:

* **Primary suppression.** A count between 1 and ``min_cell - 1`` is hidden
  (rule ``"count"``, shown as "<5"). A statistic resting on fewer than
  ``min_cell`` persons (a mean, an effect, a trajectory share, a Kaplan–Meier
  point) is hidden (rule ``"n"``, shown as "–"). Shares that imply fewer than
  ``min_cell`` persons (``share * n``; a binary covariate mean ``* n``) are
  hidden as counts.
* **Secondary suppression.** Where cells add up to a published total (a
  breakdown of the target group, dropped rows, subgroup levels of one variable,
  histogram bins, exhaustive trajectory categories), further cells are hidden,
  the next-smallest first, until at least two cells are hidden and together
  hold at least ``min_cell`` persons, so no hidden cell can be recovered by
  subtraction (rule ``"secondary"``, shown as "–"). For subgroups the whole
  complementary row is hidden, because its mean would otherwise reveal the
  suppressed level's mean through the overall mean.
* **Rounding** (optional): counts are rounded to a multiple of ``rounding``
  after suppression; target-group shares are recomputed from the rounded
  counts.

Suppressed values become ``None`` and the record's ``suppressed`` mapping gains
``{field: rule}`` (for histogram series ``"series.index"``), which the
report reads to print "<5" or "–" with a footnote. Every decision is logged in
a :class:`DisclosureLog` (``table, row, column, reason, rule``), written as
``disclosure_log.csv``.

The rules, the log and the suppression primitives live in :mod:`evaltool.report.disclosure_control`
(re-exported here); Kaplan–Meier pooling in :mod:`evaltool.report.disclosure_km`, rounding in
:mod:`evaltool.report.disclosure_rounding`, the sensitivity, area and process blocks in their own
modules; this module applies the block rules in order (:func:`apply_disclosure`).

Usage (on a results document; not run as a doctest)
---------------------------------------------------
::

    controlled, log = apply_disclosure(results, DisclosureRules(min_cell=5))
    log.to_frame().head()
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from evaltool.exceptions import ReportError
from evaltool.report.area_disclosure import control_area
from evaltool.report.disclosure_control import (LOG_COLUMNS, DisclosureEntry, DisclosureLog, DisclosureRules,
                                                _Controller, suppressed_fields)
from evaltool.report.disclosure_km import pool_km
from evaltool.report.disclosure_rounding import round_document
from evaltool.report.disclosure_sensitivity import control_sensitivity
from evaltool.report.process_disclosure import control_process
from evaltool.results._record import SUPPRESSED_KEY
from evaltool.results.schema import PropensityHistogram, ResultsDocument

__all__ = ["DisclosureRules", "DisclosureEntry", "DisclosureLog", "apply_disclosure",
           "suppressed_fields", "SUPPRESSED_KEY", "LOG_COLUMNS"]


def apply_disclosure(results: ResultsDocument, rules: DisclosureRules | None = None, *,
                     table_prefix: str = "") -> tuple[ResultsDocument, DisclosureLog]:
    """Apply primary and secondary suppression (and optional rounding) to a results document.

    Parameters
    ----------
    results : ResultsDocument
        The typed ``results.json`` (schema v1). It is not modified (records are immutable).
    rules : DisclosureRules, optional
        Defaults to ``DisclosureRules()`` (``min_cell=5``, no rounding).
    table_prefix : str, default ""
        Prepended to table names in the log (e.g. ``"midterm:"`` for a comparison document).

    Returns
    -------
    controlled : ResultsDocument
        A copy with suppressed values set to ``None`` and marked in each record's ``suppressed``.
    log : DisclosureLog
        One entry per decision.
    """
    rules = rules or DisclosureRules()
    if not isinstance(results, ResultsDocument):
        raise ReportError("`results` must be a results document (evaltool.results.schema.ResultsDocument, e.g. "
                          f"ResultsDocument.read('results.json')); got {type(results).__name__}")
    c = _Controller(rules, table_prefix)
    m = rules.min_cell

    tg = results.target_group
    by = list(tg.by)
    c.breakdown(by, "target_group", lambda r: r.variable, lambda r: f"{r.variable}={r.level}",
                ("n_treated", "n_pool"), {"n_treated": "share_treated", "n_pool": "share_pool"})
    tg = replace(tg, by=tuple(by))

    dr = results.data_report
    dropped = list(dr.dropped)
    c.breakdown(dropped, "data_report", lambda r: "dropped", lambda r: f"dropped: {r.reason}", ("n",), {})
    dr = replace(dr, dropped=tuple(dropped))
    hidden_drop = sum(r.n or 0 for r, k in zip(results.data_report.dropped, dropped) if k.n is None)
    if c.small(hidden_drop) and dr.n_read is not None:  # n_read - n_used - shown reasons would give it
        dr = c.hide(dr, ["n_read"], "secondary", "data_report", "counts",
                    f"the hidden dropped-rows reasons hold fewer than {m} persons (n_read - n_used - shown)",
                    column="n_read")
    for f in ("persons_without_panel", "pseudo_starts"):  # single counts, not parts of a published total
        if c.small(getattr(dr, f)):
            dr = c.hide(dr, [f], "count", "data_report", f, f"count below {m}", column=f)

    dn = results.design.n
    for side in ("treated", "control"):
        parts = [f"{side}_discarded", f"{side}_unmatched"]
        vals = [getattr(dn, p) or 0 for p in parts]
        primary = {i for i, p in enumerate(parts) if c.small(getattr(dn, p))}
        for i in sorted(primary):
            dn = c.hide(dn, [parts[i]], "count", "design", "sample flow", f"count below {m}", column=parts[i])
        for i in sorted(c.complement(vals, primary)):
            dn = c.hide(dn, [parts[i]], "secondary", "design", "sample flow",
                        "complement of a suppressed cell in the sample flow", column=parts[i])

    balance = replace(results.balance, rows=tuple(_balance_row(c, r, dn) for r in results.balance.rows))

    effects = list(results.effects)
    c.effect_rows(effects, "effects", lambda r: r.outcome, None)
    subs = list(results.subgroups)
    c.effect_rows(subs, "subgroups", lambda r: f"{r.outcome}: {r.variable}={r.level}", ("outcome", "variable"))

    traj = list(results.trajectories)
    _trajectories(c, traj)
    tte = tuple(pool_km(c, t) for t in results.time_to_event)  # report/disclosure_km.py
    out = replace(results, target_group=tg, data_report=dr, design=replace(results.design, n=dn),
                  balance=balance, effects=tuple(effects), subgroups=tuple(subs), trajectories=tuple(traj),
                  time_to_event=tte, propensity=_propensity(c, results.propensity))
    out = replace(out, area=control_area(out.area, m, c.log))  # housing areas: report/area_disclosure.py
    out = control_process(c, out)
    if results.sensitivity is not None:
        out = replace(out, sensitivity=control_sensitivity(results.sensitivity, out, m, c.log))
    out = round_document(c, out)  # report/disclosure_rounding.py
    if out.warnings:
        out = replace(out, warnings=tuple(_redact_message(c, i, str(w)) for i, w in enumerate(out.warnings)))
    return out, DisclosureLog(tuple(c.entries), rules)


# A whole number standing alone in a message (not part of a decimal, a ratio like 1:1, a name or a week code)
_NUMBER = re.compile(r"(?<![\w.,:\-\u2212])\d+(?![\w.,:]?\d)(?![\w:])")


def _redact_message(c: _Controller, i: int, text: str) -> str:
    """Mask small whole numbers (1 to min_cell - 1) in a free-text message: they may count persons."""
    def mask(m: re.Match) -> str:
        n = int(m.group(0))
        if not c.small(n):
            return m.group(0)
        c.log("warnings", f"message {i + 1}", "text", f"a number below {c.m} in a message may count persons",
              "count")
        return f"<{c.m}"

    return _NUMBER.sub(mask, text)


def _balance_row(c: _Controller, r: Any, n: Any) -> Any:
    if r.type != "binary":
        return r
    sizes = {"before": (n.treated_all, n.control_all), "after": (n.treated_matched, n.control_matched)}
    for phase, (nt, nc) in sizes.items():
        hidden = False
        for group, size in (("treated", nt), ("control", nc)):
            mean = getattr(r, f"mean_{group}_{phase}")
            if mean is None or not size:
                continue
            for share in (mean, 1 - mean):
                if 0 < share and round(share * size) < c.m:
                    hidden = True
        if hidden:
            r = c.hide(r, [f"mean_treated_{phase}", f"mean_control_{phase}", f"smd_{phase}",
                           f"ecdf_mean_{phase}", f"ecdf_max_{phase}"], "count", "balance", r.term,
                       f"a binary covariate share implies fewer than {c.m} persons ({phase} matching)",
                       column=f"mean_{phase}")
    return r


def _trajectories(c: _Controller, rows: list) -> None:
    cells: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        cells.setdefault((r.group, r.week), []).append(i)
        row = f"{r.group} week {r.week}: {r.category}"
        if c.small(r.n):
            rows[i] = c.hide(r, ["share", "n"], "n", "trajectories", row, f"share based on fewer than {c.m} persons",
                             column="share")
        elif r.n and r.share is not None and 0 < r.share and round(r.share * r.n) < c.m:
            rows[i] = c.hide(r, ["share"], "count", "trajectories", row, f"share implies fewer than {c.m} persons",
                             column="share")
    for idx in cells.values():
        members = [rows[i] for i in idx]
        total = sum(r.share for r in members if r.share is not None)
        hidden = {j for j, r in enumerate(members) if "share" in r.suppressed}
        if not hidden or len(hidden) == len(members):
            continue
        n = max((r.n or 0) for r in members)
        if not n or 1 - total > len(hidden) * c.m / n + 1e-9:
            continue  # categories are not exhaustive: the hidden share cannot be recovered as 1 - sum
        vals = [round((r.share or 0) * n) for r in members]
        for j in sorted(c.complement(vals, hidden)):
            r = members[j]
            rows[idx[j]] = c.hide(r, ["share"], "secondary", "trajectories", f"{r.group} week {r.week}: {r.category}",
                                  "complement of a suppressed share in exhaustive categories", column="share")


def _propensity(c: _Controller, ps: PropensityHistogram | None) -> PropensityHistogram | None:
    if ps is None:
        return None
    marks = dict(ps.suppressed)
    series_out = {}
    for series in ps.SERIES:
        counts = list(getattr(ps, series))
        primary = {i for i, v in enumerate(counts) if c.small(v)}
        extra = c.complement([v or 0 for v in counts], primary)
        for i, rule in [(i, "count") for i in sorted(primary)] + [(i, "secondary") for i in sorted(extra)]:
            counts[i] = None
            marks[f"{series}.{i}"] = rule
            c.log("propensity", f"{series} bin {i}", "count",
                  f"count below {c.m}" if rule == "count" else "complement of a suppressed histogram bin", rule)
        series_out[series] = tuple(counts)
    return replace(ps, **series_out, suppressed=marks)
