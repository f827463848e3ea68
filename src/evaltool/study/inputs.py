"""A study's inputs: read (or simulate), validate and prepare persons and the weekly panel.

``load_study_data`` is what ``evaltool run`` reads; ``validate_study`` what ``evaltool
validate`` checks without running. Persons are put in the canonical order the config
asks for (``data.row_order``), comparison persons may get pseudo-starts
(``data.pseudo_start``), and ``add_history_covariates`` derives ``data.history`` from the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool.config import resolve_path
from evaltool.config.schema import StudyConfig
from evaltool.data import (DataReport, apply_sample, content_hash, file_sha256, peek_columns, read_table,
                           term_column_roles, validate_persons)
from evaltool.exceptions import DataError, EvaltoolError
from evaltool.study.compare import compare_results

__all__ = ["StudyData", "ROW_ORDER", "load_study_data", "validate_study", "add_history_covariates",
           "bundled_resource"]


ROW_ORDER = {
    "id": ("persons sorted by id before matching (canonical order; MatchIt ties depend on data order); "
           "input hashes are order-independent content hashes"),
    "file": ("persons kept in file order (data.row_order: file), as MatchIt would; "
             "results depend on input row order when propensity scores tie"),
}


@dataclass(frozen=True)
class StudyData:
    """Validated inputs of a study, in canonical order (index = person id)."""

    persons: pd.DataFrame
    panel: Any  # DataFrame, parquet path, or None
    code_map: Any
    areas: pd.DataFrame | None
    report: DataReport
    inputs: dict[str, str]
    truth: dict | None
    social_panel: Any = None  # the simulator's weekly social register (data.simulate.social_register)


def bundled_resource(name: str) -> Path:
    return Path(str(resources.files("evaltool.resources").joinpath(name)))


def _code_map_path(cfg: StudyConfig) -> Path:
    if cfg.data.code_map is not None:
        return resolve_path(cfg, cfg.data.code_map, "data.code_map")
    return bundled_resource("codes_example.yaml")


def _history_names(cfg: StudyConfig) -> set[str]:
    return {h.column for h in cfg.data.history}


def _file_covariates(cfg: StudyConfig) -> list[str]:
    """Covariate terms read from the persons file (terms on history covariates are derived later)."""
    hist = _history_names(cfg)
    out = []
    for t in cfg.design.covariates:
        num, lo = term_column_roles(t)
        if not set(num + lo) & hist:
            out.append(t)
    return out


def _needs_panel(cfg: StudyConfig) -> bool:
    return (any(o.kind != "column" for o in cfg.outcomes) or bool(cfg.data.history) or cfg.data.pseudo_start
            or any(getattr(cfg, k) is not None for k in ("mapping", "journeys", "case_duration")))


def _needed_columns(cfg: StudyConfig) -> tuple[list[str], list[str]]:
    other = [sg.column for sg in cfg.subgroups] + list(cfg.process)
    other += [o.column for o in cfg.outcomes if o.kind == "column" and o.column]
    other += [r.column for r in cfg.data.sample]
    if cfg.journeys is not None:  # the process stage's person columns (issue 16)
        other += list(cfg.journeys.subgroups)
    if cfg.mapping is not None:
        other += [c for c in cfg.mapping.by if c != "benefit"]  # `benefit` is read from the weekly panel
    for t in [*(cfg.design.mahvars or ()), *(cfg.effects.covariates or ())]:
        num, lo = term_column_roles(t)
        other += num + lo
    return list(cfg.design.exact), list(dict.fromkeys(other))


def _numeric_columns(cfg: StudyConfig) -> list[str]:
    """Columns used as numbers: process measures and outcome columns."""
    cols = list(cfg.process) + [o.column for o in cfg.outcomes if o.kind == "column" and o.column]
    return list(dict.fromkeys(cols))


def _weekly_status_path(cfg: StudyConfig) -> Path:
    """The weekly status file, checked to have the id, week and code columns."""
    d = cfg.data
    ppath = resolve_path(cfg, d.weekly_status, "data.weekly_status")
    cols = peek_columns(ppath)
    for col in (d.id, "week", "code"):
        if col not in cols:
            raise DataError(f"{ppath.name}: weekly status column {col!r} not found; "
                            f"expected columns {d.id}, week, code")
    return ppath


def load_study_data(cfg: StudyConfig) -> StudyData:
    """Read (or simulate) and validate the persons table and weekly panel."""
    d = cfg.data
    inputs: dict[str, str] = {}
    truth = None
    areas = None
    needs_panel = _needs_panel(cfg)
    if d.simulate is not None:
        from evaltool.simulate import simulate_study

        sim = simulate_study(n=d.simulate.n, seed=d.simulate.seed,
                             treated_share=d.simulate.treated_share, panel=d.simulate.panel)
        raw, panel, areas, truth = sim.persons, sim.weekly_status, sim.areas, sim.truth
        source = f"simulated data (n={d.simulate.n}, seed={d.simulate.seed})"
        inputs["simulate"] = f"n={d.simulate.n};seed={d.simulate.seed};treated_share={d.simulate.treated_share}"
    else:
        path = resolve_path(cfg, d.persons, "data.persons")
        raw = read_table(path)
        source = path.name
        # row order matters to the result only when the file order is kept
        inputs[path.name] = content_hash(raw) if d.row_order == "id" else file_sha256(path)
        panel = None
        if d.weekly_status is not None:
            ppath = _weekly_status_path(cfg)
            panel = ppath if ppath.suffix.lower() in (".parquet", ".pq") else read_table(ppath)
            if isinstance(panel, pd.DataFrame):
                inputs[ppath.name] = content_hash(panel)
                panel.attrs["source"] = ppath.name  # register errors name the file
        if d.areas is not None:
            apath = resolve_path(cfg, d.areas, "data.areas")
            areas = read_table(apath)
            inputs[apath.name] = content_hash(areas)
    code_map = None
    if needs_panel:
        from evaltool.registers import load_code_map

        cm_path = _code_map_path(cfg)
        code_map = load_code_map(cm_path)
        if d.code_map is not None:
            inputs[cm_path.name] = file_sha256(cm_path)
    exact, other = _needed_columns(cfg)
    persons, report = validate_persons(
        raw, source=source, id_col=d.id, treatment=d.treatment, covariates=_file_covariates(cfg),
        exact=exact, other=other, start=d.start if needs_panel and not d.pseudo_start else None,
        missing=d.missing, numeric=_numeric_columns(cfg),
    )
    if d.pseudo_start:
        persons, report = _pseudo_starts(cfg, persons, report, source)
    persons, report = apply_sample(persons, d.sample, report, source=source, treatment=d.treatment)
    if d.row_order == "id":
        persons = persons.sort_values(d.id, kind="mergesort")
    persons = persons.set_index(d.id, drop=False)
    persons.index.name = None
    if isinstance(panel, Path):
        inputs[panel.name] = _parquet_panel_hash(cfg, panel, code_map, persons)
    social = None
    if d.simulate is not None and d.simulate.social_register:
        from evaltool.simulate import simulate_social_register

        social = simulate_social_register(sim.persons, code_map, seed=d.simulate.seed)
    return StudyData(persons=persons, panel=panel, code_map=code_map, areas=areas, report=report,
                     inputs=dict(sorted(inputs.items())), truth=truth, social_panel=social)


def _parquet_panel_hash(cfg: StudyConfig, path: Path, code_map: Any, persons: pd.DataFrame) -> str:
    """The panel's content hash, from the one pass that also reads it for the run if it can
    (``registers/_onepass.py``: inside ``evaltool run`` the week and code counts and the cube of
    these persons are kept); else DuckDB's."""
    from evaltool.registers._onepass import read_panel

    found = read_panel(path, cfg.data.id, code_map, cfg.data.unknown_codes, persons=persons,
                       start_col=cfg.data.start)
    return content_hash(path) if found is None else found


