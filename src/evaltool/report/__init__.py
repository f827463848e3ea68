"""Midterm and final evaluation reports (self-contained HTML, Danish and English).

Usage (on an output folder; not run as a doctest)::

    from evaltool.report import render_report, write_report
    from evaltool.results.schema import ResultsDocument
    results = ResultsDocument.read("out/results.json")
    rendered = render_report(results, template="final", language="da")
    write_report(rendered, "report.html")

See ``docs/reports.md`` for sections, languages and disclosure rules.
"""

from evaltool.report.disclosure import DisclosureLog, DisclosureRules, apply_disclosure
from evaltool.report.context import ReportContext, build_context
from evaltool.report.render import (
    RenderedReport,
    available_languages,
    available_templates,
    render_report,
    write_report,
)

__all__ = ["render_report", "write_report", "RenderedReport", "available_templates", "available_languages",
           "ReportContext", "build_context", "DisclosureRules", "DisclosureLog", "apply_disclosure"]
