"""The folder gate: one disclosure control that every file of an output folder passes.

:func:`control_document` returns the controlled copy of a results document and the log of
every decision; :func:`gated_tables` builds every CSV of the folder from that copy only, so
results.json, ``tables/*.csv``, ``trajectories.csv`` and the reports all show the same cells.

On top of the block rules of :mod:`evaltool.report.disclosure` and the declarations of
:mod:`evaltool.report.disclosure_protocol`, it closes differencing across tables:

* **target group vs balance**: a variable with a hidden target-group level also loses the
  "before" category shares of its balance rows (share x group size gives the levels back);
* **all vs matched**: when ``all - matched`` of one side is 1 .. min_cell - 1, the ``all`` count
  is hidden everywhere it is published (design, data report, target-group total, ``n_read``,
  ``n_used``) and the largest target-group level of each variable, so the sum of levels no
  longer gives it;
* **subgroup levels vs the total**: when the levels shown for one variable add up to 1 ..
  min_cell - 1 persons fewer than the whole sample (a level the estimator skipped), the
  smallest shown level is hidden as well; a χ² test over a variable with a hidden level is hidden;
* **Kaplan–Meier steps** are pooled by :mod:`evaltool.report.disclosure_km` (in ``apply_disclosure``);
* **by-week shares**: ``share x n`` of each group;
* **midterm vs final** (with ``earlier``): :mod:`evaltool.report.disclosure_followup` (cells both publish,
  the group sizes against every size the midterm publishes, the subgroup levels' union);
* **one group's sizes across blocks** (design, effects, time to event, Rosenbaum, specification curve,
  comparison designs, sums of subgroup levels), and against the midterm's: :mod:`evaltool.report.disclosure_sizes`.
* **comparison designs**: each design's analysed sample sizes (``comparison_designs`` rows) could be
  differenced against the main design's sample flow and against each other; a comparison row's
  count within 1 .. min_cell - 1 of a count already published for that side is hidden, and the
  rest are rounded like every other count when ``rounding`` is set.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

import pandas as pd

from evaltool.report.disclosure import DisclosureLog, DisclosureRules, _Controller, apply_disclosure
from evaltool.report.disclosure_followup import control_followup, control_subgroup_unions
from evaltool.report.disclosure_protocol import generic_pass
from evaltool.report.disclosure_sizes import control_sizes, published_sizes
from evaltool.results.schema import ResultsDocument

__all__ = ["control_document", "gated_tables"]

_TERM = re.compile(r"^C\((?P<var>[^)]+)\)(?P<level>.+)$")


def control_document(results: ResultsDocument, rules: DisclosureRules | None = None, *,
                     earlier: ResultsDocument | None = None) -> tuple[ResultsDocument, DisclosureLog]:
    """The controlled copy of ``results`` (every rule of the gate) and the log of every decision.

    ``earlier`` is the published (controlled) midterm a final evaluation is compared with: cells whose
    difference from it is 1 .. min_cell - 1 persons are hidden too (:mod:`evaltool.report.disclosure_followup`).
    """
    rules = rules or DisclosureRules()
    out, first = apply_disclosure(results, rules)
    c = _Controller(rules, "")
    out = _all_vs_matched(c, results, out)
    sizes = published_sizes(earlier) if earlier is not None else None
    if earlier is not None:
        out = control_followup(c, earlier, results, out, hide_all, sizes)
    out = _balance_vs_target(c, out)
    out = _subgroup_totals(c, results, out)
    out = replace(out, time_to_event=tuple(_km(c, t) for t in out.time_to_event))
    out = _comparison_designs(c, results, out)
    out = generic_pass(out, c)
    out = control_sizes(c, out, sizes)  # one group's sizes across blocks (and the midterm's): disclosure_sizes.py
    if earlier is not None:
        out = control_subgroup_unions(c, earlier, results, out)
    out = _subgroup_tests(c, out)
    return out, DisclosureLog(first.entries + tuple(c.entries), rules)


def _comparison_designs(c: _Controller, raw: ResultsDocument, out: ResultsDocument) -> ResultsDocument:
    block = raw.comparison_designs
    if block is None:
        return out
    n = raw.design.n
    published = {"n_treated": [n.count("treated", "all"), n.count("treated", "matched")],
                 "n_control": [n.count("control", "all"), n.count("control", "matched")]}
    for e in raw.effects:
        published["n_treated"].append(e.n_treated)
        published["n_control"].append(e.n_control)
    rows = []
    for r in block.rows:
        for col in ("n_treated", "n_control"):
            v = getattr(r, col)
            if r.design != "main" and v is not None and any(p is not None and c.small(abs(v - p))
                                                            for p in published[col]):
                r = c.hide(r, [col], "secondary", "comparison_designs", f"{r.design}: {r.outcome}",
                           f"differs from a published {col} by fewer than {c.m} persons", column=col)
            elif v is not None:
                published[col].append(v)
        rows.append(c.round_counts(r, ("n_treated", "n_control"))[0] if c.rules.rounding else r)
    return replace(out, comparison_designs=replace(block, rows=tuple(rows)))


def _balance_vs_target(c: _Controller, out: ResultsDocument) -> ResultsDocument:
    hidden = {r.variable for r in out.target_group.by if r.suppressed}
    rows = []
    for r in out.balance.rows:
        m = _TERM.match(r.term)
        if m and m.group("var") in hidden and r.mean_treated_before is not None:
            r = c.hide(r, ["mean_treated_before", "mean_control_before", "smd_before", "ecdf_mean_before",
                           "ecdf_max_before", "var_ratio_before"], "secondary", "balance", r.term,
                       "a level of this variable is hidden in the target-group table (share x n would give it)",
                       column="mean_before")
        rows.append(r)
    return replace(out, balance=replace(out.balance, rows=tuple(rows)))


def _all_vs_matched(c: _Controller, raw: ResultsDocument, out: ResultsDocument) -> ResultsDocument:
    n = raw.design.n
    for side in ("treated", "control"):
        a, mt = n.count(side, "all"), n.count(side, "matched")
        if a is not None and mt is not None and c.small(a - mt):
            out = hide_all(c, out, side, f"{side}: all - matched is below {c.m}")
    return out


def hide_all(c: _Controller, out: ResultsDocument, side: str, why: str) -> ResultsDocument:
    """Hide the ``all`` count of ``side`` everywhere it is published, and the largest target-group level of
    each variable (the levels would add up to it)."""
    tg_field = "n_treated" if side == "treated" else "n_pool"
    dn = c.hide(out.design.n, [f"{side}_all"], "secondary", "design", "sample flow", why, column=f"{side}_all")
    dr = c.hide(out.data_report, [f"n_{side}", "n_used", "n_read"], "secondary", "data_report", "counts", why)
    tg = c.hide(out.target_group, [tg_field], "secondary", "target_group", "total", why, column=tg_field)
    by = list(tg.by)
    share = "share_treated" if side == "treated" else "share_pool"
    for var in dict.fromkeys(r.variable for r in by):
        idx = [i for i, r in enumerate(by) if r.variable == var and getattr(r, tg_field) is not None]
        if idx:
            i = max(idx, key=lambda i: getattr(by[i], tg_field))
            by[i] = c.hide(by[i], [tg_field, share], "secondary", "target_group", f"{var}={by[i].level}",
                           f"{why}: the levels would add up to the hidden total", column=tg_field)
    return replace(out, design=replace(out.design, n=dn), data_report=dr, target_group=replace(tg, by=tuple(by)))


def _subgroup_totals(c: _Controller, raw: ResultsDocument, out: ResultsDocument) -> ResultsDocument:
    subs = list(out.subgroups)
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(raw.subgroups):
        groups.setdefault((s.outcome, s.variable), []).append(i)
    for (outcome, variable), idx in groups.items():
        main = raw.effect(outcome)
        if main is None:
            continue
        for col in ("n_treated", "n_control"):
            total = getattr(main, col)
            missing = (total or 0) - sum(getattr(raw.subgroups[i], col) or 0 for i in idx)
            shown = [i for i in idx if getattr(subs[i], col) is not None]
            if c.small(missing) and shown:
                i = min(shown, key=lambda i: (getattr(raw.subgroups[i], col), i))
                subs[i] = c.hide(subs[i], [f.name for f in fields(subs[i])
                                           if f.name not in ("variable", "outcome", "level", "estimand", "method",
                                                        "variance", "unit", "suppressed")],
                                 "secondary", "subgroups", f"{outcome}: {variable}={subs[i].level}",
                                 "levels not estimated hold fewer than min_cell persons (total minus levels)",
                                 column="row")
    return replace(out, subgroups=tuple(subs))


def _subgroup_tests(c: _Controller, out: ResultsDocument) -> ResultsDocument:
    """A χ² test of equal effects over a variable with a hidden level is hidden (after every subgroup rule)."""
    hidden = {(s.outcome, s.variable) for s in out.subgroups if s.suppressed}
    tests = tuple(c.hide(t, ["statistic", "df", "p_value"], "secondary", "subgroup_tests",
                         f"{t.outcome}: {t.variable}", "a level of this test is hidden", column="test")
                  if (t.outcome, t.variable) in hidden and t.statistic is not None else t
                  for t in out.subgroup_tests)
    return replace(out, subgroup_tests=tests)


def _km(c: _Controller, block: Any) -> Any:
    by_week = []
    sizes = {"share_treated": (block.n or {}).get("treated"), "share_control": (block.n or {}).get("control")}
    for b in block.by_week:
        for f, n in sizes.items():
            s = getattr(b, f)
            if s is not None and n and (c.small(round(s * n)) or c.small(round((1 - s) * n))):
                b = c.hide(b, [f, "estimate", "std_error", "ci_low", "ci_high", "p_value"], "count", "time_to_event",
                           f"{block.outcome}: week {b.week}", f"share x n implies fewer than {c.m} persons", column=f)
        by_week.append(b)
    return replace(block, by_week=tuple(by_week))


def _frame(rows: Any, columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.json_normalize([{k: v for k, v in r.to_dict().items() if k != "_suppressed"} for r in rows])
    return frame.reindex(columns=columns) if columns is not None else frame


def gated_tables(controlled: ResultsDocument) -> dict[str, pd.DataFrame]:
    """Every CSV of an output folder (relative path -> frame), built from the controlled document only."""
    from evaltool.results.effects import EffectRow
    from evaltool.results.schema import BalanceRow, TrajectoryRow

    def cols(cls: type) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "suppressed"]

    tables = {"tables/effects.csv": _frame(controlled.effects, cols(EffectRow)),
              "tables/balance.csv": _frame(controlled.balance.rows, cols(BalanceRow)),
              "tables/data_report.csv": _frame(controlled.data_report.dropped, ["reason", "column", "n"]),
              "tables/target_group.csv": _frame(controlled.target_group.by,
                                                ["variable", "level", "n_treated", "n_pool", "share_treated",
                                                 "share_pool"])}
    if controlled.process:
        tables["tables/process.csv"] = _frame(controlled.process)
    if controlled.trajectories:
        tables["trajectories.csv"] = _frame(controlled.trajectories, cols(TrajectoryRow))
    return tables
