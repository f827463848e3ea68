"""Outcomes from a weekly status register, relative to each person's start week.

Week 0 is the start week; week 1 the first week after it. Kinds:

``any``       1 if at least one week in ``window = (a, b)`` is in the categories, else 0.
``share``     share of the ``b - a + 1`` weeks in ``[a, b]`` that are in the categories.
``status_at`` 1 if week ``week`` is in the categories, else 0.
``time_to``   weeks from start to the first week in ``[1, horizon]`` in the categories
              (column ``<name>``) and whether it happened (``<name>_event``); persons without
              an event are censored at ``horizon`` or at the register's last week if earlier.

Categories are category or group names of the code map; ``self_support`` (a week without a row)
may be combined with them. A person without any rows is self-supported throughout (and counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaltool._checks import check_choice, check_int
from evaltool._result import ResultMixin, jsonable
from evaltool.exceptions import RegisterError
from evaltool.registers import _panel
from evaltool.registers.codemap import CodeMap
from evaltool.weeks import from_ordinal

__all__ = ["OutcomeSpec", "DerivedOutcomes", "derive_outcomes", "KINDS"]

KINDS = ("any", "status_at", "share", "time_to")


@dataclass(frozen=True)
class OutcomeSpec:
    """A register outcome (validated on construction).

    Parameters
    ----------
    name : str
        Column name of the outcome.
    kind : {"any", "status_at", "share", "time_to"}
    categories : tuple of str
        Category or group names of the code map, and/or ``self_support``.
    window : (int, int), optional
        Weeks ``(a, b)`` relative to start, inclusive; needed for ``any`` and ``share``.
    week : int, optional
        The week for ``status_at``.
    horizon : int, optional
        Follow-up in weeks for ``time_to`` (>= 1).

    Examples
    --------
    >>> OutcomeSpec("placement_52w", "any", ("virksomhedspraktik", "loentilskud"), window=(1, 52))
    OutcomeSpec(name='placement_52w', kind='any', categories=('virksomhedspraktik', 'loentilskud'), window=(1, 52), week=None, horizon=None)
    """

    name: str
    kind: str
    categories: tuple[str, ...]
    window: tuple[int, int] | None = None
    week: int | None = None
    horizon: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise RegisterError(f"`name` must be an identifier; got {self.name!r}")
        check_choice("kind", self.kind, KINDS, exc=RegisterError)
        cats = self.categories
        if isinstance(cats, str) or not cats or not all(isinstance(c, str) for c in cats):
            raise RegisterError(f"`categories` must be a non-empty tuple of names; got {cats!r} ({self.name})")
        object.__setattr__(self, "categories", tuple(cats))
        k = self.kind
        if k in ("any", "share"):
            w = self.window
            if w is None or len(w) != 2:
                raise RegisterError(f"outcome {self.name!r}: kind {k!r} needs `window` (a, b); got {w!r}")
            a, b = (check_int("window", v, exc=RegisterError) for v in w)
            if a > b:
                raise RegisterError(f"outcome {self.name!r}: `window` must be (a, b) with a <= b; got ({a}, {b})")
            object.__setattr__(self, "window", (a, b))
        elif self.window is not None:
            raise RegisterError(f"outcome {self.name!r}: kind {k!r} takes no `window`")
        if k == "status_at":
            if self.week is None:
                raise RegisterError(f"outcome {self.name!r}: kind 'status_at' needs `week`")
            check_int("week", self.week, exc=RegisterError)
        elif self.week is not None:
            raise RegisterError(f"outcome {self.name!r}: kind {k!r} takes no `week`")
        if k == "time_to":
            if self.horizon is None:
                raise RegisterError(f"outcome {self.name!r}: kind 'time_to' needs `horizon`")
            check_int("horizon", self.horizon, low=1, exc=RegisterError)
        elif self.horizon is not None:
            raise RegisterError(f"outcome {self.name!r}: kind {k!r} takes no `horizon`")

    @property
    def weeks(self) -> tuple[int, int]:
        """The weeks relative to start this outcome reads (inclusive)."""
        if self.kind in ("any", "share"):
            return self.window  # type: ignore[return-value]
        if self.kind == "status_at":
            return (int(self.week), int(self.week))  # type: ignore[arg-type]
        return (1, int(self.horizon))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "categories": list(self.categories),
                "window": list(self.window) if self.window else None, "week": self.week, "horizon": self.horizon}


@dataclass(frozen=True)
class DerivedOutcomes(ResultMixin):
    """Outcomes per person (``frame``, indexed by person id) and what was found on the way (``report``)."""

    frame: pd.DataFrame
    specs: tuple[OutcomeSpec, ...]
    report: dict[str, Any] = field(default_factory=dict)

    _title = "Register outcomes"

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome column: mean, number of persons with a value."""
        rows = [{"outcome": c, "mean": float(self.frame[c].mean()), "n": int(self.frame[c].notna().sum())}
                for c in self.frame.columns]
        return pd.DataFrame(rows, columns=["outcome", "mean", "n"])

    def to_dict(self) -> dict[str, Any]:
        return {"outcomes": [s.to_dict() for s in self.specs], "summary": jsonable(self.to_frame()),
                "report": jsonable(self.report)}


