"""What a first cheap pass over a weekly panel finds: its distinct weeks and codes (validated).

A pass over the panel gives the row counts of each distinct ``week`` and of each distinct ``code``
(the *marginals*; a missing value counts as one more value). :func:`scan_from_counts` checks them
(weeks are ISO year-weeks, codes integers known to the code map or mapped to ``other``) and returns
the :class:`Scan` every reader of the panel maps weeks and codes with. The counts come from DuckDB or
pandas (``_panel.scan_panel``) or from the one pass that reads a Parquet panel at load time
(``_onepass``); the checks and their messages are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaltool.exceptions import RegisterError
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import is_valid, to_ordinal

__all__ = ["Scan", "Counts", "marginals", "scan_from_counts"]


@dataclass(frozen=True)
class Scan:
    """What a first cheap pass over the panel found."""

    week_values: np.ndarray        # distinct valid weeks YYYYWW
    week_ords: np.ndarray          # their ordinals
    code_values: np.ndarray        # distinct codes (known + mapped unknown)
    code_cats: np.ndarray          # category index of each
    unknown: dict[int, int]        # unknown code -> rows
    n_rows: int
    n_empty_code: int
    first_ord: int
    last_ord: int


@dataclass(frozen=True)
class Counts:
    """Rows per distinct ``week`` (frame ``week, n``) and per distinct ``code`` (frame ``code, n``)."""

    weeks: pd.DataFrame
    codes: pd.DataFrame


def marginals(counts: pd.DataFrame) -> Counts:
    """The :class:`Counts` of a ``week, code, n`` frame (rows per distinct week-code pair)."""
    def one(col: str) -> pd.DataFrame:
        return counts.groupby(col, dropna=False, sort=False)["n"].sum().reset_index()

    return Counts(weeks=one("week"), codes=one("code"))


def scan_from_counts(label: str, counts: Counts, code_map: CodeMap, unknown_codes: str) -> Scan:
    """Validate the weeks and codes of a panel (``label`` names it in errors) and map them."""
    wk, cd = counts.weeks, counts.codes
    if wk["week"].isna().any():
        raise RegisterError(f"{label}: {int(wk.loc[wk['week'].isna(), 'n'].sum())} row(s) have no week")
    as_num = pd.to_numeric(wk["week"], errors="coerce")
    not_int = as_num.isna() | (as_num != np.floor(as_num))
    if not_int.any():
        bad = wk.loc[not_int, "week"]
        raise RegisterError(f"{label}: column `week` must hold ISO year-weeks YYYYWW (e.g. 202113); "
                            f"{int(wk.loc[not_int, 'n'].sum())} row(s) hold other values, e.g. "
                            f"{str(bad.iloc[0])[:20]!r}")
    weeks = np.unique(as_num.to_numpy(dtype=np.int64))
    ok = is_valid(weeks)
    if not ok.all():
        raise RegisterError(f"{label}: column `week` must hold ISO year-weeks YYYYWW; "
                            f"{int((~ok).sum())} invalid value(s), e.g. {int(weeks[~ok][0])}")
    ords = to_ordinal(weeks)
    code_col = pd.to_numeric(cd["code"], errors="coerce")
    if (code_col.isna() & cd["code"].notna()).any():
        bad = cd.loc[code_col.isna() & cd["code"].notna(), "code"].iloc[0]
        raise RegisterError(f"{label}: column `code` must hold integer register codes; got {bad!r}")
    empty = code_col.isna()
    by_code = cd.loc[~empty].assign(code=code_col[~empty].astype(np.int64)).groupby("code")["n"].sum()
    known_codes, known_cats = code_map.code_table()
    present = by_code.index.to_numpy(dtype=np.int64)
    is_known = np.isin(present, known_codes)
    unknown = {int(c): int(by_code.loc[c]) for c in present[~is_known]}
    if unknown and unknown_codes == "error":
        listing = ", ".join(f"{c} ({n} rows)" for c, n in sorted(unknown.items())[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise RegisterError(f"{label}: {len(unknown)} code(s) not in code map {code_map.source}: "
                            f"{listing}{more}; add them to the code map or set unknown_codes='other'")
    code_values, code_cats = known_codes, known_cats
    if unknown:
        if "other" not in code_map.categories:
            raise RegisterError(f"{code_map.source}: unknown_codes='other' needs a category `other`")
        other = code_map.category_index()["other"]
        extra = np.array(sorted(unknown), dtype=np.int64)
        code_values = np.concatenate([known_codes, extra])
        code_cats = np.concatenate([known_cats, np.full(len(extra), other, dtype=np.int16)])
        order = np.argsort(code_values, kind="stable")
        code_values, code_cats = code_values[order], code_cats[order]
    return Scan(week_values=weeks, week_ords=ords, code_values=code_values, code_cats=code_cats,
                unknown=dict(sorted(unknown.items())), n_rows=int(wk["n"].sum()),
                n_empty_code=int(cd.loc[empty, "n"].sum()),
                first_ord=int(ords.min()) if len(ords) else 0, last_ord=int(ords.max()) if len(ords) else -1)
