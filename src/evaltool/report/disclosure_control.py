"""The disclosure controller: rules, the decision log and the suppression primitives.

:class:`DisclosureRules` (``min_cell``, ``rounding``), one :class:`DisclosureEntry` per decision and the
:class:`DisclosureLog` written as ``disclosure_log.csv``; ``_Controller`` holds the primitives every block
rule uses — ``small``, ``hide`` (set fields to None, mark them in the record's ``suppressed`` and log the
decision), ``complement`` (secondary suppression within one breakdown), ``breakdown``, ``group_stats``,
``effect_rows`` and ``round_counts``. The block rules are in :mod:`evaltool.report.disclosure`; the folder
gate in :mod:`evaltool.report.gate`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool._checks import check_int
from evaltool._result import ResultMixin, frame_records
from evaltool.exceptions import ReportError
from evaltool.results._record import Record

__all__ = ["DisclosureRules", "DisclosureEntry", "DisclosureLog", "suppressed_fields", "LOG_COLUMNS"]

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
