"""The process stage of ``evaltool run``: mapping, journeys, case duration, process effects and cost.

One function, :func:`run_process_stage`, chains the plain functions of :mod:`evaltool.process` and
:mod:`evaltool.registers.journeys` on the study's matched design, as configured by the sections
``mapping:``, ``journeys:``, ``case_duration:``, ``process:`` (person-level process columns),
``contacts:`` and ``cost:`` (each optional). The process effects are one list: the ``process:``
columns first, then the contact-log measures. The contact log is read
from ``contacts.path`` or, with ``data.simulate``, drawn by :func:`evaltool.simulate.simulate_contacts`
with the study seed. Returns a :class:`~evaltool.process.result.ProcessStageResult` (``None`` when no
section is given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from evaltool.config.schema import StudyConfig
from evaltool.exceptions import DataError
from evaltool.process.result import ProcessStageResult

__all__ = ["run_process_stage", "read_contact_log", "any_process_section", "check_process_categories",
           "check_contact_log"]


def any_process_section(cfg: StudyConfig) -> bool:
    """True if the config asks for any analysis of this stage."""
    return bool(cfg.process) or any(getattr(cfg, k) is not None
                                    for k in ("mapping", "journeys", "case_duration", "contacts", "cost"))


def _missing_contact_columns(cfg: StudyConfig, path: Path, found: list[str]) -> None:
    cols = cfg.contacts.columns
    need = [c for c in (cols.person, cols.date, cols.kind, cols.status, cols.caseworker) if c not in found]
    if need:
        raise DataError(f"{path.name}: contact log column(s) {', '.join(need)} not found; set their roles in "
                        f"`contacts.columns` (found: {', '.join(map(str, found[:20]))})")


def read_contact_log(cfg: StudyConfig, persons: pd.DataFrame) -> pd.DataFrame:
    """The contact log: ``contacts.path`` (csv/parquet/...), or simulated with ``data.simulate``."""
    spec = cfg.contacts
    if spec.path is None:
        from evaltool.simulate import simulate_contacts

        return simulate_contacts(persons.reset_index(drop=True), seed=cfg.data.simulate.seed)
    from evaltool.config import resolve_path
    from evaltool.data.readers import read_table

    path = resolve_path(cfg, Path(spec.path), "contacts.path")
    log = read_table(path)
    _missing_contact_columns(cfg, path, list(map(str, log.columns)))
    return log


def check_contact_log(cfg: StudyConfig) -> list[str]:
    """``evaltool validate``: the contact log file exists and has the columns ``contacts.columns`` names."""
    if cfg.contacts is None or cfg.contacts.path is None:
        return []
    from evaltool.config import resolve_path
    from evaltool.data.readers import peek_columns

    path = resolve_path(cfg, Path(cfg.contacts.path), "contacts.path")
    _missing_contact_columns(cfg, path, list(map(str, peek_columns(path))))
    return [f"{path.name}: contact log columns ok"]


def check_process_categories(cfg: StudyConfig, code_map: Any) -> None:
    """``evaltool validate``: every code-map category or group the process sections name exists (the
    process stage resolves the same names; an unknown one is an error naming the key and the valid names)."""
    names: list[tuple[str, list[str]]] = []
    if cfg.journeys is not None:
        names += [(f"journeys.states.{k}", list(v)) for k, v in cfg.journeys.states.items()]
    if cfg.case_duration is not None:
        names += [("case_duration.support_categories", list(cfg.case_duration.support_categories)),
                  ("case_duration.offer_categories", list(cfg.case_duration.offer_categories))]
    if cfg.mapping is not None:
        names += [(f"mapping.benefits.{k}", list(v)) for k, v in cfg.mapping.benefits.items()]
        if cfg.mapping.entitlement is not None:
            names.append(("mapping.entitlement.categories", list(cfg.mapping.entitlement.categories)))
    for what, members in names:
        code_map.resolve(members, what=what)


def _shared_state_matrices(cfg: StudyConfig, data: Any, persons: pd.DataFrame, w: Any) -> list | None:
    """With both ``journeys:`` and ``case_duration:``, their state matrices (journey states; support;
    offers) for the persons with positive weight, read in one pass over the panel."""
    if cfg.journeys is None or cfg.case_duration is None:
        return None
    from evaltool.registers.case_duration import duration_requests
    from evaltool.registers.journeys import journey_request
    from evaltool.registers.states import state_matrices

    return state_matrices(persons.loc[w > 0], data.panel, data.code_map,
                          [journey_request(cfg.journeys), *duration_requests(cfg.case_duration)],
                          id_col=cfg.data.id, start_col=cfg.data.start)


def run_process_stage(cfg: StudyConfig, data: Any, persons: pd.DataFrame, design: Any,
                      effects: Any) -> ProcessStageResult | None:
    """Mapping, journeys, case duration, process effects and cost on the matched ``design``.

    ``data`` is the :class:`~evaltool.study.inputs.StudyData` (weekly panel and code map); ``effects``
    the study's :class:`~evaltool.effects.result.EffectResult` (cost per additional person reads it).
    """
    if not any_process_section(cfg):
        return None
    if data.code_map is not None:  # the same check as `evaltool validate`, so both name the same key
        check_process_categories(cfg, data.code_map)
    w = design.weights.reindex(persons.index).fillna(0).to_numpy()
    sub = design.subclass.reindex(persons.index)
    cluster = None if bool(sub.isna().all()) else sub.to_numpy()
    kw = dict(treatment=cfg.data.treatment, weights=w, cluster=cluster, id_col=cfg.data.id,
              start_col=cfg.data.start)
    mp = jr = cd = proc = cost = None
    if cfg.mapping is not None:  # all residents the data hold (not only the matched sample), as `evaltool map`
        from evaltool.process.mapping import run_mapping

        mp = run_mapping(data.persons, data.panel, data.code_map, cfg.mapping, id_col=cfg.data.id,
                         start_col=cfg.data.start, treatment=cfg.data.treatment)
    shared = _shared_state_matrices(cfg, data, persons, w)
    if cfg.journeys is not None:
        from evaltool.registers.journeys import journeys

        jr = journeys(persons, data.panel, data.code_map, cfg.journeys, **kw,
                      matrix=None if shared is None else shared[0])
    if cfg.case_duration is not None:
        from evaltool.process.duration import run_case_duration

        cd = run_case_duration(persons, data.panel, data.code_map, cfg.case_duration, **kw,
                               matrices=None if shared is None else shared[1:])
    parts = []
    if cfg.process:
        from evaltool.process.contacts import run_column_effects

        parts.append(run_column_effects(design, persons, list(cfg.process), alpha=cfg.effects.spec().alpha))
    if cfg.contacts is not None:
        from evaltool.process.contacts import run_process

        log = read_contact_log(cfg, persons)
        parts.append(run_process(log, design, cfg.contacts, id_col=cfg.data.id, start_col=cfg.data.start))
    if parts:
        from evaltool.process.contacts import ProcessResult

        proc = parts[0] if len(parts) == 1 else ProcessResult(
            rows=pd.concat([p.rows for p in parts], ignore_index=True),
            measures=pd.concat([p.measures.set_axis(persons.index) for p in parts], axis=1),  # rows: persons
            spec={"columns": parts[0].spec, "contacts": parts[1].spec})
    if cfg.cost is not None:
        from evaltool.process.cost import run_cost

        cost = run_cost(cfg.cost, effects.effects)
    return ProcessStageResult(mapping=mp, journeys=jr, case_duration=cd, process=proc, cost=cost)