def _show(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _window_check(spec: OutcomeSpec, ids, sord, first: int, last: int, start_col: str) -> None:
    a, b = spec.weeks
    if spec.kind == "time_to":
        bad = sord + 1 > last
        what = f"has no follow-up (start at or after the register's last week {int(from_ordinal(last))})"
    else:
        bad = (sord + a < first) | (sord + b > last)
        what = (f"window [{a}, {b}] lies outside the register's weeks "
                f"{int(from_ordinal(first))}-{int(from_ordinal(last))}")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RegisterError(f"outcome {spec.name!r}: {what} for {int(bad.sum())} person(s), e.g. one with "
                            f"{start_col} {int(from_ordinal(sord[i]))}; shorten the window "
                            "or restrict the persons")


def _plan(specs, code_map: CodeMap):
    """Aggregates needed by each spec (shared between engines)."""
    idx = code_map.category_index()
    aggs: list[_panel.Agg] = []
    plan = []
    for s in specs:
        cats, self_in = code_map.resolve(s.categories, what=f"outcomes.{s.name}.categories")
        cset = frozenset(idx[c] for c in cats)
        a, b = s.weeks
        if s.kind == "time_to":
            # with self-support: first week NOT covered by a row outside the categories;
            # without: first week covered by a row inside them.
            aggs.append(_panel.Agg("bits", 1, b, cset, negate=self_in))
            plan.append((s, self_in, len(aggs) - 1, None))
        else:
            aggs.append(_panel.Agg("count", a, b, cset))
            i, j = len(aggs) - 1, None
            if self_in:
                aggs.append(_panel.Agg("count", a, b, None))
                j = len(aggs) - 1
            plan.append((s, self_in, i, j))
    return aggs, plan


def _finish(plan, res, sord, last: int) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for s, self_in, i, j in plan:
        a, b = s.weeks
        if s.kind == "time_to":
            words = res[f"a{i}"]
            t = 1 + _panel.first_set_bit(~words if self_in else words)
            follow = np.minimum(b, last - sord)
            event = t <= follow
            cols[s.name] = np.where(event, t, follow).astype(np.int32)
            cols[f"{s.name}_event"] = event.astype(np.int8)
            continue
        weeks_in = res[f"a{i}"]
        if self_in:
            weeks_in = weeks_in + (b - a + 1) - res[f"a{j}"]
        if s.kind == "share":
            cols[s.name] = weeks_in / float(b - a + 1)
        else:
            cols[s.name] = (weeks_in > 0).astype(np.int8)
    return cols


def _duplicate_example(src: _panel.PanelSource, person: Any, duck: bool, memory_limit: str | None = None) -> int:
    """A week at which ``person`` has more than one row."""
    if not duck:
        f = src.frame
        sub = f.loc[f[src.id_col] == person, "week"]
        return int(sub[sub.duplicated()].iloc[0])
    con = _panel._connect(memory_limit)
    rel = _panel._source_sql(src, con)
    row = con.execute(f"SELECT week FROM {rel} WHERE \"{src.id_col}\" = ? AND code IS NOT NULL "
                      "GROUP BY week HAVING count(*) > 1 ORDER BY week LIMIT 1",
                      [person.item() if isinstance(person, np.generic) else person]).fetchone()
    con.close()
    return int(row[0])


def derive_outcomes(persons: pd.DataFrame, panel: Any, code_map: CodeMap, specs, *,
                    id_col: str = "person_id", start_col: str = "start_week", unknown_codes: str = "error",
                    engine: str = "auto", data_range: tuple[int, int] | None = None,
                    memory_limit: str | None = None,
                    check_weeks: tuple[int, int] | None = None) -> DerivedOutcomes:
    """Compute register outcomes for every person.

    Parameters
    ----------
    persons : DataFrame
        One row per person with ``id_col`` (column or index name) and ``start_col`` (YYYYWW).
    panel : DataFrame, str or Path
        Weekly status panel (``id_col``, ``week``, ``code``) or parquet path/glob.
    code_map : CodeMap
    specs : sequence of OutcomeSpec
    id_col, start_col : str
    unknown_codes : {"error", "other"}
        Codes missing from the code map raise (listed with counts) or count as category ``other``.
    engine : {"auto", "pandas", "duckdb"}
        ``auto`` uses DuckDB for parquet input and frames above 5 million rows. Both give identical results.
    data_range : (int, int), optional
        First and last week (YYYYWW) the register covers; default: the range declared by the panel
        (``DataFrame.attrs["evaltool.data_range"]`` or the parquet metadata key of that name, as the
        simulator writes), else the panel's first and last week.
    memory_limit : str, optional
        DuckDB memory limit, e.g. ``"4GB"``.
    check_weeks : (int, int), optional
        Weeks since start (a, b) in which duplicate person-weeks are also an error, besides the
        outcome windows (e.g. the trajectory window ``(-52, 156)``); duplicates are always
        checked within the outcome windows.

    Returns
    -------
    DerivedOutcomes
        ``frame`` indexed by person id (persons order); ``report`` with ``n_persons``,
        ``persons_without_panel``, ``n_person_weeks``, ``rows_without_person``, ``rows_empty_code``,
        ``unknown_codes`` ({code: rows}), ``data_range``, ``engine``, ``censored`` (per time_to outcome).

    Raises
    ------
    RegisterError
        Unknown codes (``unknown_codes="error"``), duplicate person-weeks, invalid weeks, missing start
        weeks, or windows reaching outside the register's weeks.

    Examples
    --------
    Internship or wage subsidy (the code map's group ``placement``) in weeks 1-52 after start,
    and self-support in week 26:

    >>> import evaltool
    >>> from evaltool.registers import OutcomeSpec
    >>> sim = evaltool.simulate_study(n=300, seed=1)
    >>> specs = [OutcomeSpec("placement_52w", "any", ("placement",), window=(1, 52)),
    ...          OutcomeSpec("self_support_26w", "status_at", ("self_support",), week=26)]
    >>> out = evaltool.derive_outcomes(sim.persons, sim.weekly_status, sim.code_map, specs)
    >>> out.frame.mean().round(2).to_dict()
    {'placement_52w': 0.14, 'self_support_26w': 0.35}
    >>> out.report["n_persons"], out.report["unknown_codes"]
    (300, {})
    """
    check_choice("unknown_codes", unknown_codes, ("error", "other"), exc=RegisterError)
    check_choice("engine", engine, ("auto", "pandas", "duckdb"), exc=RegisterError)
    specs = tuple(specs)
    if not specs or not all(isinstance(s, OutcomeSpec) for s in specs):
        raise RegisterError("`specs` must be a non-empty sequence of OutcomeSpec")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise RegisterError(f"outcome names must be unique; got {names}")
    ids, sord = _panel.person_starts(persons, id_col, start_col)
    src = _panel.open_panel(panel, id_col)
    duck = _panel.use_duckdb(src, engine)
    scan = _panel.scan_panel(src, code_map, unknown_codes, duck=duck, memory_limit=memory_limit)
    first, last = _panel.coverage(src, scan, data_range)
    for s in specs:
        _window_check(s, ids, sord, first, last, start_col)
    aggs, plan = _plan(specs, code_map)
    lo = min(s.weeks[0] for s in specs)
    hi = max(s.weeks[1] for s in specs)
    if check_weeks is not None:
        lo, hi = min(lo, int(check_weeks[0])), max(hi, int(check_weeks[1]))
    aggs = [*aggs, _panel.Agg("count", lo, hi), _panel.Agg("bits", lo, hi)]
    res = _panel.aggregate(src, scan, ids, sord, aggs, duck=duck, memory_limit=memory_limit)
    n_rows_range = res[f"a{len(aggs) - 2}"]
    n_weeks_range = np.bitwise_count(res[f"a{len(aggs) - 1}"]).sum(axis=1)
    dup = n_rows_range > n_weeks_range
    if dup.any():
        person = ids[int(np.flatnonzero(dup)[0])]
        week = _duplicate_example(src, person, duck, memory_limit)
        raise RegisterError(f"{src.label}: {int(dup.sum())} person(s) have more than one row in a week, "
                            f"e.g. in week {week}; the panel must hold one code per person-week")
    cols = _finish(plan, res, sord, last)
    index = pd.Index(ids, name=id_col)
    frame = pd.DataFrame(cols, index=index)
    n_all = res["n_all"]
    report = {
        "engine": "duckdb" if duck else "pandas",
        "n_persons": int(len(ids)),
        "persons_without_panel": int((n_all == 0).sum()),
        "n_person_weeks": int(n_all.sum()),
        "rows_without_person": int(scan.n_rows - scan.n_empty_code - n_all.sum()),
        "rows_empty_code": scan.n_empty_code,
        "unknown_codes": {str(k): v for k, v in scan.unknown.items()},
        "data_range": [int(from_ordinal(first)), int(from_ordinal(last))],
        "censored": {s.name: int((cols[f"{s.name}_event"] == 0).sum()) for s in specs if s.kind == "time_to"},
    }
    return DerivedOutcomes(frame=frame, specs=specs, report=report)
