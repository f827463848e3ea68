"""The earlier results a report compares with (``report.compare_with``), read once.

Both :mod:`evaltool.study.inputs` (fail before the work) and
:mod:`evaltool.study.outputs` (render the comparison) use this module, so
reading inputs never depends on the output writer.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaltool.config import resolve_path
from evaltool.config.schema import StudyConfig
from evaltool.exceptions import DataError

__all__ = ["read_results", "compare_results"]


def read_results(path: str | Path) -> dict:
    """A ``results.json`` (schema v1) as a dict; a clear :class:`DataError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable results.json ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise DataError(f"{path}: not an evaltool results.json (schema_version 1 expected)")
    return data


def compare_results(cfg: StudyConfig) -> dict | None:
    """The midterm results named by ``report.compare_with`` (None if the config names none)."""
    if cfg.report.compare_with is None:
        return None
    return read_results(resolve_path(cfg, cfg.report.compare_with, "report.compare_with"))
