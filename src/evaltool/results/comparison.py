"""The ``comparison_designs`` block of results.json: effects of the main design and of each
comparison design (``comparison_designs:`` in the config), one row per design x outcome.

Counts (``n_treated``, ``n_control``) are person counts of each design's analysed sample and
go through the disclosure gate like every other count (see ``docs/results-schema.md``).

Examples
--------
>>> row = ComparisonDesignRow(design="main", method="nearest", outcome="y", estimand="ATT",
...                           variance="cluster", estimate=1.0, std_error=0.5, ci_low=0.0, ci_high=2.0,
...                           p_value=0.05, n_treated=100, n_control=100, unit="level")
>>> ComparisonDesignsBlock.from_dict(ComparisonDesignsBlock(rows=(row,)).to_dict()).rows[0].design
'main'
"""

from __future__ import annotations

from dataclasses import dataclass

from evaltool.results._record import Record

__all__ = ["ComparisonDesignRow", "ComparisonDesignsBlock"]


@dataclass(frozen=True)
class ComparisonDesignRow(Record):
    """The effect of one design on one outcome (``design`` is ``"main"`` or the comparison's name)."""

    design: str = ""
    method: str = ""
    outcome: str = ""
    estimand: str = ""
    variance: str = ""
    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n_treated: int | None = None
    n_control: int | None = None
    unit: str = "level"


@dataclass(frozen=True)
class ComparisonDesignsBlock(Record):
    """All rows: the main design's first, then each comparison design in config order."""

    rows: tuple[ComparisonDesignRow, ...] = ()
    _nested = {"rows": ComparisonDesignRow}

    def designs(self) -> list[str]:
        """Design names in order of appearance."""
        return list(dict.fromkeys(r.design for r in self.rows))
