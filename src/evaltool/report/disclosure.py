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

Examples
--------
>>> controlled, log = apply_disclosure(results, DisclosureRules(min_cell=5))  # doctest: +SKIP
>>> log.to_frame().head()  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool._checks import check_int
from evaltool._result import ResultMixin, frame_records
from evaltool.exceptions import ReportError
from evaltool.report.area_disclosure import control_area
from evaltool.report.disclosure_km import pool_km
from evaltool.report.disclosure_sensitivity import control_sensitivity
from evaltool.results._record import SUPPRESSED_KEY, Record
from evaltool.results.schema import PropensityHistogram, ResultsDocument

__all__ = ["DisclosureRules", "DisclosureEntry", "DisclosureLog", "apply_disclosure",
           "suppressed_fields", "SUPPRESSED_KEY", "LOG_COLUMNS"]

LOG_COLUMNS = ["table", "row", "column", "reason", "rule"]
_STATS = ("estimate", "std_error", "ci_low", "ci_high", "p_value", "p_value_adj", "mean_treated",
          "mean_control", "relative_change")


@dataclass(frozen=True)
class DisclosureRules:
    """Disclosure-control rules.

    Parameters
    ----------
    min_cell : int, default 5
        Smallest number of persons a published count or statistic may rest on.
    rounding : int or None, default None
        If given (>= 2), counts are rounded to the nearest multiple of it.
    """

    min_cell: int = 5
    rounding: int | None = None

    def __post_init__(self) -> None:
        check_int("min_cell", self.min_cell, low=1, exc=ReportError)
        check_int("rounding", self.rounding, low=2, allow_none=True, exc=ReportError)


@dataclass(frozen=True)
class DisclosureEntry:
    """One suppression or rounding decision."""

    table: str
    row: str
    column: str
    reason: str
    rule: str


