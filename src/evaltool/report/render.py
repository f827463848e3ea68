"""Render a report to one self-contained HTML file.

Templates (``report/templates``) only render: all numbers arrive formatted in
the :class:`~evaltool.report.context.ReportContext`. The environment uses
``StrictUndefined`` (a missing value is an error, never an empty string) and
autoescaping; CSS is inlined from ``report.css`` and figures are inline SVG, so
the file makes no network requests (enforced by a Content-Security-Policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from evaltool.report.disclosure import LOG_COLUMNS, DisclosureRules
from evaltool.exceptions import ReportError
from evaltool.report.context import TEMPLATES, build_context
from evaltool.report.i18n import LANGUAGES
from evaltool.results.schema import ResultsDocument

__all__ = ["RenderedReport", "render_report", "write_report", "available_templates", "available_languages"]


@dataclass(frozen=True)
class RenderedReport:
    """A rendered report: the HTML text and the disclosure log of the numbers it shows."""

    html: str
    disclosure_log: pd.DataFrame
    template: str
    language: str

    def __repr__(self) -> str:
        return (f"RenderedReport(template={self.template!r}, language={self.language!r}, "
                f"{len(self.html):,} characters, {len(self.disclosure_log)} disclosure decisions)")


def available_templates() -> tuple[str, ...]:
    """Names accepted by ``render_report(template=...)``."""
    return TEMPLATES


def available_languages() -> tuple[str, ...]:
    """Languages accepted by ``render_report(language=...)``."""
    return LANGUAGES


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("evaltool.report", "templates"),
                             undefined=jinja2.StrictUndefined, autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    css = resources.files("evaltool.report").joinpath("templates", "report.css").read_text(encoding="utf-8")
    env.globals["css"] = Markup(css)
    return env


def render_context(ctx_vars: dict[str, Any], template: str) -> str:
    """Render template ``template`` with already prepared variables (used by tests)."""
    try:
        return _environment().get_template(f"{template}.html").render(**ctx_vars)
    except jinja2.UndefinedError as exc:
        raise ReportError(f"report template {template!r}: {exc.message}") from None


def render_report(results: ResultsDocument | dict[str, Any], template: str = "final", language: str = "da",
                  compare_with: ResultsDocument | dict[str, Any] | None = None,
                  rules: DisclosureRules | None = None) -> RenderedReport:
    """Render a midterm or final evaluation report from typed results.

    Parameters
    ----------
    results : ResultsDocument or dict
        The typed ``results.json`` (schema v1; a parsed dict is read into it); nothing is recomputed.
    template : {"midterm", "final"}, default "final"
    language : {"da", "en"}, default "da"
    compare_with : ResultsDocument or dict, optional
        The midterm results; the final report shows its estimates beside the final ones.
    rules : DisclosureRules, optional
        Disclosure rules; default ``min_cell`` from ``results.config.min_cell``.

    Returns
    -------
    RenderedReport
        The HTML (``.html``), its template and language, and the disclosure log.

    Raises
    ------
    ReportError
        Unknown template or language (the valid ones are listed), an incomplete
        results dict, or a value the template needs but the context lacks.

    Examples
    --------
    >>> import evaltool
    >>> cfg = evaltool.StudyConfig.model_validate({
    ...     "study": {"title": "Outreach", "language": "en"},
    ...     "data": {"simulate": {"n": 400, "seed": 1, "panel": False}},
    ...     "design": {"covariates": ["age", "prior_support_share"]},
    ...     "outcomes": [{"name": "meetings", "label": {"da": "Møder", "en": "Meetings held"},
    ...                   "kind": "column", "column": "meetings_held", "type": "count"}],
    ...     "sensitivity": {"rosenbaum": False, "evalue": False, "cluster": "none"},
    ... })
    >>> results = evaltool.run_study(cfg).document()
    >>> rendered = render_report(results, "final", "en")
    >>> rendered.template, rendered.language, "Meetings held" in rendered.html
    ('final', 'en', True)
    """
    ctx = build_context(results, template, language, compare_with, rules)
    html = render_context(ctx.template_vars(), template)
    log = ctx.disclosure_log.to_frame()
    return RenderedReport(html=html, disclosure_log=log[LOG_COLUMNS], template=template, language=language)


def write_report(rendered: RenderedReport, path: str | Path) -> Path:
    """Write the HTML to ``path`` (UTF-8, ``\\n`` line ends) and return the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(rendered.html)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write report ({exc.strerror or exc})") from None
    return path
