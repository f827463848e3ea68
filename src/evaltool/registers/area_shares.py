"""Area panels derived from the weekly registers: each area's share of residents in given statuses.

With a residence file (person -> housing area by period) and the weekly status panel, the share
for area ``a`` and period ``p`` is

    share_ap = (resident person-weeks in the categories) / (resident person-weeks)

where a resident of ``a`` in ``p`` contributes every week of ``p`` inside the register's coverage
(a week without a row is self-support). This is the full-time-person share of residents on, e.g.,
public support. ``population`` is the number of distinct residents (the weight and the
disclosure count). Runs in DuckDB (the engine of ``registers.outcomes``), out of core for parquet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_choice
from evaltool.exceptions import RegisterError
from evaltool.registers import _panel
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import to_ordinal, week_table

__all__ = ["area_shares"]


def _period_sql(period: str) -> str:
    if period == "year":
        return "CAST(floor(week / 100) AS BIGINT)"
    return "CAST(floor(week / 100) AS BIGINT) * 4 + LEAST(CAST(floor(((week % 100) - 1) / 13) AS BIGINT), 3)"


def _period_of(weeks: np.ndarray, period: str) -> np.ndarray:
    year = weeks // 100
    if period == "year":
        return year
    return year * 4 + np.minimum((weeks % 100 - 1) // 13, 3)


def area_shares(residence: pd.DataFrame, panel: Any, code_map: CodeMap, categories: list[str] | tuple[str, ...],
                *, id_col: str = "person_id", area_col: str = "area", period: str = "year",
                data_range: tuple[int, int] | None = None, outcome: str = "share",
                memory_limit: str | None = None) -> pd.DataFrame:
    """Share of each area's residents in ``categories``, per period, from the weekly panel.

    Parameters
    ----------
    residence : DataFrame
        ``id_col``, ``area_col`` and ``period`` (the period the person lived there: a year, or a
        quarter coded ``4 * year + quarter - 1``); one row per person and period.
    panel : DataFrame or parquet path(s)
        Weekly status panel ``id_col, week, code``.
    code_map : CodeMap
    categories : list of str
        Category or group names of the code map (``self_support`` allowed).
    period : {'year', 'quarter'}
    data_range : (int, int), optional
        First and last week YYYYWW the register covers (default: declared by the panel, else observed).
    outcome : str
        Name of the share column.

    Returns
    -------
    DataFrame
        ``area, <period>, <outcome>, population, person_weeks`` sorted by area and period.

    Examples
    --------
    >>> from evaltool.registers.codemap import load_code_map, default_code_map_path
    >>> cm = load_code_map(default_code_map_path())
    >>> res = pd.DataFrame({"person_id": [1, 2], "area": ["A", "A"], "year": [2020, 2020]})
    >>> pnl = pd.DataFrame({"person_id": [1], "week": [202001], "code": [cm.codes_for("kontanthjaelp")[0]]})
    >>> area_shares(res, pnl, cm, ["kontanthjaelp"], data_range=(202001, 202053))["population"].tolist()
    [2]
    """
    check_choice("period", period, ("year", "quarter"), exc=RegisterError)
    missing = [c for c in (id_col, area_col, period) if c not in residence.columns]
    if missing:
        raise RegisterError(f"residence file: column(s) {', '.join(missing)} not found; expected {id_col}, "
                            f"{area_col}, {period}")
    if residence.duplicated([id_col, period]).any():
        raise RegisterError(f"residence file: a person has more than one `{area_col}` in the same `{period}`; "
                            "keep one area per person and period")
    cats, self_in = code_map.resolve(list(categories))
    src = _panel.open_panel(panel, id_col)
    scan = _panel.scan_panel(src, code_map, "other" if "other" in code_map.categories else "error", duck=True,
                             memory_limit=memory_limit)
    lo_ord, hi_ord = _panel.coverage(src, scan, data_range)
    weeks, _ = week_table()
    ords = to_ordinal(weeks)
    covered = weeks[(ords >= lo_ord) & (ords <= hi_ord)]
    per_weeks = pd.Series(_period_of(covered, period)).value_counts()
    codes = sorted({int(c) for cat in cats for c in code_map.codes_for(cat)})
    con = _panel._connect(memory_limit)
    rel = _panel._source_sql(src, con)
    res = pd.DataFrame({"pid": residence[id_col].to_numpy(), "area": residence[area_col].astype(str).to_numpy(),
                        "period": pd.to_numeric(residence[period]).to_numpy(np.int64)})
    con.register("residence_frame", res)
    in_list = ", ".join(str(c) for c in codes) if codes else "NULL"
    lo_w, hi_w = int(covered.min()), int(covered.max())
    sql = f"""
        WITH p AS (SELECT {id_col} AS pid, {_period_sql(period)} AS period, code FROM {rel}
                   WHERE week BETWEEN {lo_w} AND {hi_w})
        SELECT r.area, r.period, count(DISTINCT r.pid) AS population,
               sum(CASE WHEN p.code IN ({in_list}) THEN 1 ELSE 0 END) AS n_in,
               count(p.code) AS n_coded
        FROM residence_frame r LEFT JOIN p ON r.pid = p.pid AND r.period = p.period
        GROUP BY r.area, r.period"""
    out = con.execute(sql).df()
    con.close()
    wk = out["period"].map(per_weeks).fillna(0).to_numpy(float)
    person_weeks = out["population"].to_numpy(float) * wk
    n_in = out["n_in"].to_numpy(float) + (person_weeks - out["n_coded"].to_numpy(float) if self_in else 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(person_weeks > 0, n_in / person_weeks, np.nan)
    frame = pd.DataFrame({area_col: out["area"].astype(str), period: out["period"].astype(np.int64),
                          outcome: share, "population": out["population"].astype(np.int64),
                          "person_weeks": person_weeks.astype(np.int64)})
    return frame.sort_values([area_col, period], kind="stable").reset_index(drop=True)
