"""The earlier results a report compares with (``report.compare_with``), read once.

Both :mod:`evaltool.study.inputs` (fail before the work) and
:mod:`evaltool.study.outputs` (render the comparison) use this module, so
reading inputs never depends on the output writer.
"""

from __future__ import annotations

from pathlib import Path

from evaltool.config import resolve_path
from evaltool.config.schema import StudyConfig
from evaltool.results.schema import ResultsDocument

__all__ = ["read_results", "compare_results"]


def read_results(path: str | Path) -> ResultsDocument:
    """A ``results.json`` (schema v1) as the typed document; a clear :class:`DataError` otherwise."""
    return ResultsDocument.read(path)


def compare_results(cfg: StudyConfig) -> ResultsDocument | None:
    """The midterm results named by ``report.compare_with`` (None if the config names none)."""
    if cfg.report.compare_with is None:
        return None
    return read_results(resolve_path(cfg, cfg.report.compare_with, "report.compare_with"))
