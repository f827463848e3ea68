"""Optional rounding of published counts (``DisclosureRules.rounding``), after suppression.

Counts are rounded to the nearest multiple of ``rounding`` (zeros stay 0); target-group shares are
recomputed from the rounded counts; each rounded table is logged once (rule ``"rounding"``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evaltool.report.disclosure_control import _Controller
from evaltool.results._record import SUPPRESSED_KEY
from evaltool.results.schema import ResultsDocument

__all__ = ["round_document"]

_COUNTS = ("n_treated", "n_control", "n_pool", "n", "at_risk", "events", "n_read", "n_used",
           "persons_without_panel", "pseudo_starts")


def round_document(c: _Controller, out: ResultsDocument) -> ResultsDocument:
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
