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
from evaltool.report.frontmatter import mark_items
from evaltool.report.i18n import Translator
from evaltool.report.process_disclosure import control_mapping
from evaltool.report.mapping_tables import mapping_tables
from evaltool.results.process import MappingDocument

__all__ = ["control_mapping_document", "mapping_tables", "render_mapping_report"]


def control_mapping_document(doc: MappingDocument, rules: DisclosureRules | None = None
                             ) -> tuple[MappingDocument, DisclosureLog]:
    """A controlled copy of the mapping document and the log of every suppression."""
    rules = rules or DisclosureRules(min_cell=doc.mapping.min_cell)
    c = _Controller(rules, "")
    return replace(doc, mapping=control_mapping(c, doc.mapping)), DisclosureLog(tuple(c.entries), rules)


def _guide(doc: MappingDocument, _: Translator) -> dict[str, Any]:
    """The reading guide of ``base.html``: what the mapping shows, the table marks, the data sources."""
    # the mapping always reads these three (files or the simulator): persons, the weekly panel, the code map
    return {"title": _("guide.title"), "text": _("map.guide"), "marks": _("guide.marks"),
            "mark_items": mark_items(_, doc.mapping.min_cell), "gap": None,
            "sources_title": _("guide.sources"),
            "sources": [_(f"source.{n}") for n in ("persons", "weekly_status", "code_map")]}


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
                           "cover": [], "headline": None, "guide": _guide(doc, _),
                           "map": mapping_tables(doc.mapping, language),
                           "n_suppressed": NumberFormat(language).count(len(log))}, "mapping")
