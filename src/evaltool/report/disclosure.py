"""Statistical disclosure control for results dicts: small-cell suppression and rounding.

Every table and every figure of a report is built from a *controlled* copy of
the results dict made by :func:`apply_disclosure`. The rules:

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

Suppressed values become ``None`` and the record gains a ``"_suppressed"``
mapping ``{field: rule}`` (for histogram series ``"series.index"``), which the
report reads to print "<5" or "–" with a footnote. Every decision is logged in
a :class:`DisclosureLog` (``table, row, column, reason, rule``), written as
``disclosure_log.csv``.

Examples
--------
>>> controlled, log = apply_disclosure(results, DisclosureRules(min_cell=5))  # doctest: +SKIP
>>> log.to_frame().head()  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool._checks import check_int
from evaltool._result import ResultMixin, frame_records
from evaltool.exceptions import ReportError

__all__ = ["DisclosureRules", "DisclosureEntry", "DisclosureLog", "apply_disclosure",
           "suppressed_fields", "SUPPRESSED_KEY", "LOG_COLUMNS"]

SUPPRESSED_KEY = "_suppressed"
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
    """All disclosure decisions for one results dict, in the order they were made."""

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


def suppressed_fields(record: dict[str, Any]) -> dict[str, str]:
    """The ``{field: rule}`` map of a controlled record (empty if nothing was suppressed)."""
    return record.get(SUPPRESSED_KEY) or {}


class _Controller:
    def __init__(self, rules: DisclosureRules, prefix: str) -> None:
        self.m = rules.min_cell
        self.rules = rules
        self.prefix = prefix
        self.entries: list[DisclosureEntry] = []

    # -- primitives -------------------------------------------------------
    def small(self, n: Any) -> bool:
        return n is not None and 0 < n < self.m

    def hide(self, rec: dict, fields: tuple[str, ...] | list[str], rule: str, table: str, row: str,
             reason: str, column: str | None = None) -> None:
        marks = rec.setdefault(SUPPRESSED_KEY, {})
        for f in fields:
            if f in rec and not isinstance(rec[f], list):
                rec[f] = None
            marks.setdefault(f, rule)
        self.entries.append(DisclosureEntry(self.prefix + table, row, column or ",".join(fields),
                                            reason, rule))

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
    def breakdown(self, rows: list[dict], table: str, key: str, label, fields: tuple[str, ...],
                  shares: dict[str, str]) -> None:
        groups: dict[Any, list[dict]] = {}
        for r in rows:
            groups.setdefault(r.get(key), []).append(r)
        for members in groups.values():
            for col in fields:
                vals = [r.get(col) or 0 for r in members]
                primary = {i for i, r in enumerate(members) if self.small(r.get(col))}
                for i in sorted(primary):
                    self.hide(members[i], [col, shares.get(col, col)], "count", table, label(members[i]),
                              f"count below {self.m}", column=col)
                for i in sorted(self.complement(vals, primary)):
                    self.hide(members[i], [col, shares.get(col, col)], "secondary", table,
                              label(members[i]), "complement of a suppressed cell in the same breakdown",
                              column=col)

    def group_stats(self, rec: dict, table: str, row: str, pairs: tuple[tuple[str, str], ...]) -> None:
        for n_field, stat in pairs:
            if self.small(rec.get(n_field)) or rec.get(n_field) == 0:
                self.hide(rec, [n_field, stat], "n", table, row,
                          f"statistic based on fewer than {self.m} persons", column=stat)

    def effect_rows(self, rows: list[dict], table: str, label, groups_by: tuple[str, ...] | None) -> None:
        bad = [i for i, r in enumerate(rows)
               if self.small(r.get("n_treated")) or self.small(r.get("n_control"))]
        for i in bad:
            self.hide(rows[i], list(_STATS) + ["n_treated", "n_control"], "n", table, label(rows[i]),
                      f"fewer than {self.m} treated or comparison persons", column="row")
        if groups_by is None:
            return
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(rows):
            groups.setdefault(tuple(r.get(k) for k in groups_by), []).append(i)
        bad_set = set(bad)
        for idx in groups.values():
            primary = {j for j, i in enumerate(idx) if i in bad_set}
            extra = set()
            for col in ("n_treated", "n_control"):
                vals = [rows[i].get(col) or 0 if i not in bad_set else _orig_n(rows[i], col) for i in idx]
                extra |= self.complement(vals, primary)
            for j in sorted(extra - primary):
                self.hide(rows[idx[j]], list(_STATS) + ["n_treated", "n_control"], "secondary", table,
                          label(rows[idx[j]]), "complement of a suppressed subgroup level", column="row")

    def round_counts(self, rec: dict, fields: tuple[str, ...], table: str) -> bool:
        base = self.rules.rounding
        changed = False
        for f in fields:
            v = rec.get(f)
            if base and isinstance(v, int) and not isinstance(v, bool) and v != 0:
                rec[f] = int(base * round(v / base))
                changed = True
        return changed


def _orig_n(rec: dict, col: str) -> int:
    # a primary-suppressed row's count is already None; its size still matters for the complement
    return rec.get("_n_" + col, 0)


def apply_disclosure(results: dict[str, Any], rules: DisclosureRules | None = None, *,
                     table_prefix: str = "") -> tuple[dict[str, Any], DisclosureLog]:
    """Apply primary and secondary suppression (and optional rounding) to a results dict.

    Parameters
    ----------
    results : dict
        A parsed ``results.json`` (schema v1). It is not modified.
    rules : DisclosureRules, optional
        Defaults to ``DisclosureRules()`` (``min_cell=5``, no rounding).
    table_prefix : str, default ""
        Prepended to table names in the log (e.g. ``"midterm:"`` for a comparison dict).

    Returns
    -------
    controlled : dict
        A deep copy with suppressed values set to ``None`` and ``"_suppressed"`` marks.
    log : DisclosureLog
        One entry per decision.
    """
    rules = rules or DisclosureRules()
    if not isinstance(results, dict):
        raise ReportError(f"`results` must be a results dict (parsed results.json); got {type(results).__name__}")
    out = copy.deepcopy(results)
    c = _Controller(rules, table_prefix)

    tg = out.get("target_group") or {}
    by = tg.get("by") or []
    c.breakdown(by, "target_group", "variable", lambda r: f"{r['variable']}={r['level']}",
                ("n_treated", "n_pool"), {"n_treated": "share_treated", "n_pool": "share_pool"})

    dr = out.get("data_report") or {}
    for r in dr.get("dropped") or []:
        r.setdefault("_group", "dropped")
    c.breakdown(dr.get("dropped") or [], "data_report", "_group", lambda r: f"dropped: {r['reason']}",
                ("n",), {})
    for r in dr.get("dropped") or []:
        r.pop("_group", None)
    for f in ("persons_without_panel", "pseudo_starts"):  # single counts, not parts of a published total
        if c.small(dr.get(f)):
            c.hide(dr, [f], "count", "data_report", f, f"count below {rules.min_cell}", column=f)

    dn = (out.get("design") or {}).get("n") or {}
    for side in ("treated", "control"):
        parts = [f"{side}_discarded", f"{side}_unmatched"]
        vals = [dn.get(p) or 0 for p in parts]
        primary = {i for i, p in enumerate(parts) if c.small(dn.get(p))}
        for i in sorted(primary):
            c.hide(dn, [parts[i]], "count", "design", "sample flow", f"count below {rules.min_cell}",
                   column=parts[i])
        for i in sorted(c.complement(vals, primary)):
            c.hide(dn, [parts[i]], "secondary", "design", "sample flow",
                   "complement of a suppressed cell in the sample flow", column=parts[i])

    for r in out.get("process") or []:
        c.group_stats(r, "process", r.get("indicator", "?"),
                      (("n_treated", "mean_treated"), ("n_control", "mean_control")))

    _balance(c, out)

    c.effect_rows(out.get("effects") or [], "effects", lambda r: r.get("outcome", "?"), None)
    subs = out.get("subgroups") or []
    for r in subs:
        for col in ("n_treated", "n_control"):
            r["_n_" + col] = r.get(col) or 0
    c.effect_rows(subs, "subgroups", lambda r: f"{r['outcome']}: {r['variable']}={r['level']}",
                  ("outcome", "variable"))
    for r in subs:
        r.pop("_n_n_treated", None)
        r.pop("_n_n_control", None)

    _trajectories(c, out.get("trajectories") or [])
    for tte in out.get("time_to_event") or []:
        for p in tte.get("km") or []:
            row = f"{tte.get('outcome')}: {p.get('group')} week {p.get('week')}"
            if c.small(p.get("at_risk")):
                c.hide(p, ["at_risk", "survival", "events"], "n", "time_to_event", row,
                       f"fewer than {rules.min_cell} persons at risk", column="survival")
            elif c.small(p.get("events")):
                c.hide(p, ["events"], "count", "time_to_event", row, f"count below {rules.min_cell}")
    _propensity(c, out.get("propensity"))
    _rounding(c, out)
    if out.get("warnings"):
        out["warnings"] = [_redact_message(c, i, str(w)) for i, w in enumerate(out["warnings"])]
    return out, DisclosureLog(tuple(c.entries), rules)


# A whole number standing alone in a message (not part of a decimal, a ratio like 1:1, a name or a week code)
_NUMBER = re.compile(r"(?<![\w.,:\-\u2212])\d+(?![\w.,:]?\d)(?![\w:])")


def _redact_message(c: _Controller, i: int, text: str) -> str:
    """Mask small whole numbers (1 to min_cell - 1) in a free-text message: they may count persons."""
    def mask(m: re.Match) -> str:
        n = int(m.group(0))
        if not c.small(n):
            return m.group(0)
        c.entries.append(DisclosureEntry(c.prefix + "warnings", f"message {i + 1}", "text",
                                         f"a number below {c.m} in a message may count persons", "count"))
        return f"<{c.m}"

    return _NUMBER.sub(mask, text)


def _balance(c: _Controller, out: dict) -> None:
    n = (out.get("design") or {}).get("n") or {}
    sizes = {"before": (n.get("treated_all"), n.get("control_all")),
             "after": (n.get("treated_matched"), n.get("control_matched"))}
    for r in (out.get("balance") or {}).get("rows") or []:
        if r.get("type") != "binary":
            continue
        for phase, (nt, nc) in sizes.items():
            hidden = False
            for group, size in (("treated", nt), ("control", nc)):
                mean = r.get(f"mean_{group}_{phase}")
                if mean is None or not size:
                    continue
                for share in (mean, 1 - mean):
                    if 0 < share and round(share * size) < c.m:
                        hidden = True
            if hidden:
                c.hide(r, [f"mean_treated_{phase}", f"mean_control_{phase}", f"smd_{phase}",
                           f"ecdf_mean_{phase}", f"ecdf_max_{phase}"], "count", "balance", r.get("term", "?"),
                       f"a binary covariate share implies fewer than {c.m} persons ({phase} matching)",
                       column=f"mean_{phase}")


def _trajectories(c: _Controller, rows: list[dict]) -> None:
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        cells.setdefault((r.get("group"), r.get("week")), []).append(r)
        row = f"{r.get('group')} week {r.get('week')}: {r.get('category')}"
        n, share = r.get("n"), r.get("share")
        if c.small(n):
            c.hide(r, ["share", "n"], "n", "trajectories", row, f"share based on fewer than {c.m} persons",
                   column="share")
        elif n and share is not None and 0 < share and round(share * n) < c.m:
            c.hide(r, ["share"], "count", "trajectories", row, f"share implies fewer than {c.m} persons",
                   column="share")
    for members in cells.values():
        total = sum(r["share"] for r in members if r.get("share") is not None)
        hidden = {i for i, r in enumerate(members) if "share" in suppressed_fields(r)}
        if not hidden or len(hidden) == len(members):
            continue
        n = max((r.get("n") or 0) for r in members)
        if not n or 1 - total > len(hidden) * c.m / n + 1e-9:
            continue  # categories are not exhaustive: the hidden share cannot be recovered as 1 - sum
        vals = [round((r.get("share") or 0) * n) for r in members]
        for i in sorted(c.complement(vals, hidden)):
            r = members[i]
            c.hide(r, ["share"], "secondary", "trajectories",
                   f"{r.get('group')} week {r.get('week')}: {r.get('category')}",
                   "complement of a suppressed share in exhaustive categories", column="share")


def _propensity(c: _Controller, ps: dict | None) -> None:
    if not ps:
        return
    for series in ("treated", "control_all", "control_matched"):
        counts = ps.get(series)
        if not counts:
            continue
        primary = {i for i, v in enumerate(counts) if c.small(v)}
        extra = c.complement([v or 0 for v in counts], primary)
        for i, rule in [(i, "count") for i in sorted(primary)] + [(i, "secondary") for i in sorted(extra)]:
            counts[i] = None
            ps.setdefault(SUPPRESSED_KEY, {})[f"{series}.{i}"] = rule
            c.entries.append(DisclosureEntry(c.prefix + "propensity", f"{series} bin {i}", "count",
                                             f"count below {c.m}" if rule == "count" else
                                             "complement of a suppressed histogram bin", rule))


def _rounding(c: _Controller, out: dict) -> None:
    if not c.rules.rounding:
        return
    base = c.rules.rounding
    counts = ("n_treated", "n_control", "n_pool", "n", "at_risk", "events", "n_read", "n_used",
              "persons_without_panel", "pseudo_starts")
    touched: list[str] = []

    def rnd(rec: dict | None, table: str, fields: tuple[str, ...] = counts) -> None:
        if rec and c.round_counts(rec, fields, table) and table not in touched:
            touched.append(table)

    rnd(out.get("data_report"), "data_report")
    for r in (out.get("data_report") or {}).get("dropped") or []:
        rnd(r, "data_report")
    tg = out.get("target_group") or {}
    rnd(tg, "target_group")
    for r in tg.get("by") or []:
        rnd(r, "target_group")
        for n_f, s_f, tot in (("n_treated", "share_treated", tg.get("n_treated")),
                              ("n_pool", "share_pool", tg.get("n_pool"))):
            if r.get(n_f) is not None and tot:
                r[s_f] = r[n_f] / tot
    dn = (out.get("design") or {}).get("n") or {}
    rnd(dn, "design", tuple(k for k in dn if not k.startswith("ess")))
    for table in ("process", "effects", "subgroups", "trajectories"):
        for r in out.get(table) or []:
            rnd(r, table)
    for tte in out.get("time_to_event") or []:
        for p in tte.get("km") or []:
            rnd(p, "time_to_event")
    ps = out.get("propensity")
    if ps:
        for series in ("treated", "control_all", "control_matched"):
            vals = ps.get(series) or []
            ps[series] = [None if v is None else (int(base * round(v / base)) if v else 0) for v in vals]
        touched.append("propensity")
    for table in touched:
        c.entries.append(DisclosureEntry(c.prefix + table, "*", "counts", f"counts rounded to a multiple of {base}",
                                         "rounding"))
