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
from evaltool.config import config_source, dump_config, resolve_path
from evaltool.config.schema import StudyConfig
from evaltool.exceptions import DataError
from evaltool.results.areas import AreaBlock
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


def _columns(cfg: StudyConfig) -> list[str]:
    a = cfg.area_panel
    return list(dict.fromkeys(c for c in (a.unit, a.time, a.outcome, a.first_treated, a.weights, a.population)
                              if c))


def _where(cfg: StudyConfig, key: tuple) -> str:
    source, _base, lines = config_source(cfg)
    line = lines.get(key) or lines.get(("area_panel",))
    return f"{source}:{line}" if line else source


def load_area_panel(cfg: StudyConfig, data: Any = None) -> tuple[pd.DataFrame, dict | None, dict]:
    """The area x period panel of ``area_panel:`` (file, simulation, or residence x weekly panel).

    Returns ``(panel, truth or None, {file name: content hash})``; ``data`` is the study's
    :class:`~evaltool.study.inputs.StudyData` (needed by ``residence``).
    """
    from evaltool.data.fingerprint import content_hash
    from evaltool.data.readers import read_table

    a = cfg.area_panel
    if a.simulate is not None:
        from evaltool.simulate.areas import simulate_area_panel

        s = a.simulate
        df, truth = simulate_area_panel(s.n_areas, range(s.years[0], s.years[1] + 1), s.scenario, s.effect, s.seed,
                                        n_treated=s.n_treated)
        return df, truth, {}
    if a.path is not None:
        path = resolve_path(cfg, a.path, "area_panel.path")
        df = read_table(path)
        missing = [c for c in _columns(cfg) if c not in df.columns]
        if missing:
            raise DataError(f"{_where(cfg, ('area_panel', 'path'))}: area_panel.path: {path.name} has no column "
                            f"{missing[0]!r} (columns: {', '.join(map(str, df.columns))}); fix the file or the "
                            "column names in `area_panel`")
        return df, None, {path.name: content_hash(df)}
    from evaltool.registers.area_shares import area_shares

    r = a.residence
    rpath = resolve_path(cfg, r.path, "area_panel.residence.path")
    res = read_table(rpath)
    missing = [c for c in (r.id, r.area, r.period) if c not in res.columns]
    if missing:
        raise DataError(f"{_where(cfg, ('area_panel', 'residence', 'path'))}: area_panel.residence.path: "
                        f"{rpath.name} has no column {missing[0]!r}; fix the file or `residence.id/area/period`")
    if data is None:
        return res, None, {rpath.name: content_hash(res)}  # validate: the columns are checked, nothing derived
    df = area_shares(res, data.panel, data.code_map, r.categories, id_col=r.id, area_col=r.area, period=r.period,
                     outcome=a.outcome)
    df["first_treated"] = df[r.area].astype(str).map(r.starts).fillna(0).astype("int64")
    return df, None, {rpath.name: content_hash(res)}


def check_area_panel(cfg: StudyConfig) -> list[str]:
    """``evaltool validate``: the area panel's source and columns (nothing estimated)."""
    a = cfg.area_panel
    if a.simulate is not None:
        s = a.simulate
        return [f"area_panel: simulated ({s.scenario}, {s.n_areas} areas, {s.years[0]}-{s.years[1]}, seed={s.seed})"]
    df, _truth, inputs = load_area_panel(cfg)
    name = next(iter(inputs))
    return [f"{name}: {len(df)} rows, area panel columns ok"]


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

    from evaltool.study.outputs import atomic_folder, input_files, render_reports, write_csv

    doc = result.document()
    reports = render_reports(result.config, doc)

    def fill(tmp: Path) -> None:
        (tmp / "results.json").write_text(doc.to_json(), encoding="utf-8")
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