def _pseudo_starts(cfg: StudyConfig, persons: pd.DataFrame, report: DataReport,
                   source: str) -> tuple[pd.DataFrame, DataReport]:
    """Comparison persons without a start week get one drawn from the treated starts (seeded)."""
    from evaltool.registers import assign_pseudo_start

    d = cfg.data
    if d.start in persons.columns:
        start = pd.to_numeric(persons[d.start], errors="coerce")
        bad = persons[d.start].notna() & start.isna()
        if bad.any():
            raise DataError(f"{source}: column {d.start!r} must hold weeks as YYYYWW numbers; found "
                            f"{persons.loc[bad, d.start].iloc[0]!r} ({int(bad.sum())} rows)")
        persons = persons.assign(**{d.start: start})
    n_missing = int(persons[d.start].isna().sum()) if d.start in persons.columns else len(persons)
    try:
        filled = assign_pseudo_start(persons, d.treatment, cfg.study.seed, start_col=d.start, id_col=d.id)
    except EvaltoolError as exc:  # e.g. treated persons without their real start week
        raise DataError(f"{source}: {exc}") from None
    return filled, report.with_updates(pseudo_starts=n_missing)


def add_history_covariates(cfg: StudyConfig, data: StudyData, persons: pd.DataFrame) -> pd.DataFrame:
    """Add the history covariates (share of weeks in a category before start) as columns."""
    from evaltool.registers import OutcomeSpec, derive_outcomes

    specs = [OutcomeSpec(name=h.column, kind="share", categories=(h.category,), window=(-h.weeks, -1))
             for h in cfg.data.history]
    derived = derive_outcomes(persons, data.panel, data.code_map, specs, id_col=cfg.data.id,
                              start_col=cfg.data.start, unknown_codes=cfg.data.unknown_codes)
    frame = derived.frame.reindex(persons.index)
    return persons.assign(**{s.name: frame[s.name].to_numpy() for s in specs})


