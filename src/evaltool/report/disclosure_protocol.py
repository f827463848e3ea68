"""How a results record declares its person counts to disclosure control (the registry).

Every record type of ``results.json`` that holds numbers about persons registers one
:class:`CountFields` here (see ``docs/disclosure.md``):

* ``counts`` — fields that are numbers of persons (hidden when 1 .. min_cell - 1);
* ``stats`` — ``{statistic field: n field}``: a statistic resting on that many persons
  (hidden with its n when n < min_cell);
* ``shares`` — ``{share field: n field}``: a share of persons whose ``share * n`` is an implied
  count (hidden when the implied count, or its complement ``(1 - share) * n``, is 1 .. min_cell - 1);
* ``margin`` — fields whose equal values group rows of one list into a breakdown that adds up to a
  published total: in each group further cells are hidden (next-smallest first) until at least two
  are hidden and together hold at least ``min_cell`` persons, so none is recoverable by subtraction;
* ``not_counts`` — numeric fields that are *not* numbers of persons (areas, periods, leads, statistics of
  areas), said once so that a test can require every numeric field of a record to be declared one way or
  the other (``tests/test_disclosure_registry.py`` does so for the area records).

:func:`generic_pass` applies these declarations to every record of a document (after the
block-specific rules of :mod:`evaltool.report.disclosure`). A record type nobody registered is
still controlled: its integer fields named ``n``, ``n_*``, ``*_n``, ``count``, ``events`` or
``at_risk`` are treated as person counts (rule ``"count"``), and this fallback is logged as such —
except for the record modules in ``STRICT`` (the area records, ``evaltool.results.areas``): an
unregistered record of those is an error, never a guess.

Examples
--------
>>> from dataclasses import dataclass
>>> from evaltool.results._record import Record
>>> @dataclass(frozen=True)
... class AreaRow(Record):
...     area: str
...     residents: int | None = None
...     rate: float | None = None
>>> register(AreaRow, counts=("residents",), shares={"rate": "residents"})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from evaltool.results._record import Record
from evaltool.results.comparison import ComparisonDesignRow
from evaltool.results.effects import (ByWeekRow, EffectRow, KmPoint, SubgroupRow, TrajectoryRow)
from evaltool.results.schema import (DataReportBlock, DesignBlock, DroppedRows, SampleSizes, TargetGroupBlock,
                                     TargetRow)

__all__ = ["CountFields", "REGISTRY", "STRICT", "register", "fields_of", "generic_pass"]

_STATS = ("estimate", "std_error", "ci_low", "ci_high", "p_value", "p_value_adj", "mean_treated", "mean_control",
          "relative_change")


@dataclass(frozen=True)
class CountFields:
    """The disclosure declaration of one record type (see the module docstring)."""

    counts: tuple[str, ...] = ()
    stats: dict[str, str] = field(default_factory=dict)
    shares: dict[str, str] = field(default_factory=dict)
    margin: tuple[str, ...] | None = None
    not_counts: tuple[str, ...] = ()


REGISTRY: dict[type, CountFields] = {}
STRICT = ("evaltool.results.areas",)  # record modules whose records must be registered (no name-based fallback)


def register(cls: type, *, counts: tuple[str, ...] = (), stats: dict[str, str] | None = None,
             shares: dict[str, str] | None = None, margin: tuple[str, ...] | None = None,
             not_counts: tuple[str, ...] = ()) -> None:
    """Declare the person counts of record type ``cls`` (call once, beside the record's definition or here)."""
    names = {f.name for f in fields(cls)}
    declared = set(counts) | set(stats or {}) | set((stats or {}).values()) | set(shares or {}) \
        | set((shares or {}).values()) | set(margin or ()) | set(not_counts)
    unknown = sorted(declared - names)
    if unknown:
        raise ValueError(f"register({cls.__name__}): no field(s) {unknown}; fields are {sorted(names)}")
    both = sorted(set(not_counts) & (set(counts) | set(stats or {}) | set(shares or {})))
    if both:
        raise ValueError(f"register({cls.__name__}): {both} declared as person counts and as not counts")
    REGISTRY[cls] = CountFields(tuple(counts), dict(stats or {}), dict(shares or {}), margin, tuple(not_counts))


_FALLBACK = re.compile(r"^(n|n_\w+|\w+_n|count|events|at_risk)$")


def fields_of(cls: type) -> tuple[CountFields, bool]:
    """The declaration of ``cls`` and whether it was registered (else the name-based fallback; an error for a
    record of a ``STRICT`` module)."""
    if cls in REGISTRY:
        return REGISTRY[cls], True
    if cls.__module__ in STRICT:
        raise TypeError(f"{cls.__module__}.{cls.__name__} declares no person counts: register it with "
                        "evaltool.report.disclosure_protocol.register (see docs/disclosure.md)")
    names = tuple(f.name for f in fields(cls) if _FALLBACK.match(f.name))
    return CountFields(counts=names), False


# -- today's blocks ---------------------------------------------------------------------------------
register(TargetRow, counts=("n_treated", "n_pool"), shares={"share_treated": "n_treated", "share_pool": "n_pool"},
         margin=("variable",))
register(TargetGroupBlock, counts=("n_treated", "n_pool"))
register(DroppedRows, counts=("n",))
register(DataReportBlock, counts=("n_read", "n_used", "n_treated", "n_control", "persons_without_panel",
                                  "pseudo_starts"))
register(SampleSizes, counts=("treated_all", "treated_matched", "treated_discarded", "treated_unmatched",
                              "control_all", "control_matched", "control_discarded", "control_unmatched"))
for _cls in (EffectRow, SubgroupRow):  # ProcessEffectRow: report/process_disclosure.py
    register(_cls, counts=("n_treated", "n_control"),
             stats={**{s: "n_treated" for s in _STATS}, "mean_control": "n_control"})
register(TrajectoryRow, counts=("n",), stats={"share": "n"}, shares={"share": "n"})
register(KmPoint, counts=("at_risk", "events", "n_at_risk"), stats={"survival": "at_risk", "std_error": "at_risk"})
register(ComparisonDesignRow, counts=("n_treated", "n_control"),  # differencing across designs: report.gate
         stats={s: "n_treated" for s in ("estimate", "std_error", "ci_low", "ci_high", "p_value")})
register(DesignBlock)  # its counts live in SampleSizes
register(ByWeekRow)  # its shares rest on the block's n (handled in evaltool.report.gate)


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    """The field names of record type ``cls`` (``dataclasses.fields`` once per type, not once per record)."""
    return tuple(f.name for f in fields(cls))


class _Pass:
    def __init__(self, controller: Any) -> None:
        self.c = controller

    def small(self, v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < self.c.m

    def record(self, rec: Record, where: str) -> Record:
        rec = self.children(rec, where)
        spec, known = fields_of(type(rec))
        why = "" if known else " (unregistered record: name-based fallback)"
        for n_field in spec.counts:
            v = getattr(rec, n_field)
            if self.small(v):
                rec = self.c.hide(rec, [n_field], "count", where, type(rec).__name__, f"count below {self.c.m}{why}",
                                  column=n_field)
        for stat, n_field in spec.stats.items():
            n = getattr(rec, n_field)
            if getattr(rec, stat) is not None and (n == 0 or self.small(n) or n is None and n_field in rec.suppressed):
                rec = self.c.hide(rec, [stat], "n", where, type(rec).__name__,
                                  f"statistic based on fewer than {self.c.m} persons", column=stat)
        for share, n_field in spec.shares.items():
            s, n = getattr(rec, share), getattr(rec, n_field)
            if isinstance(s, float) and isinstance(n, (int, float)) and n and (
                    self.small(round(s * n)) or self.small(round((1 - s) * n))):
                rec = self.c.hide(rec, [share], "count", where, type(rec).__name__,
                                  f"share x n implies fewer than {self.c.m} persons", column=share)
        return rec

    def children(self, rec: Record, where: str) -> Record:
        values = {}
        for name in _field_names(type(rec)):
            v = getattr(rec, name)
            if isinstance(v, Record):
                values[name] = self.record(v, f"{where}.{name}")
            elif isinstance(v, tuple) and v and all(isinstance(x, Record) for x in v):
                values[name] = self.rows(list(v), f"{where}.{name}")
        return replace(rec, **values) if values else rec

    def rows(self, rows: list, where: str) -> tuple:
        rows = [self.record(r, where) for r in rows]
        spec, _known = fields_of(type(rows[0]))
        if spec.margin is not None:
            groups: dict[tuple, list[int]] = {}
            for i, r in enumerate(rows):
                groups.setdefault(tuple(getattr(r, k) for k in spec.margin), []).append(i)
            for idx in groups.values():
                for col in spec.counts:
                    hidden = {j for j, i in enumerate(idx) if col in rows[i].suppressed}
                    vals = [getattr(rows[i], col) or 0 for i in idx]
                    for j in sorted(self.c.complement(vals, hidden) - hidden):
                        share = [s for s, n in spec.shares.items() if n == col]
                        rows[idx[j]] = self.c.hide(rows[idx[j]], [col, *share], "secondary", where,
                                                   type(rows[idx[j]]).__name__,
                                                   "complement of a suppressed cell in the same breakdown", column=col)
        return tuple(rows)


def generic_pass(document: Record, controller: Any) -> Record:
    """Apply every registered (or fallback) declaration to all records below ``document``."""
    return _Pass(controller).children(document, "results")
