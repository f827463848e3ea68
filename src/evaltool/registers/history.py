"""Register history before start: share of weeks in each category, as covariates."""

from __future__ import annotations

from typing import Any

import pandas as pd

from evaltool._checks import check_int
from evaltool.exceptions import RegisterError
from evaltool.registers.codemap import CodeMap
from evaltool.registers.outcomes import OutcomeSpec, derive_outcomes

__all__ = ["history_covariates", "DEFAULT_HISTORY"]

DEFAULT_HISTORY = ((52, "public_support"), (156, "public_support"), (156, "self_support"), (156, "placement"))


def history_covariates(persons: pd.DataFrame, panel: Any, code_map: CodeMap,
                       windows=DEFAULT_HISTORY, *, id_col: str = "person_id", start_col: str = "start_week",
                       unknown_codes: str = "error", engine: str = "auto",
                       memory_limit: str | None = None) -> pd.DataFrame:
    """Share of weeks in a category or group over the ``w`` weeks before start.

    Parameters
    ----------
    persons, panel, code_map, id_col, start_col, unknown_codes, engine, memory_limit
        As in :func:`evaltool.registers.derive_outcomes`.
    windows : sequence of (int, str)
        ``(w, name)``: weeks ``[-w, -1]`` before start, category/group name (or ``self_support``).

    Returns
    -------
    DataFrame
        Indexed by person id, one column ``<name>_share_<w>w`` per window (e.g.
        ``public_support_share_156w``), values in [0, 1].
    """
    specs = []
    for w, name in windows:
        check_int("windows[].weeks", w, low=1, exc=RegisterError)
        specs.append(OutcomeSpec(f"{name}_share_{w}w", "share", (name,), window=(-int(w), -1)))
    return derive_outcomes(persons, panel, code_map, specs, id_col=id_col, start_col=start_col,
                           unknown_codes=unknown_codes, engine=engine, memory_limit=memory_limit).frame
