"""The area panel of ``area_panel:``: read from a file, simulated, or derived from a residence file and
the study's weekly panel; and its check at ``evaltool validate`` (columns named in the config)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from evaltool.config import config_source, resolve_path
from evaltool.config.schema import StudyConfig
from evaltool.exceptions import DataError

__all__ = ["load_area_panel", "check_area_panel"]


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
