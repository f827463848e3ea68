"""State matrices from a weekly panel: each person's state in each week since start.

A set of *states* is a dict ``name -> code-map categories or groups``; a week whose category is in
no state is ``other``; a week without a row is self-support (the state naming ``self_support``,
else ``other``). :func:`state_matrices` reads several such matrices (journey states, case-duration
support and offer states ...) in **one** pass over the panel: one bitmask aggregate per distinct
category set over the union of the windows that ask for it, then each matrix is sliced out.
:func:`state_matrix` reads one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evaltool.exceptions import RegisterError
from evaltool.registers import _cube, _panel
from evaltool.registers.codemap import CodeMap

__all__ = ["OTHER", "CENSORED", "state_matrix", "state_matrices"]

OTHER = "other"
CENSORED = -1

StateRequest = tuple[dict[str, list[str]], tuple[int, int]]


def _resolve(code_map: CodeMap, states: dict[str, list[str]], weeks: tuple[int, int]
             ) -> tuple[int, int, list[str], list[frozenset[int]], int | None]:
    a, b = (int(v) for v in weeks)
    if a > b:
        raise RegisterError(f"`weeks` must be (a, b) with a <= b; got {weeks!r}")
    idx = code_map.category_index()
    names = list(states)
    cat_sets, self_state = [], None
    taken: dict[str, str] = {}
    for name, members in states.items():
        cats, self_in = code_map.resolve(list(members), what=f"states.{name}")
        for c in cats:
            if c in taken:
                raise RegisterError(f"`states`: category {c!r} is in both {taken[c]!r} and {name!r}; "
                                    "journey states must not overlap")
            taken[c] = name
        if self_in:
            if self_state is not None:
                raise RegisterError(f"`states`: self-support is in both {names[self_state]!r} and {name!r}")
            self_state = names.index(name)
        cat_sets.append(frozenset(idx[c] for c in cats))
    if OTHER in names:
        raise RegisterError(f"`states`: {OTHER!r} is reserved for categories in no state")
    names.append(OTHER)
    return a, b, names, cat_sets, self_state


def state_matrices(persons: pd.DataFrame, panel: Any, code_map: CodeMap, requests: Sequence[StateRequest], *,
                   id_col: str = "person_id", start_col: str = "start_week", unknown_codes: str = "other",
                   engine: str = "auto", memory_limit: str | None = None,
                   data_range: tuple[int, int] | None = None) -> list[tuple[np.ndarray, list[str]]]:
    """One :func:`state_matrix` per ``(states, weeks)`` request, from one pass over the panel.

    Returns the list of ``(matrix, names)``, in the order of ``requests``; each is exactly what
    :func:`state_matrix` returns for that request.
    """
    resolved = [_resolve(code_map, states, weeks) for states, weeks in requests]
    ids, sord = _panel.person_starts(persons, id_col, start_col)
    src = _panel.open_panel(panel, id_col)
    duck = _panel.use_duckdb(src, engine)
    scan = _panel.scan_panel(src, code_map, unknown_codes, duck=duck, memory_limit=memory_limit)
    first, last = _panel.coverage(src, scan, data_range)
    lo_all, hi_all = min(r[0] for r in resolved), max(r[1] for r in resolved)
    found = _panel.cube_for(src, scan, ids, sord, lo_all, hi_all, duck=duck, memory_limit=memory_limit)
    mats = (_from_cube(found, resolved) if found is not None
            else _from_bits(src, scan, ids, sord, resolved, duck, memory_limit))
    out = []
    lo_ok, hi_ok = first - sord, last - sord  # weeks since start inside the register's coverage
    for mat, (a, b, names, _, _) in zip(mats, resolved):
        rel = np.arange(a, b + 1)[None, :]
        mat[(rel < lo_ok[:, None]) | (rel > hi_ok[:, None])] = CENSORED
        out.append((mat, names))
    return out


def _from_cube(found: tuple, resolved: list) -> list[np.ndarray]:
    """The state matrices from the panel as read once for the run (``_cube.py``): one lookup per cell."""
    cube, rows = found
    mats = []
    for a, b, names, cat_sets, self_state in resolved:
        lut = np.full(256, len(names) - 1, dtype=np.int16)  # categories in no state: other
        for k, cs in enumerate(cat_sets):
            lut[np.fromiter(cs, dtype=np.int64, count=len(cs))] = k
        if self_state is not None:
            lut[_cube.EMPTY] = self_state  # a week without a row
        mats.append(lut[cube.window(rows, a, b)])
    return mats


def _from_bits(src: Any, scan: Any, ids: np.ndarray, sord: np.ndarray, resolved: list, duck: bool,
               memory_limit: str | None) -> list[np.ndarray]:
    """The state matrices from bitmask aggregates over the panel."""
    # one bitmask per distinct non-empty category set over the union of the windows asking for it;
    # None (any row) only where a state holds self-support (weeks without a row), else they are `other`
    span: dict[frozenset[int] | None, tuple[int, int]] = {}
    for a, b, _, cat_sets, self_state in resolved:
        for key in [*(cs for cs in cat_sets if cs), *([None] if self_state is not None else [])]:
            lo, hi = span.get(key, (a, b))
            span[key] = (min(lo, a), max(hi, b))
    keys = list(span)
    aggs = [_panel.Agg("bits", span[k][0], span[k][1], k) for k in keys]
    res = _panel.aggregate(src, scan, ids, sord, aggs, duck=duck, memory_limit=memory_limit)
    bits = {k: _unpack(res[f"a{i}"], span[k][1] - span[k][0] + 1) for i, k in enumerate(keys)}
    mats = []
    for a, b, names, cat_sets, self_state in resolved:
        def window(key, a=a, b=b):
            lo = span[key][0]
            return bits[key][:, a - lo:b - lo + 1]

        mat = np.full((len(ids), b - a + 1), len(names) - 1, dtype=np.int16)  # rows in no state: other
        if self_state is not None:
            mat[~window(None)] = self_state
        for k, cs in enumerate(cat_sets):
            if cs:
                mat[window(cs)] = k
        mats.append(mat)
    return mats


def state_matrix(persons: pd.DataFrame, panel: Any, code_map: CodeMap, states: dict[str, list[str]],
                 weeks: tuple[int, int], *, id_col: str = "person_id", start_col: str = "start_week",
                 unknown_codes: str = "other", engine: str = "auto", memory_limit: str | None = None,
                 data_range: tuple[int, int] | None = None) -> tuple[np.ndarray, list[str]]:
    """Journey state of each person in each week ``weeks[0]..weeks[1]`` since start.

    Returns
    -------
    (matrix, names)
        ``matrix`` (persons x weeks, int16): index into ``names`` (the states, then ``other``),
        or ``-1`` where the week lies outside the register's coverage. States must not overlap.

    Examples
    --------
    >>> import pandas as pd
    >>> from evaltool.registers import load_code_map, default_code_map_path
    >>> cm = load_code_map(default_code_map_path())
    >>> persons = pd.DataFrame({"person_id": [1], "start_week": [202310]})
    >>> panel = pd.DataFrame({"person_id": [1, 1], "week": [202310, 202311], "code": [130, 421]})
    >>> m, names = state_matrix(persons, panel, cm, {"cash": ["kontanthjaelp"], "plc": ["placement"],
    ...                         "job": ["self_support"]}, (0, 2), data_range=(202301, 202352))
    >>> [names[i] for i in m[0]]
    ['cash', 'plc', 'job']
    """
    return state_matrices(persons, panel, code_map, [(states, weeks)], id_col=id_col, start_col=start_col,
                          unknown_codes=unknown_codes, engine=engine, memory_limit=memory_limit,
                          data_range=data_range)[0]


def _unpack(words: np.ndarray, n_w: int) -> np.ndarray:
    as_bytes = np.ascontiguousarray(words.astype("<u8")).view(np.uint8).reshape(len(words), -1)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :n_w].astype(bool)
