"""Shared state of one report build: controlled results, language tools, template flags."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaltool.report.findings import Findings
from evaltool.report.formatting import NumberFormat
from evaltool.report.i18n import Translator
from evaltool.report.labels import Labels
from evaltool.report.tables import Cells
from evaltool.results.schema import EffectRow, ResultsDocument

__all__ = ["ReportEnv"]


@dataclass(frozen=True)
class ReportEnv:
    """Everything a section builder needs (read-only)."""

    results: ResultsDocument
    template: str
    language: str
    min_cell: int
    _: Translator = field(init=False)
    fmt: NumberFormat = field(init=False)
    cells: Cells = field(init=False)
    labels: Labels = field(init=False)
    findings: Findings = field(init=False)

    def __post_init__(self) -> None:
        tr = Translator(self.language)
        fmt = NumberFormat(self.language)
        labels = Labels(self.results, tr)
        adjust = str(self.results.config.adjust or "none")
        for name, value in (("_", tr), ("fmt", fmt), ("cells", Cells(fmt, tr, self.min_cell)),
                            ("labels", labels), ("findings", Findings(fmt, tr, labels, adjust, self.min_cell))):
            object.__setattr__(self, name, value)

    @property
    def final(self) -> bool:
        return self.template == "final"

    def num(self, value: float, decimals: int = 0) -> str:
        """Tick-label formatter for figures."""
        return self.fmt.number(value, decimals)

    @property
    def followup(self) -> int | None:
        return self.results.study.followup_weeks

    def visible_effects(self) -> tuple[list[EffectRow], list[str]]:
        """Effects to report (in outcome order) and, at midterm, outcomes withheld as not yet observable.

        An outcome is withheld when it looks beyond ``study.followup_weeks``: whether the
        pipeline skipped it (no effect row) or an effect row exists anyway.
        """
        outcomes = self.results.outcomes
        order = {o.name: i for i, o in enumerate(outcomes)}
        effects = sorted(self.results.effects, key=lambda e: order.get(e.outcome, len(order)))
        if self.final or self.followup is None:
            return effects, []

        def beyond(name: str) -> bool:
            o = self.results.outcome(name)
            return o is not None and o.horizon is not None and o.horizon > self.followup

        shown = [e for e in effects if not beyond(e.outcome)]
        withheld = [o.name for o in outcomes if o.kind != "time_to" and beyond(o.name)]
        return shown, withheld
