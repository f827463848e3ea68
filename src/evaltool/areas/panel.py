"""Validating an area x period panel into the canonical form every area estimator reads."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaltool.areas.spec import AreaSpec
from evaltool.exceptions import DataError, DataWarning

__all__ = ["AreaPanel", "validate_area_panel"]


@dataclass(frozen=True)
class AreaPanel:
    """A balanced area panel in canonical form.

    ``frame`` has columns ``unit`` (str), ``time`` (int), ``y`` (float), ``g`` (int first treated
    period, 0 = never), ``w`` (float weight, 1 without weights) and ``pop`` (float or NaN), sorted
    by unit then time. ``periods`` are the sorted distinct periods.
    """

    frame: pd.DataFrame
    periods: np.ndarray
    units: np.ndarray
    n_dropped_units: int = 0

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def unit_g(self) -> np.ndarray:
        """First treated period per unit (0 = never), in ``units`` order."""
        return self.frame["g"].to_numpy()[:: len(self.periods)]

    @property
    def unit_w(self) -> np.ndarray:
        """Unit weight: the weight in the first period (as R ``did`` does), in ``units`` order."""
        return self.frame["w"].to_numpy()[:: len(self.periods)]

    def matrix(self, column: str = "y") -> np.ndarray:
        """A units x periods matrix of ``column``."""
        return self.frame[column].to_numpy(dtype=float).reshape(self.n_units, len(self.periods))

    def with_g(self, g_units: np.ndarray) -> AreaPanel:
        """The same panel with first-treated periods reassigned per unit (randomization inference)."""
        frame = self.frame.assign(g=np.repeat(np.asarray(g_units, dtype=np.int64), len(self.periods)))
        return AreaPanel(frame=frame, periods=self.periods, units=self.units,
                         n_dropped_units=self.n_dropped_units)


def _numeric(df: pd.DataFrame, col: str, role: str) -> pd.Series:
    s = pd.to_numeric(df[col], errors="coerce")
    bad = s.isna() & df[col].notna()
    if bad.any():
        raise DataError(f"area panel: column `{col}` ({role}) must be numeric; got {df.loc[bad, col].iloc[0]!r} "
                        f"in {int(bad.sum())} row(s); fix the values or choose another column")
    return s


def validate_area_panel(data: pd.DataFrame, spec: AreaSpec) -> AreaPanel:
    """Check an area x period panel and bring it into canonical form.

    Parameters
    ----------
    data : DataFrame
        One row per area x period.
    spec : AreaSpec
        Names the columns and what to do with unbalanced panels.

    Returns
    -------
    AreaPanel

    Raises
    ------
    DataError
        Missing column, missing or non-numeric values, duplicate area x period, non-constant or
        out-of-range first treated period, unbalanced panel (with ``unbalanced='error'``), no
        treated or no comparison area.

    Examples
    --------
    >>> df = pd.DataFrame({"area": list("aabb"), "year": [1, 2, 1, 2], "rate": [.3, .2, .3, .3],
    ...                    "start": [2, 2, 0, 0]})
    >>> validate_area_panel(df, AreaSpec(outcome="rate", first_treated="start")).n_units
    2
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"area panel must be a DataFrame; got {type(data).__name__}")
    cols = [spec.unit, spec.time, spec.outcome, spec.first_treated]
    extra = [c for c in (spec.weights, spec.population) if c]
    missing = [c for c in cols + extra if c not in data.columns]
    if missing:
        raise DataError(f"area panel: column(s) {', '.join(f'`{c}`' for c in missing)} not found; "
                        f"columns are {', '.join(map(str, data.columns[:12]))}; fix the spec or the file")
    if data[spec.unit].isna().any():
        raise DataError(f"area panel: column `{spec.unit}` (unit) has {int(data[spec.unit].isna().sum())} "
                        "empty value(s); every row needs an area id")
    unit = data[spec.unit].astype(str)
    time = _numeric(data, spec.time, "period")
    if time.isna().any() or not np.all(np.mod(time, 1) == 0):
        raise DataError(f"area panel: column `{spec.time}` (period) must hold integer periods with no gaps in "
                        "the values (years, or consecutive quarter/month numbers); found empty or fractional values")
    y = _numeric(data, spec.outcome, "outcome")
    if y.isna().any() or not np.isfinite(y).all():
        raise DataError(f"area panel: column `{spec.outcome}` (outcome) has {int((~np.isfinite(y.fillna(np.inf))).sum())} "
                        "missing or infinite value(s); impute or drop those areas")
    g = _numeric(data, spec.first_treated, "first treated period").fillna(0)
    if not np.all(np.mod(g, 1) == 0):
        raise DataError(f"area panel: column `{spec.first_treated}` must hold integer periods or 0/empty for never "
                        "treated; found fractional values")
    w = pd.Series(1.0, index=data.index)
    if spec.weights:
        w = _numeric(data, spec.weights, "weights")
        if w.isna().any() or (w <= 0).any():
            raise DataError(f"area panel: column `{spec.weights}` (weights) must be > 0 in every row; "
                            f"found {int((w.isna() | (w <= 0)).sum())} empty or non-positive value(s)")
    pop = _numeric(data, spec.population_column, "population") if spec.population_column else \
        pd.Series(np.nan, index=data.index)
    frame = pd.DataFrame({"unit": unit.to_numpy(), "time": time.to_numpy(np.int64), "y": y.to_numpy(float),
                          "g": g.to_numpy(np.int64), "w": w.to_numpy(float), "pop": pop.to_numpy(float)})
    dup = frame.duplicated(["unit", "time"])
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise DataError(f"area panel: {int(dup.sum())} duplicate `{spec.unit}` x `{spec.time}` row(s), e.g. "
                        f"({first['unit']}, {first['time']}); keep one row per area and period")
    n_g = frame.groupby("unit")["g"].nunique()
    if (n_g > 1).any():
        raise DataError(f"area panel: column `{spec.first_treated}` must be constant within an area; "
                        f"{int((n_g > 1).sum())} area(s) differ, e.g. {n_g[n_g > 1].index[0]}")
    periods = np.sort(frame["time"].unique())
    if len(periods) < 2:
        raise DataError(f"area panel: column `{spec.time}` has {len(periods)} distinct period(s); at least 2 needed")
    gs = frame["g"].unique()
    outside = [int(v) for v in gs if v != 0 and v not in set(periods.tolist())]
    if outside:
        raise DataError(f"area panel: column `{spec.first_treated}` = {outside[0]} lies outside the periods "
                        f"{periods[0]}..{periods[-1]} (or is not one of them); use 0 or empty for never treated")
    counts = frame.groupby("unit")["time"].size()
    short = counts[counts < len(periods)]
    n_dropped = 0
    if len(short):
        if spec.unbalanced == "error":
            raise DataError(f"area panel is unbalanced: {len(short)} area(s) miss periods, e.g. {short.index[0]} "
                            f"has {int(short.iloc[0])} of {len(periods)}; complete them or set unbalanced: drop")
        warnings.warn(f"area panel: dropped {len(short)} area(s) with missing periods", DataWarning, stacklevel=2)
        frame = frame[~frame["unit"].isin(short.index)]
        n_dropped = len(short)
    frame = frame.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)
    units = frame["unit"].unique()
    g_units = frame["g"].to_numpy()[:: len(periods)]
    if not (g_units > 0).any():
        raise DataError(f"area panel: no treated area (column `{spec.first_treated}` is 0/empty everywhere)")
    if spec.control_group == "never_treated" and not (g_units == 0).any():
        raise DataError(f"area panel: no never-treated comparison area in `{spec.first_treated}`; "
                        "set control_group: not_yet_treated")
    return AreaPanel(frame=frame, periods=periods, units=units, n_dropped_units=n_dropped)
