"""Check that a persons table fits its declared roles, and report what was dropped.

Roles: a unique id, a binary treatment, covariates (numeric where the term
grammar needs numbers), optional start week, subgroup and process columns.
Missing values follow the policy ``error`` (default) or ``drop``; every drop
is counted with its reason in the :class:`DataReport`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import re

import numpy as np
import pandas as pd

from evaltool._result import ResultMixin
from evaltool.exceptions import DataError
from evaltool.terms import parse_term

__all__ = ["DataReport", "DropRecord", "validate_persons", "term_column_roles", "coerce_binary", "apply_sample"]

_TRUE = {"1", "true", "t", "yes"}
_FALSE = {"0", "false", "f", "no"}


@dataclass(frozen=True)
class DropRecord:
    """Rows dropped for one reason.

    ``code`` is ``"missing"`` (a missing value in ``column``) or ``"sample"`` (outside the
    target group by the sample rule ``rule``: ``{"column", "in", "min", "max"}``), so that
    reports can word it in their own language; ``reason`` is the English wording.
    """

    reason: str
    column: str | None
    n: int
    code: str = "other"
    rule: dict | None = None


@dataclass(frozen=True)
class DataReport(ResultMixin):
    """What was read, what was used, and what was dropped and why."""

    source: str
    n_read: int
    n_used: int
    n_treated: int
    n_control: int
    dropped: tuple[DropRecord, ...] = ()
    persons_without_panel: int | None = None
    pseudo_starts: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    _title = "Data report"

    def __repr__(self) -> str:
        return (f"DataReport(read {self.n_read}, used {self.n_used}: treated {self.n_treated}, "
                f"comparison {self.n_control}; {len(self.dropped)} drop reason(s))")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(d.reason, d.column, d.n) for d in self.dropped], columns=["reason", "column", "n"]
        )

    def to_dict(self) -> dict:
        return {
            "n_read": self.n_read,
            "n_used": self.n_used,
            "dropped": [{"reason": d.reason, "column": d.column, "n": d.n, "code": d.code, "rule": d.rule}
                        for d in self.dropped],
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "persons_without_panel": self.persons_without_panel,
            "pseudo_starts": self.pseudo_starts,
        }

    def summary(self) -> str:
        lines = [f"Data report ({self.source})", f"rows read: {self.n_read}, used: {self.n_used} "
                 f"(treated {self.n_treated}, comparison {self.n_control})"]
        lines += [f"dropped {d.n}: {d.reason}" + (f" [{d.column}]" if d.column else "") for d in self.dropped]
        if self.persons_without_panel is not None:
            lines.append(f"persons without weekly register rows: {self.persons_without_panel}")
        if self.pseudo_starts is not None:
            lines.append(f"comparison persons given a pseudo-start week: {self.pseudo_starts}")
        return "\n".join(lines)

    def with_updates(self, **changes) -> "DataReport":
        from dataclasses import replace

        return replace(self, **changes)


def term_column_roles(term: str) -> tuple[list[str], list[str]]:
    """Columns a covariate term uses: ``(numeric_required, any_type)``.

    ``log(x)`` and ``x^2`` need numbers; a plain name or ``C(x)`` may be categorical;
    in ``a:b`` each side follows its own rule. Parsed by :func:`evaltool.terms.parse_term`.
    """
    parsed = parse_term(term)
    parts = parsed.parts if parsed.kind == "interaction" else (parsed,)
    numeric = [p.column for p in parts if p.kind in ("log", "square")]
    loose = [p.column for p in parts if p.kind not in ("log", "square")]
    return numeric, loose


def coerce_binary(series: pd.Series, *, source: str, column: str, role: str = "treatment") -> pd.Series:
    """Map 0/1, true/false (any case, also as strings) to int8; anything else is an error."""
    s = series
    if pd.api.types.is_bool_dtype(s):
        return s.astype("int8")
    if pd.api.types.is_numeric_dtype(s):
        bad = ~s.isin([0, 1])
        if bad.any():
            _bad_values(s[bad], source, column, role)
        return s.astype("int8")
    text = s.astype(str).str.strip().str.lower()
    ok = text.isin(_TRUE | _FALSE)
    if (~ok).any():
        _bad_values(s[~ok], source, column, role)
    return text.isin(_TRUE).astype("int8")


def _bad_values(bad: pd.Series, source: str, column: str, role: str) -> None:
    counts = bad.astype(str).value_counts().sort_index()
    listed = ", ".join(f"{v!r} ({n} row{'s' if n != 1 else ''})" for v, n in list(counts.items())[:6])
    more = f" and {len(counts) - 6} more values" if len(counts) > 6 else ""
    raise DataError(
        f"{source}: column {column!r} ({role}) must be binary (0/1 or true/false); found {listed}{more}"
    )


MOSTLY_NUMERIC = 0.9
"""A text-typed column whose non-empty cells are at least this share numbers is numeric with typos."""

MAX_MAGNITUDE = 1e15
"""Larger absolute values are refused: squares and sums of them lose all precision in float64."""


def _rows(mask: pd.Series | np.ndarray, k: int = 5) -> str:
    """The first ``k`` 1-based data-row numbers where ``mask`` holds (never ids or values)."""
    pos = np.flatnonzero(np.asarray(mask)) + 1
    listed = ", ".join(str(int(p)) for p in pos[:k]) + (", ..." if pos.size > k else "")
    return f"row{'s' if pos.size != 1 else ''} {listed}"


def _text_cells(col: pd.Series) -> tuple[pd.Series, pd.Series, float]:
    """(numbers, mask of non-empty cells that are not numbers, share of non-empty cells that are numbers)."""
    as_text = col.astype("string").str.strip()
    present = col.notna() & as_text.ne("").fillna(False).astype(bool)
    num = pd.to_numeric(as_text.where(present), errors="coerce")
    text = present & num.isna()
    n_present = int(present.sum())
    return num, text, (n_present - int(text.sum())) / n_present if n_present else 1.0


def _numeric_columns(frame: pd.DataFrame, must: Sequence[str], may: Sequence[str], source: str,
                     missing: str) -> tuple[pd.DataFrame, list[DropRecord]]:
    """Convert numeric columns stored as text; text cells in them are errors (or counted drops).

    ``must`` columns are used as numbers (``log(x)``, ``x^2``, process measures, outcome columns):
    any text cell in them is refused. ``may`` columns (plain covariate names, subgroups) are
    numeric when at least :data:`MOSTLY_NUMERIC` of their non-empty cells are numbers; their few
    text cells are then refused too, instead of silently turning the column into a categorical.
    With ``missing: drop`` such cells count as missing and their rows are dropped and reported.
    """
    drops: list[DropRecord] = []
    out = frame
    for col in dict.fromkeys([*must, *may]):
        series = out[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            continue
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        num, text, share = _text_cells(series)
        if not text.any():
            if col in must:
                out = out.assign(**{col: num})
            continue
        if col not in must and share < MOSTLY_NUMERIC:
            continue  # a categorical column
        role = ("is used as a number" if col in must
                else f"holds numbers in {int(share * 100)}% of its cells")
        if missing == "drop":
            drops.append(DropRecord("text in a numeric column", col, int(text.sum()), code="missing"))
            out = out.assign(**{col: num}).loc[~text.to_numpy()]
            continue
        raise DataError(f"{source}: column {col!r} {role} but has {int(text.sum())} text cell(s) "
                        f"({_rows(text)}); correct or empty them, or set data.missing: drop")
    return out, drops


def _finite(frame: pd.DataFrame, cols: Sequence[str], source: str) -> None:
    """Numeric columns must hold finite numbers of a sane magnitude."""
    for col in dict.fromkeys(cols):
        series = frame[col]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        values = series.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(values)
        if inf.any():
            raise DataError(f"{source}: column {col!r} has {int(inf.sum())} infinite value(s) ({_rows(inf)}); "
                            "replace them with finite numbers or empty cells")
        big = np.abs(np.nan_to_num(values)) > MAX_MAGNITUDE
        if big.any():
            raise DataError(f"{source}: column {col!r} has {int(big.sum())} value(s) larger than "
                            f"{MAX_MAGNITUDE:g} in absolute value ({_rows(big)}); rescale the column "
                            "(e.g. to thousands) or correct the values")


def _start_weeks(frame: pd.DataFrame, start: str, source: str) -> pd.DataFrame:
    """The start column holds ISO year-weeks YYYYWW (empty cells are handled as missing values)."""
    from evaltool.weeks import is_valid

    col = frame[start]
    num = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_numeric_dtype(col) else col
    present = col.notna()
    whole = num.notna() & (num == np.floor(num.fillna(0)))
    ok = pd.Series(False, index=col.index)
    ok[whole] = is_valid(num[whole].to_numpy(dtype=np.int64))
    bad = present & ~ok
    if bad.any():
        raise DataError(f"{source}: column {start!r} (start week) must hold ISO year-weeks YYYYWW such as "
                        f"202113; {int(bad.sum())} cell(s) do not ({_rows(bad)})")
    return frame.assign(**{start: num}) if num is not col else frame


def _require(frame: pd.DataFrame, cols: Iterable[str], source: str, role: str) -> None:
    missing = [c for c in dict.fromkeys(cols) if c not in frame.columns]
    if missing:
        avail = ", ".join(list(frame.columns)[:25]) + (" ..." if frame.shape[1] > 25 else "")
        raise DataError(f"{source}: {role} column {missing[0]!r} not found; available columns: {avail}")


def validate_persons(
    frame: pd.DataFrame,
    *,
    source: str,
    id_col: str,
    treatment: str,
    covariates: Sequence[str] = (),
    exact: Sequence[str] = (),
    other: Sequence[str] = (),
    start: str | None = None,
    missing: str = "error",
    numeric: Sequence[str] = (),
) -> tuple[pd.DataFrame, DataReport]:
    """Validate roles and types; returns the cleaned frame and its report.

    Parameters
    ----------
    frame : DataFrame
        One row per person.
    source : str
        File name used in messages.
    covariates : sequence of str
        Covariate terms (grammar of :mod:`evaltool.terms`).
    exact, other : sequence of str
        Exact-matching columns and further columns needed (subgroups, outcomes, process).
    missing : {"error", "drop"}
        What to do with missing values in any used column.
    numeric : sequence of str
        Further columns that must hold numbers (process measures, outcome columns).

    Messages name columns and 1-based data-row numbers, never person ids or values of the id column.
    """
    n_read = len(frame)
    _require(frame, [id_col], source, "id")
    _require(frame, [treatment], source, "treatment")
    must_numeric = list(numeric)
    numeric = []
    loose: list[str] = []
    categorical: list[str] = []
    for term in covariates:
        num, lo = term_column_roles(term)
        numeric += num
        loose += lo
        categorical += re.findall(r"C\((\w+)\)", term)
    _require(frame, numeric + loose, source, "covariate")
    _require(frame, exact, source, "exact-matching")
    _require(frame, other, source, "required")
    _require(frame, must_numeric, source, "numeric")
    if start is not None:
        _require(frame, [start], source, "start week")
        frame = _start_weeks(frame, start, source)
    plain = [c for c in [*loose, *other] if c not in categorical and c not in exact]
    frame, text_drops = _numeric_columns(frame, [*numeric, *must_numeric], plain, source, missing)
    for col in dict.fromkeys(numeric):
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            example = frame[col].dropna().astype(str).head(1).tolist()
            raise DataError(
                f"{source}: column {col!r} must be numeric (it is used in log() or ^2); "
                f"found dtype {frame[col].dtype}" + (f", e.g. {example[0]!r}" if example else "")
            )

    ids = frame[id_col]
    if ids.isna().any():
        raise DataError(f"{source}: id column {id_col!r} has {int(ids.isna().sum())} missing value(s) "
                        f"({_rows(ids.isna())}); every person needs an id")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"{source}: id column {id_col!r} must be unique; {int(ids.duplicated().sum())} duplicate "
            f"row(s) ({_rows(dup)}); keep one row per person"
        )

    used = list(dict.fromkeys([treatment, *numeric, *loose, *exact, *other, *must_numeric]
                              + ([start] if start else [])))
    _finite(frame, [c for c in used if c != treatment], source)
    drops: list[DropRecord] = list(text_drops)
    keep = pd.Series(True, index=frame.index)
    for col in used:
        na = frame[col].isna()
        if na.any():
            n = int((na & keep).sum())
            if missing == "error":
                hint = ("; comparison persons without one can get a pseudo-start: data.pseudo_start: true"
                        if col == start else "")
                raise DataError(
                    f"{source}: column {col!r} has {int(na.sum())} missing value(s) ({_rows(na)}); "
                    f"fix the data or set data.missing: drop{hint}"
                )
            if n:
                drops.append(DropRecord("missing value", col, n, code="missing"))
            keep &= ~na
    out = frame.loc[keep].copy() if not bool(keep.all()) else frame.copy()
    if len(out) == 0:
        raise DataError(f"{source}: no rows left after dropping rows with missing values")
    out[treatment] = coerce_binary(out[treatment], source=source, column=treatment)
    n_t = int(out[treatment].sum())
    if n_t == 0 or n_t == len(out):
        group = "treated" if n_t == 0 else "comparison"
        raise DataError(f"{source}: column {treatment!r} (treatment) has no {group} persons")
    report = DataReport(source=source, n_read=n_read, n_used=len(out), n_treated=n_t,
                        n_control=len(out) - n_t, dropped=tuple(drops))
    return out, report


def apply_sample(frame: pd.DataFrame, rules: Sequence, report: DataReport, *, source: str,
                 treatment: str) -> tuple[pd.DataFrame, DataReport]:
    """Apply sample restrictions (``SampleRule``s), recording how many rows each removed."""
    drops = list(report.dropped)
    out = frame
    for rule in rules:
        if rule.column not in out.columns:
            raise DataError(f"{source}: sample rule column {rule.column!r} not found")
        col = out[rule.column]
        keep = pd.Series(True, index=out.index)
        if rule.values is not None:
            wanted = list(rule.values)
            if pd.api.types.is_numeric_dtype(col):
                keep &= col.isin([v for v in wanted if isinstance(v, (int, float))])
            else:
                keep &= col.astype(str).isin([str(v) for v in wanted])
        if rule.min is not None or rule.max is not None:
            if not pd.api.types.is_numeric_dtype(col):
                raise DataError(f"{source}: sample rule on {rule.column!r} uses min/max but the column is not numeric")
            if rule.min is not None:
                keep &= col >= rule.min
            if rule.max is not None:
                keep &= col <= rule.max
        n_out = int((~keep).sum())
        if n_out:
            spec = {"column": rule.column, "in": None if rule.values is None else list(rule.values),
                    "min": rule.min, "max": rule.max}
            drops.append(DropRecord(f"outside the target group ({rule.describe()})", rule.column, n_out,
                                    code="sample", rule=spec))
        out = out.loc[keep]
    if len(out) == 0:
        raise DataError(f"{source}: the sample restrictions leave no persons")
    n_t = int(out[treatment].sum())
    if n_t == 0 or n_t == len(out):
        raise DataError(f"{source}: after the sample restrictions there are no "
                        f"{'treated' if n_t == 0 else 'comparison'} persons")
    return out, report.with_updates(n_used=len(out), n_treated=n_t, n_control=len(out) - n_t,
                                    dropped=tuple(drops))


