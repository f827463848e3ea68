"""The mapping report (``evaltool map``): disclosure control of the ``mapping`` block and its HTML.

The same machinery as the evaluation reports: the disclosure controller of
:mod:`evaltool.report.disclosure` (primary and secondary suppression in
:func:`evaltool.report.process_disclosure.control_mapping`), the message catalogues (da/en),
locale number formats, the table macro and ``base.html``. Templates only render.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evaltool.report.disclosure import DisclosureLog, DisclosureRules, _Controller
from evaltool.report.formatting import NumberFormat
from evaltool.report.i18n import Translator
from evaltool.report.process_disclosure import control_mapping
from evaltool.report.tables import Cells, pretty, table
from evaltool.results.process import MappingDocument

__all__ = ["control_mapping_document", "mapping_tables", "render_mapping_report"]


def control_mapping_document(doc: MappingDocument, rules: DisclosureRules | None = None
                             ) -> tuple[MappingDocument, DisclosureLog]:
    """A controlled copy of the mapping document and the log of every suppression."""
    rules = rules or DisclosureRules(min_cell=doc.mapping.min_cell)
    c = _Controller(rules, "")
    return replace(doc, mapping=control_mapping(c, doc.mapping)), DisclosureLog(tuple(c.entries), rules)


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


def render_mapping_report(doc: MappingDocument, language: str, log: DisclosureLog) -> str:
    """The HTML of the mapping report for a *controlled* document."""
    from evaltool.report.render import render_context

    _ = Translator(language)
    title = _.label(doc.title, "") or _("map.title")
    chapters = [("map-overview", _("map.chapter.overview")), ("map-entitlement", _("map.chapter.entitlement")),
                ("map-starts", _("map.chapter.starts")), ("map-crosstab", _("map.chapter.crosstab"))]
    toc = [{"id": cid, "number": str(i), "title": t} for i, (cid, t) in enumerate(chapters, start=1)]
    return render_context({"template": "mapping", "language": language, "t": dict(_.messages), "title": title,
                           "subtitle": None, "stage": _("map.stage"), "toc": toc, "chapters": toc,
                           "cover": None, "headline": None, "guide": None,
                           "map": mapping_tables(doc.mapping, language),
                           "n_suppressed": NumberFormat(language).count(len(log))}, "mapping")