def _check_code_map(cfg: StudyConfig) -> str:
    """The code map loads and knows every category ``data.history`` names."""
    from evaltool.registers import load_code_map

    cm = _code_map_path(cfg)
    code_map = load_code_map(cm)
    for i, h in enumerate(cfg.data.history):
        code_map.resolve((h.category,), what=f"data.history[{i}].category")
    from evaltool.study.process_stage import check_process_categories

    check_process_categories(cfg, code_map)
    return f"{cm.name}: code map ok"


def validate_study(cfg: StudyConfig) -> list[str]:
    """Check files, columns and types without running the study; returns info lines."""
    from evaltool.study.area_inputs import check_area_panel

    if cfg.area_only:
        return check_area_panel(cfg)
    lines = []
    d = cfg.data
    compare_results(cfg)  # the midterm results a final report compares with must be readable
    if d.simulate is not None:
        lines.append(f"data: simulated (n={d.simulate.n}, seed={d.simulate.seed})")
        if _needs_panel(cfg):
            lines.append(_check_code_map(cfg))
        return lines + _contact_log_lines(cfg) + (check_area_panel(cfg) if cfg.area_panel is not None else [])
    path = resolve_path(cfg, d.persons, "data.persons")
    frame = read_table(path)
    exact, other = _needed_columns(cfg)
    needs_panel = _needs_panel(cfg)
    _, report = validate_persons(frame, source=path.name, id_col=d.id, treatment=d.treatment,
                                 covariates=_file_covariates(cfg), exact=exact, other=other,
                                 start=d.start if needs_panel and not d.pseudo_start else None,
                                 missing=d.missing, numeric=_numeric_columns(cfg))
    lines.append(f"{path.name}: {report.n_read} rows, {report.n_treated} treated, {report.n_control} comparison")
    if d.weekly_status is not None:
        ppath = _weekly_status_path(cfg)
        lines.append(f"{ppath.name}: columns ok")
    if needs_panel:
        lines.append(_check_code_map(cfg))
    if d.areas is not None:
        apath = resolve_path(cfg, d.areas, "data.areas")
        areas = read_table(apath)
        if cfg.area_panel is not None:
            for col in (cfg.area_panel.unit, cfg.area_panel.time, cfg.area_panel.outcome):
                if col not in areas.columns:
                    raise DataError(f"{apath.name}: area panel column {col!r} not found")
        lines.append(f"{apath.name}: {len(areas)} rows")
    return lines + _contact_log_lines(cfg) + (check_area_panel(cfg) if cfg.area_panel is not None else [])


def _contact_log_lines(cfg: StudyConfig) -> list[str]:
    from evaltool.study.process_stage import check_contact_log

    return check_contact_log(cfg)
