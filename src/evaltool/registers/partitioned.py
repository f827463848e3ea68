"""Register outcomes partitioned by person: K hash partitions, one task each, on any executor.

When one machine cannot hold a register, split it by person: every person (and every
panel row of that person) goes to partition ``hash(person_id) mod K``; each partition
derives its outcomes with the ordinary :func:`~evaltool.registers.derive_outcomes`
(DuckDB over its own parquet file) on an :mod:`evaltool.execution` executor (a Dask
cluster's workers, local processes or sequentially), and the pieces are concatenated in
the persons' order. The data range is fixed once for the whole register, so every
partition censors and checks windows exactly as the unpartitioned run: the result
equals ``derive_outcomes`` on the whole panel.

Examples
--------
>>> import numpy as np
>>> part = hash_partition(np.array([101, 102, 103, 101]), 4)
>>> bool(part[0] == part[3]), bool(part.min() >= 0 and part.max() < 4)
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaltool.exceptions import RegisterError
from evaltool.execution import executor_scope
from evaltool.registers import _panel
from evaltool.registers.codemap import CodeMap
from evaltool.registers.outcomes import DerivedOutcomes, OutcomeSpec, derive_outcomes

__all__ = ["hash_partition", "write_partitioned_panel", "derive_outcomes_partitioned"]

_SUM_KEYS = ("n_persons", "persons_without_panel", "n_person_weeks", "rows_without_person", "rows_empty_code")


def hash_partition(ids: Any, partitions: int) -> np.ndarray:
    """Partition number (0..K-1) per person id: a fixed-key 64-bit hash, the same on every machine."""
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise RegisterError(f"`partitions` must be an integer >= 1; got {partitions!r}")
    values = pd.Index(ids).to_numpy()
    if values.dtype.kind in "iub":
        values = values.astype(np.int64)
    else:
        values = values.astype(str).astype(object)
    return (pd.util.hash_array(values) % np.uint64(partitions)).astype(np.int64)


def write_partitioned_panel(panel: pd.DataFrame | str | Path | Sequence[str], out_dir: str | Path,
                            partitions: int, *, id_col: str = "person_id",
                            batch_rows: int = 4_000_000) -> list[Path]:
    """Write the weekly panel as ``part-00000.parquet`` ... one file per hash partition.

    Parquet input is streamed in record batches (never read whole); the declared data
    range (``evaltool.data_range``) is copied into every file. Returns the file paths in
    partition order.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src = _panel.open_panel(panel, id_col)
    meta = {}
    if src.declared_range:
        meta[_panel.RANGE_KEY] = "-".join(str(int(v)) for v in src.declared_range)

    def batches():
        if src.frame is not None:
            frame = src.frame[[id_col, "week", "code"]]
            for i in range(0, len(frame), batch_rows):
                yield pa.Table.from_pandas(frame.iloc[i:i + batch_rows], preserve_index=False)
        else:
            for f in src.files:
                for b in pq.ParquetFile(f).iter_batches(batch_size=batch_rows, columns=[id_col, "week", "code"]):
                    yield pa.Table.from_batches([b])

    paths = [out / f"part-{k:05d}.parquet" for k in range(partitions)]
    writers: dict[int, Any] = {}
    try:
        for table in batches():
            part = hash_partition(table.column(id_col).to_numpy(zero_copy_only=False), partitions)
            order = np.argsort(part, kind="stable")
            bounds = np.searchsorted(part[order], np.arange(partitions + 1))
            for k in range(partitions):
                rows = order[bounds[k]:bounds[k + 1]]
                if rows.size == 0:
                    continue
                piece = table.take(pa.array(rows))
                if k not in writers:
                    schema = piece.schema.with_metadata({**(piece.schema.metadata or {}),
                                                         **{a.encode(): b.encode() for a, b in meta.items()}})
                    writers[k] = pq.ParquetWriter(paths[k], schema)
                writers[k].write_table(piece.replace_schema_metadata(writers[k].schema.metadata))
    finally:
        for w in writers.values():
            w.close()
    return [p for k, p in enumerate(paths) if k in writers]


