"""The one pass over a Parquet weekly panel at load time (registers/_onepass.py): the same content
hash as DuckDB, the same scan and the same cube as reading the panel per request, and the old path
whenever the pass does not apply."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evaltool.data.fingerprint import content_hash, int_hash
from evaltool.exceptions import RegisterError
from evaltool.registers import _cube, _panel, derive_outcomes
from evaltool.registers import _onepass
from evaltool.registers._onepass import read_panel
from evaltool.registers.states import state_matrices

TYPES = [("TINYINT", np.int8), ("SMALLINT", np.int16), ("INTEGER", np.int32), ("BIGINT", np.int64),
         ("UTINYINT", np.uint8), ("USMALLINT", np.uint16), ("UINTEGER", np.uint32), ("UBIGINT", np.uint64)]
# the requests `evaltool run` makes and the simulated panel (1500 persons, 3 row groups) they are made of
from tests.test_registers_cube import PRE, SPECS, STATES, _requests, sim  # noqa: E402,F401


@pytest.mark.parametrize("sql_type, dtype", TYPES)
def test_int_hash_is_duckdbs_hash(sql_type, dtype):
    info = np.iinfo(dtype)
    vals = np.array([info.min, info.min + 1, 0, 1, 7, 202314, info.max - 1, info.max], dtype=object)
    vals = np.array([v for v in vals if info.min <= v <= info.max], dtype=dtype)
    con = duckdb.connect()
    want = [con.execute(f"SELECT hash(CAST(? AS {sql_type}))", [int(v)]).fetchone()[0] for v in vals]
    np.testing.assert_array_equal(int_hash(vals), np.array(want, dtype=np.uint64))


def _write(path: Path, frame: pd.DataFrame, row_group_size: int = 5000) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group_size)
    return path


def _hash(path: Path) -> str | None:
    with _panel.panel_cache():
        return read_panel(path, "person_id")


def test_hash_equals_duckdb_content_hash(sim, tmp_path):
    persons, path, cm = sim
    assert read_panel(path, "person_id") is None  # outside evaltool run's panel cache: DuckDB hashes
    assert _hash(path) == content_hash(path)
    panel = pd.read_parquet(path)
    rng = np.random.default_rng(3)
    # more columns of other integer types, negative and wide values, shuffled rows, small row groups
    odd = panel.assign(flag=rng.integers(-128, 127, len(panel)).astype(np.int8),
                       big=rng.integers(-2 ** 62, 2 ** 62, len(panel)).astype(np.int64),
                       u=rng.integers(0, 2 ** 32 - 1, len(panel)).astype(np.uint32)).sample(frac=1.0, random_state=1)
    odd_path = _write(tmp_path / "odd.parquet", odd, 777)
    assert _hash(odd_path) == content_hash(odd_path)
    wide = panel.assign(person_id=panel["person_id"] * 10 ** 9 + 12345)  # ids too wide for a lookup table
    wide_path = _write(tmp_path / "wide.parquet", wide)
    assert _hash(wide_path) == content_hash(wide_path)
    empty_path = _write(tmp_path / "empty.parquet", panel.iloc[:0])
    assert _hash(empty_path) == content_hash(empty_path)


def test_the_pass_steps_aside_for_other_columns_and_missing_values(sim, tmp_path):
    persons, path, cm = sim
    panel = pd.read_parquet(path)
    floats = _write(tmp_path / "float.parquet", panel.assign(code=panel["code"].astype(float)))
    text = _write(tmp_path / "text.parquet", panel.assign(note="x"))
    missing = _write(tmp_path / "missing.parquet", panel.assign(code=panel["code"].astype("Int16").mask(
        panel.index == len(panel) - 1)))
    for p in (floats, text, missing):
        with _panel.panel_cache(weeks=(-104, 156)):
            assert read_panel(p, "person_id", cm, persons=persons) is None
            assert _cube.active().cubes == [] and _cube.active().scans == {}


def _run_requests(persons, path, cm):
    return _requests(persons, str(path), cm, "auto")


@pytest.mark.parametrize("layout", ["as written", "no statistics", "one thread"])
def test_cube_from_the_pass_equals_reading_the_panel(sim, layout, tmp_path, monkeypatch):
    """Row groups read by threads (tables sized by the file's statistics), or in order with growing
    tables (no statistics), or by one thread: the same cube as from DuckDB's rows."""
    persons, path, cm = sim
    if layout == "no statistics":
        path = tmp_path / "nostats.parquet"
        pq.write_table(pq.read_table(sim[1]), path, row_group_size=3000, write_statistics=False)
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).statistics is None
    if layout == "one thread":
        monkeypatch.setattr(_onepass, "THREADS", 1)
    plain = _run_requests(persons, path, cm)
    with _panel.panel_cache(weeks=(-104, 156)):
        with _panel.panel_cache(weeks=(-104, 156)):  # the cube built from DuckDB rows, as before
            _run_requests(persons, path, cm)
            old = _cube.active().cubes[0]
        assert read_panel(path, "person_id", cm, "error", persons=persons) == content_hash(path)
        new = _cube.active().cubes[0]
        for name in ("cells", "n_all", "ids", "sord", "code_values", "code_cats"):
            np.testing.assert_array_equal(getattr(new, name), getattr(old, name))
        assert (new.lo, new.hi, new.duplicates, new.key) == (old.lo, old.hi, old.duplicates, old.key)

        def no_reads(*a, **k):
            raise AssertionError("the panel was read again")

        for name in ("_row_batches", "_aggregate_duckdb", "_aggregate_pandas", "_connect"):
            monkeypatch.setattr(_panel, name, no_reads)
        cached = _run_requests(persons, path, cm)
    for a, b in zip(plain[:2], cached[:2]):
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
        assert a.report == b.report
    pd.testing.assert_frame_equal(plain[2].to_frame(), cached[2].to_frame(), check_exact=True)
    np.testing.assert_array_equal(plain[3], cached[3])


