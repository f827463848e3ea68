"""Process measures from a contact log, and their effects on the matched design.

Per person, over the first ``follow_up_days`` days from the Monday of the start week:

``meetings_scheduled``  scheduled contacts (kinds in ``scheduled_kinds``), whatever their status
``meetings_held``       scheduled contacts attended
``no_show_rate``        no-shows / scheduled (NA without a scheduled contact)
``cancellation_rate``   cancellations (afbud) / scheduled (NA without a scheduled contact)
``spontaneous_visits``  attended contacts flagged spontaneous (open counselling)
``days_to_first_meeting`` days from start to the first held scheduled contact (NA if none)
``n_caseworkers``       distinct caseworkers over held contacts (0 if none)
``continuity_index``    share of held contacts with the person's most frequent caseworker (NA if none)
``own_caseworker_share`` share of held contacts with the assigned caseworker (if ``persons`` has one)
``same_caseworker_across_change`` 1 if the last held contact before a benefit/target-group change
                        and the first one after it are with the same caseworker, else 0 (NA without
                        a change, given as days since start in ``change_day``, or without held
                        contacts on both sides)

Effects of outreach on every measure come from :func:`evaltool.estimate` on the design (pairs or
weights, cluster-robust as the design calls for): rows with ``ci_low``/``ci_high``.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaltool._result import ResultMixin, frame_records, jsonable
from evaltool.exceptions import DataError, DataWarning

__all__ = ["MEASURES", "RATES", "process_measures", "ProcessResult", "run_process", "process_effects",
           "run_column_effects"]

MEASURES = ("meetings_scheduled", "meetings_held", "no_show_rate", "cancellation_rate", "spontaneous_visits",
            "days_to_first_meeting", "n_caseworkers", "continuity_index", "own_caseworker_share",
            "same_caseworker_across_change")
RATES = ("no_show_rate", "cancellation_rate", "continuity_index", "own_caseworker_share",
         "same_caseworker_across_change")


def _start_dates(weeks: np.ndarray) -> np.ndarray:
    u = np.unique(weeks)
    mon = np.array([np.datetime64(_dt.date.fromisocalendar(int(w) // 100, int(w) % 100, 1)) for w in u],
                   dtype="datetime64[D]")
    return mon[np.searchsorted(u, weeks)]


def process_measures(log: pd.DataFrame, persons: pd.DataFrame, spec: Any, *, id_col: str = "person_id",
                     start_col: str = "start_week", caseworker_col: str | None = "caseworker_id",
                     change_day: Any = None) -> pd.DataFrame:
    """Per-person process measures (``spec``: a :class:`ContactsSpec`), indexed by person id.

    Examples
    --------
    >>> import pandas as pd
    >>> from evaltool.process import ContactsSpec
    >>> persons = pd.DataFrame({"person_id": [1], "start_week": [202401], "caseworker_id": [7]})
    >>> log = pd.DataFrame({"person_id": [1, 1, 1], "date": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-02-01"]),
    ...                     "kind": "meeting", "status": ["attended", "no_show", "attended"],
    ...                     "caseworker_id": [7, 7, 8], "spontaneous": False})
    >>> m = process_measures(log, persons, ContactsSpec())
    >>> m.loc[1, ["meetings_scheduled", "meetings_held", "days_to_first_meeting", "continuity_index"]].tolist()
    [3.0, 2.0, 9.0, 0.5]
    """
    c = spec.columns
    need = [c.person, c.date, c.kind, c.status, c.caseworker] + ([c.spontaneous] if c.spontaneous else [])
    missing = [x for x in need if x not in log.columns]
    if missing:
        raise DataError(f"contact log: column(s) {', '.join(missing)} not found; set contacts.columns "
                        f"(available: {', '.join(map(str, log.columns))})")
    status = log[c.status].astype(str)
    known = set(spec.attended) | set(spec.no_show) | set(spec.cancelled)
    bad = sorted(set(status.unique()) - known)
    if bad:
        raise DataError(f"contact log: column {c.status!r} has value(s) {', '.join(map(repr, bad[:5]))} not listed "
                        f"under contacts.attended/no_show/cancelled")
    ids = persons[id_col].to_numpy()
    pidx = pd.Index(ids).get_indexer(log[c.person].to_numpy())
    day0 = _start_dates(persons[start_col].to_numpy().astype(np.int64))
    dates = pd.to_datetime(log[c.date]).to_numpy().astype("datetime64[D]")
    inside = pidx >= 0
    days = np.full(len(log), -1, dtype=np.int64)
    days[inside] = (dates[inside] - day0[pidx[inside]]).astype(np.int64)
    keep = inside & (days >= 0) & (days < spec.follow_up_days)
    p = pidx[keep]
    d = days[keep]
    st = status.to_numpy()[keep]
    sched = log[c.kind].astype(str).isin(spec.scheduled_kinds).to_numpy()[keep]
    held = np.isin(st, spec.attended)
    ns = np.isin(st, spec.no_show)
    cx = np.isin(st, spec.cancelled)
    spont = (log[c.spontaneous].fillna(False).astype(bool).to_numpy()[keep] if c.spontaneous
             else np.zeros(len(p), bool))
    n = len(ids)
    cnt = lambda m: np.bincount(p[m], minlength=n).astype(float)  # noqa: E731
    n_sched = cnt(sched)
    out = pd.DataFrame(index=pd.Index(ids, name=id_col))
    out["meetings_scheduled"] = n_sched
    out["meetings_held"] = cnt(sched & held)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["no_show_rate"] = np.where(n_sched > 0, cnt(sched & ns) / n_sched, np.nan)
        out["cancellation_rate"] = np.where(n_sched > 0, cnt(sched & cx) / n_sched, np.nan)
    out["spontaneous_visits"] = cnt(spont & held)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, p[sched & held], d[sched & held])
    out["days_to_first_meeting"] = np.where(first < np.iinfo(np.int64).max, first, np.nan).astype(float)
    hp = p[held]
    cw = log[c.caseworker].to_numpy()[keep][held]
    pairs = pd.DataFrame({"p": hp, "cw": cw}).value_counts().rename("k").reset_index()
    n_held = np.bincount(hp, minlength=n).astype(float)
    out["n_caseworkers"] = np.bincount(pairs["p"].to_numpy(), minlength=n).astype(float)
    top = np.zeros(n)
    np.maximum.at(top, pairs["p"].to_numpy(), pairs["k"].to_numpy().astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["continuity_index"] = np.where(n_held > 0, top / n_held, np.nan)
        if caseworker_col and caseworker_col in persons.columns:
            own = persons[caseworker_col].to_numpy()[hp] == cw
            out["own_caseworker_share"] = np.where(n_held > 0, np.bincount(hp, weights=own.astype(float),
                                                                           minlength=n) / n_held, np.nan)
        else:
            out["own_caseworker_share"] = np.nan
    out["same_caseworker_across_change"] = _across_change(hp, d[held], cw, n, ids, change_day)
    return out


def _across_change(hp: np.ndarray, day: np.ndarray, cw: np.ndarray, n: int, ids: np.ndarray,
                   change_day: Any) -> np.ndarray:
    """1/0 same caseworker on both sides of the change day, NA where not defined."""
    out = np.full(n, np.nan)
    if change_day is None:
        return out
    ch = (change_day.reindex(ids) if isinstance(change_day, pd.Series) else pd.Series(np.asarray(change_day, float),
                                                                                       index=ids))
    ch = ch.to_numpy(dtype=float)
    if len(ch) != n:
        raise DataError(f"`change_day` must give one value per person; got {len(ch)} for {n} persons")
    f = pd.DataFrame({"p": hp, "day": day, "cw": cw}).sort_values(["p", "day"], kind="stable")
    f["change"] = ch[f["p"].to_numpy()]
    f = f[np.isfinite(f["change"].to_numpy())]
    before = f[f["day"] < f["change"]].groupby("p")["cw"].last()
    after = f[f["day"] >= f["change"]].groupby("p")["cw"].first()
    both = before.index.intersection(after.index)
    out[both.to_numpy()] = (before.loc[both].to_numpy() == after.loc[both].to_numpy()).astype(float)
    return out


@dataclass(frozen=True)
class ProcessResult(ResultMixin):
    """The ``process`` results block: one effect row per measure (with ``ci_low``/``ci_high``)
    plus group means; ``measures`` (per person) stays in memory and is never published."""

    rows: pd.DataFrame
    measures: pd.DataFrame
    spec: dict[str, Any]

    _title = "Process measures"

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def to_dict(self) -> dict[str, Any]:
        return {"spec": jsonable(self.spec), "effects": frame_records(self.rows)}

    def __repr__(self) -> str:
        return f"ProcessResult(rows={len(self.rows)}, persons={len(self.measures)})"


def run_process(log: pd.DataFrame, design: Any, spec: Any, *, id_col: str = "person_id", start_col: str = "start_week",
                caseworker_col: str | None = "caseworker_id", extra: pd.DataFrame | None = None,
                change_day: Any = None, subgroups: list[str] | None = None) -> ProcessResult:
    """Process measures and their effects on ``design`` (a matching or weighting design).

    ``design.data`` holds the persons (``id_col``, ``start_col``); ``extra`` adds more per-person
    outcomes indexed like ``design.data`` (e.g. social outcomes or case-duration indicators).
    ``change_day`` (days since start of a benefit/target-group change, per person id) enables
    ``same_caseworker_across_change``; ``subgroups`` (columns of ``design.data``) adds subgroup rows.
    Measures without a value for anyone in a group are reported as not estimable.
    """
    data = design.data
    measures = process_measures(log, data, spec, id_col=id_col, start_col=start_col, caseworker_col=caseworker_col,
                                change_day=change_day)
    frame = pd.DataFrame(measures.to_numpy(), index=data.index, columns=measures.columns)
    if extra is not None:
        frame = frame.join(extra, how="left")
    rows = process_effects(design, frame, alpha=spec.alpha, percent=[r for r in RATES if r in frame.columns],
                           subgroups=subgroups)
    rows.insert(1, "source", "contacts")
    return ProcessResult(rows=rows, measures=measures, spec=spec.model_dump())


def process_effects(design: Any, frame: pd.DataFrame, *, alpha: float = 0.05, percent: list[str] | None = None,
                    subgroups: list[str] | None = None) -> pd.DataFrame:
    """Effect rows (``indicator`` first) of ``design`` on each per-person measure of ``frame``.

    ``frame`` is indexed like ``design.data``; ``percent`` names the measures that are shares
    (reported in percent / percentage points). A measure without a value for anyone in one group
    of the design is a row with only its ``note`` ("not estimable: ...").
    """
    from evaltool.effects import estimate

    data = design.data
    in_design = design.weights.reindex(data.index).fillna(0).to_numpy() > 0
    t = design.treat.reindex(data.index).to_numpy()
    frame = frame.reindex(data.index)
    usable = [col for col in frame.columns
              if all(np.isfinite(frame[col].to_numpy(dtype=float)[in_design & (t == g)]).any() for g in (0, 1))]
    skipped = [col for col in frame.columns if col not in usable]
    rows = pd.DataFrame({"outcome": []})
    if usable:
        with warnings.catch_warnings():  # rates are NA for persons without meetings, by definition
            warnings.simplefilter("ignore", category=DataWarning)
            res = estimate(design, frame[usable], alpha=alpha, percent=[r for r in percent or () if r in usable],
                           subgroups=subgroups)
        rows = pd.concat([res.effects, res.subgroups], ignore_index=True) if len(res.subgroups) else res.effects.copy()
    if skipped:
        na = pd.DataFrame({"outcome": skipped, "note": "not estimable: no values in one group"})
        rows = pd.concat([rows, na], ignore_index=True) if len(rows) else na
    return rows.rename(columns={"outcome": "indicator"})


def run_column_effects(design: Any, persons: pd.DataFrame, columns: list[str], *, alpha: float = 0.05) -> ProcessResult:
    """Effects on the person-level process columns of the config's ``process:`` list (numbers; other values NA)."""
    missing = [c for c in columns if c not in persons.columns]
    if missing:
        raise DataError(f"`process` names column(s) {', '.join(missing)}, not in the person data; "
                        f"columns: {', '.join(map(str, persons.columns[:20]))}")
    frame = persons[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    rows = process_effects(design, frame, alpha=alpha)
    rows.insert(1, "source", "column")
    return ProcessResult(rows=rows, measures=frame, spec={"columns": list(columns), "alpha": alpha})
