"""The report section of a study config: which reports, languages and formats, disclosure rules, free texts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from evaltool.config._base import Section

__all__ = ["Labels", "DisclosureSection", "ReportTexts", "ReportSection"]


class Labels(Section):
    """A text in Danish and English."""

    da: str
    """The Danish text."""
    en: str
    """The English text."""


class DisclosureSection(Section):
    min_cell: Annotated[int, Field(ge=5, le=100)] = 5  # disclosure rule: never below 5 persons
    """Fewest persons a published count or statistic may rest on; smaller cells are suppressed (never below 5)."""
    rounding: Annotated[int, Field(ge=2, le=100)] | None = None
    """Round published counts to a multiple of this number after suppression (none: no rounding)."""


class ReportTexts(Section):
    """Free-text report sections, each Markdown in Danish and English (rendered with raw HTML disabled)."""

    programme_theory: Labels | None = None
    """Markdown text on the effort's programme theory (how it is meant to work)."""
    implementation: Labels | None = None
    """Markdown text on how the effort was implemented in practice."""
    recommendations: Labels | None = None
    """Markdown text with the evaluator's recommendations."""
    quotes: Labels | None = None
    """Markdown text with quotes from participants or staff."""


class ReportSection(Section):
    templates: list[Literal["midterm", "final"]] = Field(default_factory=list)
    """Reports to write: `midterm` and/or `final`; empty: the template of `study.stage`."""
    languages: list[Literal["da", "en"]] | None = None
    """Languages to write each report in (`da`, `en`); none: `study.language` only."""
    out: Path | None = None
    """Output folder of results, tables and reports (the CLI's `--out` overrides it)."""
    compare_with: Path | None = None
    """The midterm's `results.json`, compared with this run in the final report."""
    disclosure: DisclosureSection = Field(default_factory=DisclosureSection)
    """Statistical disclosure control of every file in the output folder."""
    # report17: output formats; PDFs are printed from the HTML, so "html" is always among them
    formats: list[Literal["html", "pdf"]] = Field(default_factory=lambda: ["html"])
    """Report formats: `html` always, plus `pdf` printed from the HTML."""
    texts: ReportTexts = Field(default_factory=ReportTexts)
    """Free-text sections of the report, written by the evaluator."""

    @field_validator("formats")
    @classmethod
    def _formats_have_html(cls, v: list[str]) -> list[str]:
        if "html" not in v:
            raise ValueError("must include 'html' (PDFs are printed from the HTML report); "
                             f"use [html] or [html, pdf]; got {v}")
        if len(set(v)) != len(v):
            raise ValueError(f"lists a format twice; got {v}")
        return v
