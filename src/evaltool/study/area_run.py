"""The area stage of a study: read or build the area panel, run the area analysis, and the
area-only study (just ``study`` + ``area_panel``: no person data, design or outcomes).

``area_stage`` is what :func:`evaltool.study.run.run_study` calls for ``area_panel:``; an area-only
config gets an :class:`AreaStudyResult`, whose results.json holds the ``area`` block beside empty
person blocks and whose reports hold the area chapter.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import evaltool
from evaltool.config import dump_config
from evaltool.config.schema import StudyConfig
from evaltool.results.areas import AreaBlock
from evaltool.study.area_inputs import check_area_panel, load_area_panel
from evaltool.results.schema import ConfigBlock, ResultsDocument
from evaltool.study import blocks

__all__ = ["AreaStage", "AreaStudyResult", "area_stage", "check_area_panel", "load_area_panel",
           "run_area_study", "write_area_outputs"]


@dataclass(frozen=True)
class AreaStage:
    """The area analysis of one run: the typed block, the simulator's truth (if simulated), input hashes."""

    block: AreaBlock
    result: Any  # evaltool.areas.AreaResult
    truth: dict | None
    inputs: dict


def area_stage(cfg: StudyConfig, data: Any = None) -> AreaStage:
    """Run the area analysis of ``area_panel:`` (seed ``study.seed``)."""
    from evaltool.areas import run_area_analysis
    from evaltool.areas.trends import area_trends

    df, truth, inputs = load_area_panel(cfg, data)
    spec = cfg.area_panel.spec()
    result = run_area_analysis(df, spec, seed=cfg.study.seed)
    return AreaStage(block=AreaBlock.from_result(result, area_trends(df, spec, result)), result=result,
                     truth=truth, inputs=inputs)


@dataclass(frozen=True)
class AreaStudyResult:
    """The result of an area-only study (``study`` + ``area_panel``)."""

    config: Any
    area: AreaStage
    warnings: tuple[str, ...] = ()

    data_report = None  # no person data
    area_only = True

    def write(self, out: str | Path, *, force: bool = False) -> Path:
        """Write the output folder (:func:`write_area_outputs`)."""
        return write_area_outputs(self, out, force=force)

    def __repr__(self) -> str:
        b = self.area.block
        return f"AreaStudyResult({b.n_units} areas, {b.n_treated_units} treated, {len(b.estimates)} estimates)"

    def document(self) -> ResultsDocument:
        cfg = self.config
        sim = {"area_truth": self.area.truth} if self.area.truth is not None else None
        from evaltool._result import jsonable

        return ResultsDocument(study=blocks.study_info(cfg), provenance=blocks.provenance(cfg, self.area.inputs, "area"),
                               config=ConfigBlock(min_cell=cfg.report.disclosure.min_cell),
                               simulation=jsonable(sim), warnings=self.warnings, area=self.area.block)

    def to_json(self) -> str:
        return self.document().to_json()

    def headline(self) -> str:
        r = self.area.block.headline()
        if r is None:
            return "area analysis: no headline estimate"
        return (f"area {self.area.block.outcome}: {r.estimator} {r.estimate:+.4f} "
                f"(95% CI {r.ci_low:.4f} to {r.ci_high:.4f}, {r.se_type})")


def run_area_study(cfg: StudyConfig, step=lambda _s: None) -> AreaStudyResult:
    """Run an area-only study; nothing is written."""
    step("area analysis")
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always", evaltool.EvaltoolWarning)
        stage = area_stage(cfg)
    caught = []
    for w in log:
        if issubclass(w.category, evaltool.EvaltoolWarning):
            caught.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return AreaStudyResult(config=cfg, area=stage, warnings=tuple(dict.fromkeys(caught)))


def write_area_outputs(result: AreaStudyResult, out: str | Path, *, force: bool = False) -> Path:
    """Write an area-only study's output folder (results.json, tables/, reports, disclosure log, config)."""
    import yaml

    from evaltool.study.outputs import atomic_folder, input_files, render_reports, results_json, write_csv

    doc = result.document()
    reports = render_reports(result.config, doc)

    def fill(tmp: Path) -> None:
        (tmp / "results.json").write_text(results_json(doc, result.config.report.disclosure.min_cell), encoding="utf-8")
        (tmp / "tables").mkdir()
        write_csv(result.area.result.to_frame(), tmp / "tables" / "area_estimates.csv")
        logs = []
        for name, rendered in reports:
            (tmp / name).write_text(rendered.html, encoding="utf-8")
            if len(rendered.disclosure_log):
                logs.append(rendered.disclosure_log.assign(report=name))
        log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame(
            columns=["table", "row", "column", "reason", "rule", "report"])
        write_csv(log, tmp / "disclosure_log.csv")
        (tmp / "config.resolved.yaml").write_text(
            yaml.safe_dump(dump_config(result.config), sort_keys=False, allow_unicode=True), encoding="utf-8")

    return atomic_folder(out, fill, force=force, inputs=input_files(result.config))