def test_panel_errors_are_reported_by_the_first_request(sim, tmp_path):
    persons, path, cm = sim
    panel = pd.read_parquet(path)
    bad_week = _write(tmp_path / "week.parquet", panel.assign(week=panel["week"].where(panel.index != 5, 202060)))
    unknown = _write(tmp_path / "code.parquet", panel.assign(code=panel["code"].where(panel.index != 9, 4321)))
    pid, start = (int(v) for v in persons[["person_id", "start_week"]].iloc[3])
    row = panel[(panel["person_id"] == pid) & (panel["week"] == start)]
    doubled = _write(tmp_path / "dup.parquet", pd.concat([panel, row], ignore_index=True))
    for p in (bad_week, unknown, doubled):
        with pytest.raises(RegisterError) as plain:
            derive_outcomes(persons, str(p), cm, SPECS + PRE, check_weeks=(-52, 156))
        with _panel.panel_cache(weeks=(-104, 156)), pytest.raises(RegisterError) as cached:
            assert read_panel(p, "person_id", cm, "error", persons=persons) == content_hash(p)
            derive_outcomes(persons, str(p), cm, SPECS + PRE, check_weeks=(-52, 156))
        assert str(cached.value) == str(plain.value)
    # with unknown codes counted as `other`, the cube maps them there too
    with _panel.panel_cache(weeks=(-104, 156)):
        read_panel(unknown, "person_id", cm, "other", persons=persons)
        assert _cube.active().cubes
        cached = derive_outcomes(persons, str(unknown), cm, SPECS, unknown_codes="other")
        mats = state_matrices(persons, str(unknown), cm, [(STATES, (0, 116))])
    pd.testing.assert_frame_equal(cached.frame, derive_outcomes(persons, str(unknown), cm, SPECS,
                                                                unknown_codes="other").frame, check_exact=True)
    np.testing.assert_array_equal(mats[0][0], state_matrices(persons, str(unknown), cm, [(STATES, (0, 116))])[0][0])