def _global_range(panel: Any, id_col: str, data_range: tuple[int, int] | None) -> tuple[int, int]:
    """The register's first and last week (YYYYWW) as the unpartitioned run would see them."""
    if data_range is not None:
        return int(data_range[0]), int(data_range[1])
    src = _panel.open_panel(panel, id_col)
    if src.declared_range:
        return int(src.declared_range[0]), int(src.declared_range[1])
    if src.frame is not None:
        weeks = src.frame["week"]
        return int(weeks.min()), int(weeks.max())
    con = _panel._connect(None)
    lo, hi = con.execute(f"SELECT min(week), max(week) FROM {_panel._source_sql(src, con)}").fetchone()
    return int(lo), int(hi)


def _derive_part(k: int, *, persons: pd.DataFrame, part: np.ndarray, panels: dict[int, Any],
                 code_map: CodeMap, specs: tuple[OutcomeSpec, ...], options: dict[str, Any]) -> DerivedOutcomes | None:
    mine = persons.iloc[np.flatnonzero(part == k)]
    if len(mine) == 0:
        return None
    return derive_outcomes(mine, panels[k], code_map, specs, **options)


def derive_outcomes_partitioned(persons: pd.DataFrame, panel: Any, code_map: CodeMap,
                                specs: Sequence[OutcomeSpec], *, partitions: int = 8, executor: Any = None,
                                id_col: str = "person_id", start_col: str = "start_week",
                                data_range: tuple[int, int] | None = None,
                                **options: Any) -> DerivedOutcomes:
    """:func:`~evaltool.registers.derive_outcomes` split into ``partitions`` person hash partitions.

    Parameters
    ----------
    persons, code_map, specs, id_col, start_col, data_range
        As for :func:`~evaltool.registers.derive_outcomes`.
    panel : DataFrame, list of partition files, or path(s)
        A DataFrame is split in memory; the list returned by :func:`write_partitioned_panel`
        (one file per partition, in partition order) is used as it is, file ``k`` read by task
        ``k`` (on a cluster the files must be on storage every worker can read).
    partitions : int, default 8
        Number of hash partitions K.
    executor : optional
        Anything :func:`evaltool.execution.get_executor` accepts (default sequential).
    **options
        Further keywords of ``derive_outcomes`` (``unknown_codes``, ``engine``, ``memory_limit``...).

    Returns
    -------
    DerivedOutcomes
        ``frame`` in the persons' order, equal to the unpartitioned result; ``report`` counts
        summed over partitions, ``engine`` and ``data_range`` as the unpartitioned run.
    """
    specs = tuple(specs)
    ids, _ = _panel.person_starts(persons, id_col, start_col)
    part = hash_partition(ids, partitions)
    if isinstance(panel, list) and len(panel) == partitions and all(
            Path(p).name == f"part-{k:05d}.parquet" for k, p in enumerate(panel)):
        lo, hi = _global_range(list(map(str, panel)), id_col, data_range)
        panels: dict[int, Any] = {k: str(p) for k, p in enumerate(panel)}
    elif isinstance(panel, pd.DataFrame):
        lo, hi = _global_range(panel, id_col, data_range)
        row_part = hash_partition(panel[id_col].to_numpy(), partitions)
        panels = {k: panel.iloc[np.flatnonzero(row_part == k)] for k in range(partitions)}
    else:
        raise RegisterError("`panel` must be a DataFrame or the file list of write_partitioned_panel "
                            f"with {partitions} files (part-00000.parquet ...); write it first")
    opts = {**options, "id_col": id_col, "start_col": start_col, "data_range": (lo, hi)}
    shared = {"persons": persons, "part": part, "panels": panels, "code_map": code_map, "specs": specs,
              "options": opts}
    with executor_scope(executor) as ex:
        pieces = [p for p in ex.map(_derive_part, list(range(partitions)), shared) if p is not None]
    frame = pd.concat([p.frame for p in pieces]).reindex(pd.Index(ids, name=id_col))
    report: dict[str, Any] = dict(pieces[0].report)
    for key in _SUM_KEYS:
        report[key] = int(sum(p.report[key] for p in pieces))
    unknown: dict[str, int] = {}
    for p in pieces:
        for code, n in p.report["unknown_codes"].items():
            unknown[code] = unknown.get(code, 0) + int(n)
    report["unknown_codes"] = {k: unknown[k] for k in sorted(unknown)}
    report["censored"] = {k: int(sum(p.report["censored"][k] for p in pieces)) for k in report["censored"]}
    report["data_range"] = [int(lo), int(hi)]
    report["partitions"] = int(partitions)
    return DerivedOutcomes(frame=frame, specs=specs, report=report)

