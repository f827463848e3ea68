"""Shared state of one report build: controlled results, language tools, template flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaltool.report.findings import Findings
from evaltool.report.formatting import NumberFormat
from evaltool.report.i18n import Translator
from evaltool.report.labels import Labels
from evaltool.report.tables import Cells

__all__ = ["ReportEnv"]


@dataclass(frozen=True)
class ReportEnv:
    """Everything a section builder needs (read-only)."""

    results: dict[str, Any]
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
        adjust = str((self.results.get("config") or {}).get("adjust") or "none")
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
        return (self.results.get("study") or {}).get("followup_weeks")

    def visible_effects(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Effects to report (in outcome order) and, at midterm, those withheld as not yet observable."""
        order = {o["name"]: i for i, o in enumerate(self.results.get("outcomes") or [])}
        effects = sorted(self.results.get("effects") or [], key=lambda e: order.get(e["outcome"], len(order)))
        if self.final or self.followup is None:
            return effects, []
        shown, withheld = [], []
        for e in effects:
            horizon = (self.labels.outcomes.get(e["outcome"]) or {}).get("horizon")
            (withheld if horizon is not None and horizon > self.followup else shown).append(e)
        return shown, withheld
