"""The tables of the target-group mapping (``evaltool map``'s report and the mapping chapter of an
evaluation report), built from a *controlled* ``mapping`` block. Numbers are formatted here; templates
only render.
"""

from __future__ import annotations

from typing import Any

from evaltool.report.formatting import NumberFormat
from evaltool.report.i18n import Translator
from evaltool.report.tables import Cells, pretty, table

__all__ = ["mapping_tables"]


def _count_table(id_: str, caption: str, rows: tuple, cols: list[str], cells: Cells, _: Translator,
                 share: bool = True, within: str | None = None) -> dict:
    body = []
    for r in rows:
        head = " · ".join(_(f"map.level.{r.keys[k]}") if f"map.level.{r.keys[k]}" in _.messages
                          else pretty(r.keys[k]) for k in cols)
        cs = [cells.cell(r, "n", "count")]
        if share:
            cs.append(cells.cell(r, "share", "share"))
        if within:
            cs.append(cells.cell(r, "share_within", "share"))
        body.append({"head": head, "cells": cs})
    columns = [" · ".join(_(f"map.col.{k}") if f"map.col.{k}" in _.messages else pretty(k) for k in cols),
               _("map.col.n")]
    if share:
        columns.append(_("map.col.share"))
    if within:
        columns.append(_("map.col.share_within", by=_(f"map.col.{within}") if f"map.col.{within}" in _.messages
                         else pretty(within)))
    return table(id_, caption, columns, body, [cells.sup_note()])


def mapping_tables(m: Any, language: str) -> dict[str, Any]:
    """Template variables of the mapping chapters from a *controlled* mapping block."""
    _ = Translator(language)
    fmt = NumberFormat(language)
    cells = Cells(fmt, _, m.min_cell)
    margins = [_count_table(f"tab-map-margin-{col}", _("map.margin.caption", by=_(f"map.col.{col}")
                            if f"map.col.{col}" in _.messages else pretty(col)),
                            tuple(r for r in m.margins if col in r.keys), [col], cells, _) for col in m.by]
    ent = timeline = None
    if m.entitlement:
        keys = list(m.entitlement[0].keys)
        ent = _count_table("tab-map-entitlement", _("map.entitlement.caption"), m.entitlement, keys, cells, _,
                           share=False)
    if m.timeline:
        timeline = _count_table("tab-map-timeline", _("map.timeline.caption"), m.timeline, ["month"], cells, _,
                                share=False)
    starts = _count_table("tab-map-starts", _("map.starts.caption"), m.starts, ["period"], cells, _, share=False)
    crosstab = _count_table("tab-map-crosstab", _("map.crosstab.caption"), m.crosstab, list(m.by), cells, _,
                            within=m.by[0])
    n_text = cells.cell(m, "n_mapped", "count")["text"]
    return {"intro": _("map.intro", week=f"{m.reference_week // 100}-W{m.reference_week % 100:02d}", n=n_text,
                       m=m.min_cell),
            "margins": margins, "entitlement": ent, "timeline": timeline, "starts": starts, "crosstab": crosstab}
