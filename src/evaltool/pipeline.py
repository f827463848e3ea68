"""The one orchestrator: config -> data -> outcomes -> design -> balance -> effects -> outputs.

Each stage is a plain function a researcher can call alone; this module only
chains them. ``evaltool run`` first puts persons in a canonical order (sorted
by id) so results do not depend on input row order (MatchIt's tie rules
depend on data order); the Python API keeps the caller's order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import evaltool
from evaltool.config import config_hash, config_source, dump_config, resolve_path
from evaltool.config.schema import Labels, StudyConfig
from evaltool.data import DataReport, apply_sample, content_hash, peek_columns, read_table, validate_persons
from evaltool.exceptions import ConfigError, DataError, EvaltoolError
from evaltool.study import StudyResult

__all__ = [
    "StudyData", "load_study_data", "run_study", "validate_study", "write_outputs",
    "output_dir_for", "demo_config", "write_demo", "rerender_report", "starter_config_text",
]

ROW_ORDER = {
    "id": ("persons sorted by id before matching (canonical order; MatchIt ties depend on data order); "
           "input hashes are order-independent content hashes"),
    "file": ("persons kept in file order (data.row_order: file), as MatchIt would; "
             "results depend on input row order when propensity scores tie"),
}

_PROCESS_LABELS = {
    "meetings_held": {"da": "Afholdte samtaler (første år)", "en": "Meetings held (first year)"},
    "meetings_missed": {"da": "Udeblivelser fra samtaler (første år)", "en": "Missed meetings (first year)"},
    "sanctions": {"da": "Sanktioner (første år)", "en": "Sanctions (first year)"},
    "n_caseworkers": {"da": "Antal forskellige sagsbehandlere", "en": "Number of distinct caseworkers"},
}
_TARGET_VARS = ("area", "benefit_type", "match_group", "origin", "sex", "education")


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


def _bundled(name: str) -> Path:
    return Path(str(resources.files("evaltool.resources").joinpath(name)))


def _code_map_path(cfg: StudyConfig) -> Path:
    if cfg.data.code_map is not None:
        return resolve_path(cfg, cfg.data.code_map, "data.code_map")
    return _bundled("codes_example.yaml")


def _history_names(cfg: StudyConfig) -> set[str]:
    return {h.column for h in cfg.data.history}


def _file_covariates(cfg: StudyConfig) -> list[str]:
    """Covariate terms read from the persons file (terms on history covariates are derived later)."""
    from evaltool.data import term_columns

    hist = _history_names(cfg)
    out = []
    for t in cfg.design.covariates:
        num, lo = term_columns(t)
        if not set(num + lo) & hist:
            out.append(t)
    return out


def _needs_panel(cfg: StudyConfig) -> bool:
    return any(o.kind != "column" for o in cfg.outcomes) or bool(cfg.data.history) or cfg.data.pseudo_start


def _needed_columns(cfg: StudyConfig) -> tuple[list[str], list[str]]:
    other = [sg.column for sg in cfg.subgroups] + list(cfg.process)
    other += [o.column for o in cfg.outcomes if o.kind == "column" and o.column]
    other += [r.column for r in cfg.data.sample]
    if cfg.design.mahvars:
        other += list(cfg.design.mahvars)
    if cfg.effects.covariates:
        from evaltool.data import term_columns

        for t in cfg.effects.covariates:
            num, lo = term_columns(t)
            other += num + lo
    return list(cfg.design.exact), list(dict.fromkeys(other))


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
        inputs[path.name] = content_hash(raw) if d.row_order == "id" else _file_hash(path)
        panel = None
        if d.weekly_status is not None:
            ppath = _weekly_status_path(cfg)
            panel = ppath if ppath.suffix.lower() in (".parquet", ".pq") else read_table(ppath)
            inputs[ppath.name] = content_hash(panel)
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
            inputs[cm_path.name] = _file_hash(cm_path)
    exact, other = _needed_columns(cfg)
    persons, report = validate_persons(
        raw, source=source, id_col=d.id, treatment=d.treatment, covariates=_file_covariates(cfg),
        exact=exact, other=other, start=d.start if needs_panel and not d.pseudo_start else None,
        missing=d.missing,
    )
    if d.pseudo_start:
        persons, report = _pseudo_starts(cfg, persons, report, source)
    persons, report = apply_sample(persons, d.sample, report, source=source, treatment=d.treatment)
    if d.row_order == "id":
        persons = persons.sort_values(d.id, kind="mergesort")
    persons = persons.set_index(d.id, drop=False)
    persons.index.name = None
    return StudyData(persons=persons, panel=panel, code_map=code_map, areas=areas, report=report,
                     inputs=dict(sorted(inputs.items())), truth=truth)


def _pseudo_starts(cfg: StudyConfig, persons: pd.DataFrame, report: DataReport,
                   source: str) -> tuple[pd.DataFrame, DataReport]:
    """Comparison persons without a start week get one drawn from the treated starts (seeded)."""
    from evaltool.registers import assign_pseudo_start

    d = cfg.data
    start = pd.to_numeric(persons[d.start], errors="coerce") if d.start in persons.columns else None
    if start is not None:
        bad = persons[d.start].notna() & start.isna()
        if bad.any():
            raise DataError(f"{source}: column {d.start!r} must hold weeks as YYYYWW numbers; found "
                            f"{persons.loc[bad, d.start].iloc[0]!r} ({int(bad.sum())} rows)")
        persons = persons.assign(**{d.start: start})
        treated_missing = (persons[d.treatment] == 1) & start.isna()
        if treated_missing.any():
            raise DataError(f"{source}: column {d.start!r} is missing for {int(treated_missing.sum())} treated "
                            "person(s); treated persons need their real start week (pseudo-starts are for "
                            "the comparison pool)")
    n_missing = int(persons[d.start].isna().sum()) if start is not None else len(persons)
    filled = assign_pseudo_start(persons, d.treatment, cfg.study.seed, start_col=d.start, id_col=d.id)
    return filled, report.with_updates(pseudo_starts=n_missing)


def _history(cfg: StudyConfig, data: StudyData, persons: pd.DataFrame) -> pd.DataFrame:
    """Add the history covariates (share of weeks in a category before start) as columns."""
    from evaltool.registers import OutcomeSpec, derive_outcomes

    specs = [OutcomeSpec(name=h.column, kind="share", categories=(h.category,), window=(-h.weeks, -1))
             for h in cfg.data.history]
    derived = derive_outcomes(persons, data.panel, data.code_map, specs, id_col=cfg.data.id,
                              start_col=cfg.data.start, unknown_codes=cfg.data.unknown_codes)
    frame = derived.frame.reindex(persons.index)
    return persons.assign(**{s.name: frame[s.name].to_numpy() for s in specs})


def _file_hash(path: Path) -> str:
    from evaltool.data import file_sha256

    return file_sha256(path)


def _subgroup_columns(cfg: StudyConfig, persons: pd.DataFrame) -> pd.DataFrame:
    out = persons
    for sg in cfg.subgroups:
        if sg.cuts is None:
            if sg.name != sg.column:
                out = out.assign(**{sg.name: out[sg.column]})
            continue
        col = out[sg.column]
        if not pd.api.types.is_numeric_dtype(col):
            raise DataError(f"subgroup {sg.name!r}: column {sg.column!r} must be numeric to use `cuts`")
        edges = [-np.inf, *sg.cuts, np.inf]
        labels = [f"<{_g(sg.cuts[0])}"] + [f"{_g(a)}-{_g(b - 1) if float(b).is_integer() else _g(b)}"
                                             for a, b in zip(sg.cuts, sg.cuts[1:])] + [f"{_g(sg.cuts[-1])}+"]
        banded = pd.cut(col, edges, right=False, labels=labels, ordered=True)  # bands keep their order
        out = out.assign(**{sg.name: banded})
    return out


def _g(x: float) -> str:
    return f"{x:g}"


TRAJECTORY_WEEKS = (-52, 156)


def _last_week(cfg: StudyConfig) -> int:
    """The last week since start that trajectories (and the duplicate check) look at."""
    fu = cfg.study.followup_weeks
    return TRAJECTORY_WEEKS[1] if fu is None else min(TRAJECTORY_WEEKS[1], fu)


def _observable_outcomes(cfg: StudyConfig) -> list:
    """The outcomes this stage's follow-up can measure (``study.followup_weeks``).

    Outcomes looking beyond the follow-up are not estimated (the report lists them as not
    yet observable); time-to-event outcomes are followed up to the follow-up at most.
    """
    fu = cfg.study.followup_weeks
    if fu is None:
        return list(cfg.outcomes)
    out = []
    for o in cfg.outcomes:
        if o.kind == "time_to":
            out.append(o.model_copy(update={"horizon": min(o.horizon, fu)}))
        elif o.last_week is None or o.last_week <= fu:
            out.append(o)
    return out


def _outcome_specs(outcomes: list) -> list:
    from evaltool.registers import OutcomeSpec

    specs = []
    for o in outcomes:
        if o.kind == "column":
            continue
        specs.append(OutcomeSpec(name=o.name, kind=o.kind, categories=tuple(o.categories),
                                 window=tuple(o.weeks) if o.weeks else None, week=o.week, horizon=o.horizon))
    return specs


def _design(cfg: StudyConfig, persons: pd.DataFrame):
    from evaltool.matching import match

    dz = cfg.design
    distance: Any = dz.distance
    if dz.distance == "glm" and dz.propensity.model != "logit":
        from evaltool.propensity import classifier_by_name

        distance = classifier_by_name(dz.propensity.model, seed=cfg.study.seed)
    return match(
        persons, cfg.data.treatment, list(dz.covariates), method=dz.method, ratio=dz.ratio,
        replace=dz.replace, caliper=dz.caliper, std_caliper=dz.std_caliper, caliper_scale=dz.caliper_scale,
        exact=list(dz.exact) or None, m_order=dz.m_order, distance=distance, mahvars=dz.mahvars,
        discard=dz.discard, estimand=dz.estimand, seed=cfg.study.seed, ties=dz.ties,
    )


def _target_group(persons: pd.DataFrame, treat: pd.Series, extra: list[str]) -> dict:
    rows = []
    n_t = int(treat.sum())
    n_p = int(len(treat) - n_t)
    for var in dict.fromkeys([v for v in (*_TARGET_VARS, *extra) if v in persons.columns]):
        raw = persons[var]
        col = raw.astype(str)
        order = ([str(c) for c in raw.cat.categories if (raw == c).any()]
                 if isinstance(raw.dtype, pd.CategoricalDtype) else sorted(col.unique()))
        tab = pd.crosstab(col, treat).reindex(index=order, columns=[1, 0], fill_value=0)
        for level, (a, b) in zip(tab.index, tab.to_numpy()):
            rows.append({"variable": var, "level": str(level), "n_treated": int(a), "n_pool": int(b),
                         "share_treated": a / n_t if n_t else None, "share_pool": b / n_p if n_p else None})
    return {"n_treated": n_t, "n_pool": n_p, "by": rows}


def _process(cfg: StudyConfig, persons: pd.DataFrame, treat: pd.Series, weights: pd.Series) -> list[dict]:
    rows = []
    for col in cfg.process:
        x = pd.to_numeric(persons[col], errors="coerce")
        t = (treat == 1) & (weights > 0)
        c = (treat == 0) & (weights > 0)
        wc = weights[c]
        rows.append({
            "indicator": col,
            "label": _PROCESS_LABELS.get(col, {"da": col, "en": col}),
            "mean_treated": float(np.average(x[t], weights=weights[t])) if t.any() else None,
            "mean_control": float(np.average(x[c], weights=wc)) if c.any() else None,
            "n_treated": int(t.sum()),
            "n_control": int(c.sum()),
        })
    return rows


def _propensity_hist(design) -> dict | None:
    dist = getattr(design, "distance", None)
    if dist is None or getattr(design, "propensity", None) is None:
        return None
    edges = np.linspace(0.0, 1.0, 21)
    treat = design.treat
    w = design.weights

    def counts(mask: pd.Series) -> list[int]:
        return np.histogram(dist[mask].to_numpy(dtype=float), bins=edges)[0].astype(int).tolist()

    return {"bins": edges.round(4).tolist(), "treated": counts(treat == 1),
            "control_all": counts(treat == 0), "control_matched": counts((treat == 0) & (w > 0))}


def _outcomes_block(cfg: StudyConfig, outcome_frame: pd.DataFrame) -> list[dict]:
    rows = []
    for o in cfg.outcomes:
        col = outcome_frame[o.name] if o.name in outcome_frame.columns else None
        binary = bool(col is not None and o.kind != "time_to" and col.dropna().isin([0, 1]).all())
        rows.append({"name": o.name, "label": o.label.model_dump(), "kind": o.kind,
                     "categories": list(o.categories), "window": list(o.weeks) if o.weeks else None,
                     "week": o.week, "horizon": o.last_week, "binary": binary})
    return rows


def run_study(cfg: StudyConfig, progress: Callable[[str], None] | None = None) -> StudyResult:
    """Run a whole study; returns a :class:`StudyResult` (nothing is written).

    ``progress``, if given, is called with a short name of each stage as it starts
    (``evaltool run`` shows them on an interactive terminal).
    """
    from evaltool.balancing import balance
    from evaltool.effects import estimate

    step = progress or (lambda _stage: None)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always", evaltool.EvaltoolWarning)
        step("reading and validating data")
        _check_report_inputs(cfg)  # fail before the work, not after it
        data = load_study_data(cfg)
        persons = _subgroup_columns(cfg, data.persons)
        if cfg.data.history:
            step("history covariates")
            persons = _history(cfg, data, persons)
        report = data.report
        outcome_frame = pd.DataFrame(index=persons.index)
        outcomes = _observable_outcomes(cfg)
        specs = _outcome_specs(outcomes)
        if specs:
            from evaltool.registers import derive_outcomes

            step("deriving register outcomes")
            derived = derive_outcomes(persons, data.panel, data.code_map, specs, id_col=cfg.data.id,
                                      start_col=cfg.data.start, unknown_codes=cfg.data.unknown_codes,
                                      check_weeks=(TRAJECTORY_WEEKS[0], _last_week(cfg)))
            outcome_frame = derived.frame.reindex(persons.index)
            report = report.with_updates(persons_without_panel=derived.report.get("persons_without_panel"))
        for o in outcomes:
            if o.kind == "column":
                outcome_frame[o.name] = pd.to_numeric(persons[o.column], errors="coerce")
        step("matching")
        design = _design(cfg, persons)
        bal = balance(design)
        step("estimating effects")
        effect_names = [o.name for o in outcomes if o.kind != "time_to"]
        effects = estimate(
            design, outcome_frame[effect_names], method=cfg.effects.method, variance=cfg.effects.variance,
            subgroups=[sg.name for sg in cfg.subgroups] or None, adjust=cfg.effects.adjust,
            covariates=cfg.effects.covariates, seed=cfg.study.seed, n_boot=cfg.effects.n_boot,
            alpha=cfg.effects.alpha, n_jobs=cfg.effects.n_jobs, ps_adjust=cfg.effects.ps_adjust,
            percent=[o.name for o in outcomes if o.kind == "share"],
        )
        traj = None
        tte: list = []
        if specs:
            from evaltool.registers import trajectories

            step("trajectories and time to event")
            traj = trajectories(persons, data.panel, data.code_map, design.treat, weights=design.weights,
                                weeks=(TRAJECTORY_WEEKS[0], _last_week(cfg)), id_col=cfg.data.id,
                                start_col=cfg.data.start)
            tte = _time_to_event(outcomes, design, outcome_frame)
        sections = _sections(cfg, data, persons, design, outcome_frame)
    for w in log:
        if issubclass(w.category, evaltool.EvaltoolWarning):
            caught.append(str(w.message))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return StudyResult(config=cfg, data_report=report, design=design, balance=bal, effects=effects,
                       trajectories=traj, time_to_event=tuple(tte), sections=sections,
                       warnings=tuple(dict.fromkeys(caught)))


def _time_to_event(outcomes: list, design, outcome_frame: pd.DataFrame) -> list:
    from evaltool.duration import time_to_event

    out = []
    for o in outcomes:
        if o.kind != "time_to":
            continue
        keep = design.weights > 0
        cluster = design.subclass if not bool(design.subclass.isna().all()) else None
        out.append(time_to_event(
            outcome_frame.loc[keep, o.name], outcome_frame.loc[keep, f"{o.name}_event"], design.treat[keep],
            weights=design.weights[keep], cluster=None if cluster is None else cluster[keep],
            outcome=o.name, weeks=tuple(w for w in (26, 52, 104) if w <= o.horizon),
        ))
    return out


def _design_counts(design) -> dict[str, Any]:
    """Sample sizes of the design in the flat form of results schema v1 (``design.n``)."""
    from evaltool.balancing import ess

    t = design.treat.to_numpy(dtype=int)
    w = design.weights.to_numpy(dtype=float)
    disc = design.discarded.reindex(design.data.index).fillna(False).to_numpy(dtype=bool) \
        if design.discarded is not None else np.zeros(t.size, bool)
    out: dict[str, Any] = {}
    for name, g in (("treated", 1), ("control", 0)):
        m = t == g
        out[f"{name}_all"] = int(m.sum())
        out[f"{name}_matched"] = int((m & (w > 0)).sum())
        out[f"{name}_discarded"] = int((m & disc).sum())
        out[f"{name}_unmatched"] = int((m & (w == 0) & ~disc).sum())
    out["ess_treated"] = ess(w[(t == 1) & (w > 0)])
    out["ess_control"] = ess(w[(t == 0) & (w > 0)])
    return out


def _sections(cfg: StudyConfig, data: StudyData, persons: pd.DataFrame, design, outcome_frame) -> dict:
    dz = cfg.design
    n = _design_counts(design)
    est = design.estimand
    sections = {
        "study": {"title": (cfg.study.title.model_dump() if isinstance(cfg.study.title, Labels)
                            else cfg.study.title), "stage": cfg.study.stage, "language": cfg.study.language,
                  "seed": cfg.study.seed, "effort": cfg.study.effort.model_dump() if cfg.study.effort else None,
                  "municipality": cfg.study.municipality, "period": cfg.study.period,
                  "followup_weeks": cfg.study.followup_weeks},
        "provenance": {"evaltool_version": evaltool.__version__, "config_sha256": config_hash(cfg),
                       "inputs": data.inputs, "seed": cfg.study.seed, "row_order": ROW_ORDER[cfg.data.row_order]},
        "config": {
            "design": {"method": dz.method, "estimand": dz.estimand, "distance": dz.distance,
                       "propensity_model": dz.propensity.model, "ratio": dz.ratio, "replace": dz.replace,
                       "caliper": dz.caliper, "caliper_scale": dz.caliper_scale if dz.std_caliper else "raw",
                       "exact": list(dz.exact), "covariates": list(dz.covariates),
                       "m_order": getattr(design.spec, "order", None) or dz.m_order,
                       "discard": dz.discard},
            "variance": cfg.effects.variance or design.default_variance,
            "effect_method": cfg.effects.method, "adjust": cfg.effects.adjust,
            "min_cell": cfg.report.disclosure.min_cell,
            "sample": [{"column": r.column, "in": None if r.values is None else list(r.values),
                        "min": r.min, "max": r.max} for r in cfg.data.sample],
        },
        "outcomes": _outcomes_block(cfg, outcome_frame),
        "categories_labels": _category_labels(data.code_map),
        "target_group": _target_group(persons, design.treat, [sg.name for sg in cfg.subgroups]),
        "process": _process(cfg, persons, design.treat, design.weights),
        "design": {"estimand": getattr(est, "value", str(est)),
                   "estimand_note": (f"{dz.estimand} became {est.value}: some treated persons had no "
                                     "comparison person within the caliper or common support")
                   if getattr(est, "value", est) != dz.estimand else None,
                   "n": n},
        "propensity": _propensity_hist(design),
        "simulation": {"truth": data.truth} if data.truth is not None else None,
    }
    return sections


def _category_labels(code_map) -> dict:
    if code_map is None:
        return {}
    labels = getattr(code_map, "labels", None)
    return dict(labels) if labels else {}


# ---------------------------------------------------------------- outputs


def output_dir_for(cfg: StudyConfig, out: str | Path | None) -> Path:
    if out is not None:
        return Path(out)
    if cfg.report.out is not None:
        return Path(cfg.report.out)
    source, _, lines = config_source(cfg)
    raise ConfigError(f"{source}: report.out: no output folder; give --out DIR or set report.out")


def write_outputs(result: StudyResult, out: str | Path, *, compare_with: dict | None = None) -> Path:
    """Write results.json, tables/, trajectories.csv, reports, disclosure log and resolved config.

    The folder is built in a temporary sibling and renamed into place only when complete;
    a failure leaves any previous ``out`` untouched. ``compare_with`` (a midterm
    results dict) overrides ``report.compare_with`` for the final report.
    """
    from evaltool.outputs import atomic_folder

    results = result.to_dict()
    reports = _render_reports(result.config, results, compare_with)
    return atomic_folder(out, lambda tmp: _fill_outputs(tmp, result, results, reports))


def write_demo(out: str | Path, n: int | None = None) -> tuple[Path, list[StudyResult]]:
    """Run the bundled demo as a midterm (52 weeks of follow-up) and a final evaluation.

    Writes ``out/midterm/`` and ``out/final/`` (each a full output folder; the final
    report compares with the midterm's headline estimates), atomically as one folder.
    """
    from evaltool.outputs import atomic_folder

    mid = run_study(demo_config(n=n, stage="midterm"))
    fin = run_study(demo_config(n=n, stage="final"))
    mid_results, fin_results = mid.to_dict(), fin.to_dict()
    mid_reports = _render_reports(mid.config, mid_results)
    fin_reports = _render_reports(fin.config, fin_results, mid_results)

    def fill(tmp: Path) -> None:
        for name, res, results, reports in (("midterm", mid, mid_results, mid_reports),
                                            ("final", fin, fin_results, fin_reports)):
            (tmp / name).mkdir()
            _fill_outputs(tmp / name, res, results, reports)

    return atomic_folder(out, fill), [mid, fin]


def _fill_outputs(tmp: Path, result: StudyResult, results: dict, reports: list) -> None:
    import yaml

    from evaltool.outputs import dumps_json, write_csv

    (tmp / "results.json").write_text(dumps_json(results), encoding="utf-8")
    tables = tmp / "tables"
    tables.mkdir()
    write_csv(result.effects.to_frame(), tables / "effects.csv")
    write_csv(result.balance.to_frame(), tables / "balance.csv")
    write_csv(result.data_report.to_frame(), tables / "data_report.csv")
    write_csv(pd.DataFrame(results["target_group"]["by"]), tables / "target_group.csv")
    if results["process"]:
        write_csv(pd.json_normalize(results["process"]), tables / "process.csv")
    if result.trajectories is not None:
        write_csv(result.trajectories.to_frame(), tmp / "trajectories.csv")
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


def _render_reports(cfg: StudyConfig, results: dict, compare: dict | None = None) -> list[tuple[str, Any]]:
    from evaltool.report import DisclosureRules, render_report

    templates = list(cfg.report.templates) or [cfg.study.stage]
    languages = list(cfg.report.languages or [cfg.study.language])
    if compare is None and cfg.report.compare_with is not None:
        import json

        cpath = resolve_path(cfg, cfg.report.compare_with, "report.compare_with")
        try:
            compare = json.loads(cpath.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{cpath}: cannot read midterm results.json ({exc})") from None
    rules = DisclosureRules(min_cell=cfg.report.disclosure.min_cell, rounding=cfg.report.disclosure.rounding)
    out = []
    for i, (tpl, lang) in enumerate((t, lg) for t in templates for lg in languages):
        rendered = render_report(results, template=tpl, language=lang,
                                 compare_with=compare if tpl == "final" else None, rules=rules)
        name = "report.html" if i == 0 else f"report_{tpl}_{lang}.html"
        out.append((name, rendered))
        if i == 0 and len(templates) * len(languages) > 1:
            out.append((f"report_{tpl}_{lang}.html", rendered))
    return out


def rerender_report(results_json: str | Path, *, template: str, language: str, out: str | Path,
                    compare_with: str | Path | None = None, min_cell: int | None = None) -> Path:
    """Render a report from an existing results.json without recomputing."""
    import json

    from evaltool.report import DisclosureRules, render_report, write_report

    def read(p: str | Path) -> dict:
        path = Path(p)
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable results.json ({exc.__class__.__name__})") from None
        if not isinstance(data, dict) or data.get("schema_version") != 1:
            raise DataError(f"{path}: not an evaltool results.json (schema_version 1 expected)")
        return data

    results = read(results_json)
    compare = read(compare_with) if compare_with else None
    mc = min_cell if min_cell is not None else int(results.get("config", {}).get("min_cell", 5))
    rendered = render_report(results, template=template, language=language, compare_with=compare,
                             rules=DisclosureRules(min_cell=mc))
    return write_report(rendered, out)


# ---------------------------------------------------------------- validate / demo / init


def _check_report_inputs(cfg: StudyConfig) -> None:
    """The midterm results a final report compares with must exist and be readable."""
    if cfg.report.compare_with is None:
        return
    import json

    path = resolve_path(cfg, cfg.report.compare_with, "report.compare_with")
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read midterm results.json ({exc.__class__.__name__})") from None


def validate_study(cfg: StudyConfig) -> list[str]:
    """Check files, columns and types without running the study; returns info lines."""
    lines = []
    d = cfg.data
    _check_report_inputs(cfg)
    if d.simulate is not None:
        lines.append(f"data: simulated (n={d.simulate.n}, seed={d.simulate.seed})")
        if any(o.kind != "column" for o in cfg.outcomes):
            from evaltool.registers import load_code_map

            load_code_map(_code_map_path(cfg))
        return lines
    path = resolve_path(cfg, d.persons, "data.persons")
    frame = read_table(path)
    exact, other = _needed_columns(cfg)
    needs_panel = _needs_panel(cfg)
    _, report = validate_persons(frame, source=path.name, id_col=d.id, treatment=d.treatment,
                                 covariates=_file_covariates(cfg), exact=exact, other=other,
                                 start=d.start if needs_panel and not d.pseudo_start else None,
                                 missing=d.missing)
    lines.append(f"{path.name}: {report.n_read} rows, {report.n_treated} treated, {report.n_control} comparison")
    if d.weekly_status is not None:
        ppath = _weekly_status_path(cfg)
        lines.append(f"{ppath.name}: columns ok")
    if needs_panel:
        from evaltool.registers import load_code_map

        cm = _code_map_path(cfg)
        code_map = load_code_map(cm)
        for i, h in enumerate(d.history):
            code_map.resolve((h.category,), what=f"data.history[{i}].category")
        lines.append(f"{cm.name}: code map ok")
    if d.areas is not None:
        apath = resolve_path(cfg, d.areas, "data.areas")
        areas = read_table(apath)
        if cfg.area_panel is not None:
            for col in (cfg.area_panel.unit, cfg.area_panel.time, cfg.area_panel.outcome):
                if col not in areas.columns:
                    raise DataError(f"{apath.name}: area panel column {col!r} not found")
        lines.append(f"{apath.name}: {len(areas)} rows")
    return lines


DEMO_MIDTERM_WEEKS = 52
DEMO_MIDTERM_LAST_START = 202426  # midterm data cut 2025W26: persons who started by 2024W26 have 52 weeks


def demo_config(n: int | None = None, stage: str = "final") -> StudyConfig:
    """The bundled demo study (simulated Copenhagen-style data), as the final or midterm evaluation.

    The midterm is the evaluation at a data cut in week 26 of 2025: it covers the persons who
    started by week 26 of 2024 and their first ``DEMO_MIDTERM_WEEKS`` weeks after start. Both
    stages report in Danish and English.
    """
    from evaltool.config import load_config
    from evaltool.config.schema import SampleRule

    if stage not in ("midterm", "final"):
        raise ValueError(f"stage must be 'midterm' or 'final', got {stage!r}")
    overrides = [f"data.simulate.n={n}"] if n is not None else []
    overrides += [f"study.stage={stage}", f"report.templates=[{stage}]"]
    if stage == "midterm":
        overrides += [f"study.followup_weeks={DEMO_MIDTERM_WEEKS}", "study.period=2022-2025"]
    cfg = load_config(_bundled("demo.yaml"), overrides)
    if stage == "midterm":
        rule = SampleRule(column=cfg.data.start, max=DEMO_MIDTERM_LAST_START)
        data = cfg.data.model_copy(update={"sample": [*cfg.data.sample, rule]})
        cfg = cfg.model_copy(update={"data": data})
    return cfg


def starter_config_text() -> str:
    """A commented starter config (the bundled demo config)."""
    return _bundled("demo.yaml").read_text(encoding="utf-8")
