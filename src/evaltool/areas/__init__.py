"""Area-level analyses: before/after, 2x2 DiD, TWFE with small-cluster inference, event study,
Callaway-Sant'Anna, synthetic control and synthetic DiD.

The entry point is :func:`run_area_analysis` (panel + :class:`AreaSpec` + seed -> :class:`AreaResult`).
"""

from evaltool.areas.analysis import run_area_analysis
from evaltool.areas.figures import plot_event_study
from evaltool.areas.panel import AreaPanel, validate_area_panel
from evaltool.areas.result import AreaResult, EstimateRow
from evaltool.areas.spec import METHODS, AreaSpec

__all__ = ["AreaPanel", "AreaResult", "AreaSpec", "EstimateRow", "METHODS", "plot_event_study",
           "run_area_analysis", "validate_area_panel"]
