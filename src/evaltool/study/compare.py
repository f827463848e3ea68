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

__all__ = ["read_results", "compare_results", "recorded_midterm"]


def read_results(path: str | Path) -> ResultsDocument:
    """A ``results.json`` (schema v1) as the typed document; a clear :class:`DataError` otherwise."""
    return ResultsDocument.read(path)


def compare_results(cfg: StudyConfig) -> ResultsDocument | None:
    """The midterm results named by ``report.compare_with`` (None if the config names none)."""
    if cfg.report.compare_with is None:
        return None
    return read_results(resolve_path(cfg, cfg.report.compare_with, "report.compare_with"))


def recorded_midterm(results_json: str | Path) -> Path | None:
    """The midterm ``results.json`` the run that wrote ``results_json`` compared with (None if it had none).

    A run folder records it as ``report.compare_with`` in its ``config.resolved.yaml`` (as written in the
    config: absolute, or relative to the config's folder, tried here from the run folder, its parent and the
    working directory); the demo (``evaltool demo``) writes the two evaluations side by side, ``final/`` and
    ``midterm/``. A recorded midterm that is not found is an error: re-render with ``--compare-with``.
    """
    import yaml

    from evaltool.exceptions import ConfigError

    folder = Path(results_json).resolve().parent
    resolved = folder / "config.resolved.yaml"
    if resolved.is_file():
        cfg = yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}
        recorded = ((cfg.get("report") or {}).get("compare_with")) if isinstance(cfg, dict) else None
        if recorded:
            path = Path(recorded)
            tries = [path] if path.is_absolute() else [folder / path, folder.parent / path, Path.cwd() / path]
            found = next((p for p in tries if p.is_file()), None)
            if found is None:
                raise ConfigError(f"{resolved}: the run compared with {recorded} (report.compare_with), which is not "
                                  "found from here; re-render with --compare-with PATH to its results.json")
            return found
    sibling = folder.parent / "midterm" / "results.json"
    if folder.name == "final" and (folder.parent / ".evaltool-output").exists() and sibling.is_file():
        return sibling  # the demo's two evaluations
    return None