@dataclass(frozen=True)
class DisclosureLog(ResultMixin):
    """All disclosure decisions for one results document, in the order they were made."""

    entries: tuple[DisclosureEntry, ...]
    rules: DisclosureRules
    _title = "Disclosure log"

    def __len__(self) -> int:
        return len(self.entries)

    def to_frame(self) -> pd.DataFrame:
        """One row per decision: ``table, row, column, reason, rule``."""
        return pd.DataFrame([[getattr(e, c) for c in LOG_COLUMNS] for e in self.entries],
                            columns=LOG_COLUMNS, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return {"rules": {"min_cell": self.rules.min_cell, "rounding": self.rules.rounding},
                "entries": frame_records(self.to_frame())}

    def write_csv(self, path: str | Path) -> Path:
        """Write the log as ``disclosure_log.csv`` (byte-stable)."""
        path = Path(path)
        self.to_frame().to_csv(path, index=False, lineterminator="\n")
        return path


def suppressed_fields(record: Record | None) -> dict[str, str]:
    """The ``{field: rule}`` map of a controlled record (empty if nothing was suppressed or no record)."""
    return record.suppressed if record is not None else {}


class _Controller:
    def __init__(self, rules: DisclosureRules, prefix: str) -> None:
        self.m = rules.min_cell
        self.rules = rules
        self.prefix = prefix
        self.entries: list[DisclosureEntry] = []

    # -- primitives -------------------------------------------------------
    def small(self, n: Any) -> bool:
        return n is not None and 0 < n < self.m

    def log(self, table: str, row: str, column: str, reason: str, rule: str) -> None:
        self.entries.append(DisclosureEntry(self.prefix + table, row, column, reason, rule))

    def hide(self, rec: Any, fields: tuple[str, ...] | list[str], rule: str, table: str, row: str,
             reason: str, column: str | None = None) -> Any:
        """``rec`` with ``fields`` set to None and marked with ``rule`` (the decision is logged)."""
        marks = dict(rec.suppressed)
        values = {}
        for f in fields:
            if hasattr(rec, f) and not isinstance(getattr(rec, f), tuple):
                values[f] = None
            marks.setdefault(f, rule)
        self.log(table, row, column or ",".join(fields), reason, rule)
        return replace(rec, **values, suppressed=marks)

    def complement(self, values: list[float], primary: set[int]) -> set[int]:
        """Indices to hide in addition so hidden cells cannot be recovered from the total."""
        extra: set[int] = set()
        if not primary:
            return extra
        while True:
            hidden = primary | extra
            rest = [i for i in range(len(values)) if i not in hidden]
            if not rest or (len(hidden) >= 2 and sum(values[i] for i in hidden) >= self.m):
                return extra
            extra.add(min(rest, key=lambda i: (values[i], i)))

    # -- tables -------------------------------------------------------------
    def breakdown(self, rows: list, table: str, key, label, fields: tuple[str, ...],
                  shares: dict[str, str]) -> None:
        """Primary and secondary suppression of counts adding up to a total, within groups ``key(row)``."""
        groups: dict[Any, list[int]] = {}
        for i, r in enumerate(rows):
            groups.setdefault(key(r), []).append(i)
        for idx in groups.values():
            for col in fields:
                vals = [getattr(rows[i], col) or 0 for i in idx]
                primary = {j for j, i in enumerate(idx) if self.small(getattr(rows[i], col))}
                hide = [(j, "count", f"count below {self.m}") for j in sorted(primary)]
                hide += [(j, "secondary", "complement of a suppressed cell in the same breakdown")
                         for j in sorted(self.complement(vals, primary))]
                for j, rule, reason in hide:
                    i = idx[j]
                    rows[i] = self.hide(rows[i], [col, shares.get(col, col)], rule, table, label(rows[i]),
                                        reason, column=col)

    def group_stats(self, rec: Any, table: str, row: str, pairs: tuple[tuple[str, str], ...]) -> Any:
        for n_field, stat in pairs:
            n = getattr(rec, n_field)
            if self.small(n) or n == 0:
                rec = self.hide(rec, [n_field, stat], "n", table, row,
                                f"statistic based on fewer than {self.m} persons", column=stat)
        return rec

    def effect_rows(self, rows: list, table: str, label, groups_by: tuple[str, ...] | None) -> None:
        original = list(rows)
        bad = [i for i, r in enumerate(rows) if self.small(r.n_treated) or self.small(r.n_control)]
        for i in bad:
            rows[i] = self.hide(rows[i], list(_STATS) + ["n_treated", "n_control"], "n", table, label(rows[i]),
                                f"fewer than {self.m} treated or comparison persons", column="row")
        if groups_by is None:
            return
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(rows):
            groups.setdefault(tuple(getattr(r, k) for k in groups_by), []).append(i)
        bad_set = set(bad)
        for idx in groups.values():
            primary = {j for j, i in enumerate(idx) if i in bad_set}
            extra = set()
            for col in ("n_treated", "n_control"):
                # a primary-suppressed row's count is already None; its size still matters for the complement
                extra |= self.complement([getattr(original[i], col) or 0 for i in idx], primary)
            for j in sorted(extra - primary):
                rows[idx[j]] = self.hide(rows[idx[j]], list(_STATS) + ["n_treated", "n_control"], "secondary",
                                         table, label(rows[idx[j]]), "complement of a suppressed subgroup level",
                                         column="row")

    def round_counts(self, rec: Any, fields: tuple[str, ...]) -> tuple[Any, bool]:
        base = self.rules.rounding
        values = {}
        for f in fields:
            v = getattr(rec, f, None)
            if base and isinstance(v, int) and not isinstance(v, bool) and v != 0:
                values[f] = int(base * round(v / base))
        return (replace(rec, **values), True) if values else (rec, False)


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

    process = tuple(c.group_stats(r, "process", r.indicator,
                                  (("n_treated", "mean_treated"), ("n_control", "mean_control")))
                    for r in results.process)
    balance = replace(results.balance, rows=tuple(_balance_row(c, r, dn) for r in results.balance.rows))

    effects = list(results.effects)
    c.effect_rows(effects, "effects", lambda r: r.outcome, None)
    subs = list(results.subgroups)
    c.effect_rows(subs, "subgroups", lambda r: f"{r.outcome}: {r.variable}={r.level}", ("outcome", "variable"))

    traj = list(results.trajectories)
    _trajectories(c, traj)
    tte = tuple(pool_km(c, t) for t in results.time_to_event)  # report/disclosure_km.py
    out = replace(results, target_group=tg, data_report=dr, design=replace(results.design, n=dn), process=process,
                  balance=balance, effects=tuple(effects), subgroups=tuple(subs), trajectories=tuple(traj),
                  time_to_event=tte, propensity=_propensity(c, results.propensity))
    out = replace(out, area=control_area(out.area, m, c.log))  # housing areas: report/area_disclosure.py
    from evaltool.report.process_disclosure import control_process  # issue 16: process_analyses block
    out = replace(out, process_analyses=control_process(c, out.process_analyses))
    if results.sensitivity is not None:
        out = replace(out, sensitivity=control_sensitivity(results.sensitivity, out, m, c.log))
    out = _rounding(c, out)
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


_COUNTS = ("n_treated", "n_control", "n_pool", "n", "at_risk", "events", "n_read", "n_used",
           "persons_without_panel", "pseudo_starts")


def _rounding(c: _Controller, out: ResultsDocument) -> ResultsDocument:
    if not c.rules.rounding:
        return out
    base = c.rules.rounding
    touched: list[str] = []

    def rnd(rec: Any, table: str, fields: tuple[str, ...] = _COUNTS) -> Any:
        rec, changed = c.round_counts(rec, fields)
        if changed and table not in touched:
            touched.append(table)
        return rec

    dr = rnd(out.data_report, "data_report")
    dr = replace(dr, dropped=tuple(rnd(r, "data_report") for r in dr.dropped))
    tg = rnd(out.target_group, "target_group")
    by = []
    for r in tg.by:
        r = rnd(r, "target_group")
        shares = {s_f: getattr(r, n_f) / tot for n_f, s_f, tot in (("n_treated", "share_treated", tg.n_treated),
                                                                    ("n_pool", "share_pool", tg.n_pool))
                  if getattr(r, n_f) is not None and tot}
        by.append(replace(r, **shares))
    tg = replace(tg, by=tuple(by))
    dn = out.design.n
    dn = rnd(dn, "design", tuple(f for f in dn.to_dict() if not f.startswith("ess") and f != SUPPRESSED_KEY))
    blocks = {table: tuple(rnd(r, table) for r in getattr(out, table))
              for table in ("process", "effects", "subgroups", "trajectories")}
    tte = tuple(replace(t, km=tuple(rnd(p, "time_to_event") for p in t.km)) for t in out.time_to_event)
    ps = out.propensity
    if ps is not None:
        ps = replace(ps, **{s: tuple(None if v is None else (int(base * round(v / base)) if v else 0)
                                     for v in getattr(ps, s)) for s in ps.SERIES})
        touched.append("propensity")
    for table in touched:
        c.log(table, "*", "counts", f"counts rounded to a multiple of {base}", "rounding")
    return replace(out, data_report=dr, target_group=tg, design=replace(out.design, n=dn), time_to_event=tte,
                   propensity=ps, **blocks)
