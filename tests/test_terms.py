"""Covariate grammar and R-compatible design matrices (contract tests)."""

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import DataError, EvaltoolError
from evaltool.terms import design_array, design_matrix, parse_term


@pytest.fixture
def df():
    return pd.DataFrame({
        "age": [20.0, 30.0, 40.0, 50.0],
        "race": ["white", "black", "hispan", "black"],
        "inc": [1.0, 2.0, 4.0, 8.0],
        "married": [True, False, True, False],
        "code": ["10", "20", "10", "30"],
        "grp": pd.Categorical(["b", "a", "b", "a"], categories=["b", "a"]),
    })


def test_parse_forms():
    assert parse_term("age").kind == "auto"
    assert parse_term("C( origin )").kind == "categorical"
    assert parse_term("log(x)").column == "x"
    assert parse_term("x^2").kind == "square"
    t = parse_term("age : race")
    assert t.kind == "interaction" and [p.column for p in t.parts] == ["age", "race"]


@pytest.mark.parametrize("bad", ["age + 1", "__import__('os')", "exp(x)", "", "x^3"])
def test_parse_rejects(bad):
    with pytest.raises(EvaltoolError, match="not understood|non-empty"):
        parse_term(bad)


def test_r_names_and_values(df):
    X, cols = design_matrix(df, ["age", "race", "log(inc)", "age^2", "married"])
    assert cols == ["(Intercept)", "age", "racehispan", "racewhite", "log(inc)", "I(age^2)", "marriedTRUE"]
    np.testing.assert_allclose(X["racewhite"], [1, 0, 0, 0])
    np.testing.assert_allclose(X["log(inc)"], np.log(df["inc"]))
    np.testing.assert_allclose(X["I(age^2)"], df["age"] ** 2)


def test_all_levels_and_forced_categorical(df):
    _, cols = design_matrix(df, ["race", "C(age)"], intercept=False, all_levels=True)
    assert cols == ["raceblack", "racehispan", "racewhite", "C(age)20", "C(age)30", "C(age)40", "C(age)50"]


def test_strings_are_categorical_and_category_order_kept(df):
    _, cols = design_matrix(df, ["code", "grp"])
    assert cols == ["(Intercept)", "code20", "code30", "grpa"]


def test_interactions(df):
    X, cols = design_matrix(df, ["age:inc", "age:race", "race:married"], intercept=False)
    assert cols == ["age:inc", "age:racehispan", "age:racewhite", "racehispan:marriedTRUE",
                    "racewhite:marriedTRUE"]
    np.testing.assert_allclose(X["age:racehispan"], [0, 0, 40, 0])
    np.testing.assert_allclose(X["racewhite:marriedTRUE"], [1, 0, 0, 0])


def test_missing_column_named(df):
    with pytest.raises(EvaltoolError, match="'nope' not found"):
        design_matrix(df, ["age", "log(nope)"])


def test_log_nonpositive_named(df):
    d = df.assign(inc=[1.0, 0.0, 2.0, -1.0])
    with pytest.raises(DataError, match=r"log\(inc\).*2 value"):
        design_matrix(d, ["log(inc)"])


def test_missing_values_named(df):
    d = df.assign(age=[1.0, np.nan, 2.0, 3.0])
    with pytest.raises(DataError, match="'age' has 1 missing"):
        design_matrix(d, ["age"])


def test_data_not_modified(df):
    before = df.copy()
    design_matrix(df, ["age", "race", "age:race"])
    pd.testing.assert_frame_equal(df, before)


def test_arrow_string_codes_equal_pandas_codes():
    """Chunks encoded one by one (threads) and merged: the codes pandas' factorize gives."""
    import pyarrow as pa

    from evaltool.terms import level_codes

    rng = np.random.default_rng(4)
    words = np.array(["vest", "dk", "ikke-vest", "Øst", "b", ""], dtype=object)
    values = words[rng.integers(0, words.size, 3000)]
    values[rng.random(values.size) < 0.05] = None
    cuts = [0, 7, 7, 900, 1500, 2999, 3000]  # an empty chunk, a one-row chunk
    chunked = pa.chunked_array([pa.array(values[a:b].tolist(), type=pa.string())
                                for a, b in zip(cuts[:-1], cuts[1:])])
    codes, levels = level_codes(chunked)
    want_codes, want_levels = level_codes(pd.Series(values))
    assert levels == want_levels == sorted(set(words.tolist()))
    np.testing.assert_array_equal(codes, want_codes)  # -1 where missing, as pandas
    one_chunk = level_codes(chunked.combine_chunks())
    np.testing.assert_array_equal(one_chunk[0], codes)


def test_in_threads_keeps_job_order_and_raises():
    from evaltool._blas import in_threads

    jobs = [lambda slot, k=k: (k, slot) for k in range(7)]
    for n in (1, 2, 3):
        out = in_threads(jobs, n)
        assert [k for k, _ in out] == list(range(7))
        assert [s for _, s in out] == [k % n for k in range(7)]  # slot k % n runs job k

    def boom(slot):
        raise ValueError("job failed")

    with pytest.raises(ValueError, match="job failed"):
        in_threads(jobs[:3] + [boom] + jobs[3:], 2)


def test_work_threads_follow_the_environment(monkeypatch):
    from evaltool._blas import _work_threads

    monkeypatch.delenv("EVALTOOL_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # as joblib/dask workers set it
    assert _work_threads() == 1
    monkeypatch.setenv("EVALTOOL_THREADS", "3")
    assert _work_threads() == 3


def test_design_array_does_not_depend_on_threads(monkeypatch):
    import pyarrow as pa

    from evaltool import _blas

    rng = np.random.default_rng(5)
    n = 300_000  # enough rows for the threads
    table = pa.table({"age": rng.integers(18, 65, n), "x": rng.normal(size=n),
                      "origin": rng.choice(["dk", "vest", "ikke-vest"], n),
                      "educ": rng.choice(["a", "b", "c", "d"], n)})
    terms = ["age", "x", "origin", "C(educ)", "age:origin", "x^2"]
    monkeypatch.setattr(_blas, "WORK_THREADS", 1)
    one, names = design_array(table, terms)
    monkeypatch.setattr(_blas, "WORK_THREADS", 2)
    two, names2 = design_array(table, terms)
    assert names == names2
    np.testing.assert_array_equal(one, two)
    frame, names3 = design_array(table.to_pandas(), terms)
    assert names3 == names
    np.testing.assert_array_equal(frame, one)


def test_design_blocks_write_any_row_range_across_chunks():
    """A Design writes rows lo:hi of every column (numbers read chunk by chunk, dummies from
    codes) as the whole float matrix has them, whatever the chunk and block boundaries."""
    import pyarrow as pa

    from evaltool.terms import design_blocks

    rng = np.random.default_rng(6)
    n = 2000
    ages = rng.integers(18, 65, n)
    x = rng.normal(size=n)
    cuts = [0, 1, 1, 700, 1333, 1999, 2000]  # an empty chunk, one-row chunks
    chunk = lambda v, t: pa.chunked_array([pa.array(v[a:b], type=t) for a, b in zip(cuts[:-1], cuts[1:])])  # noqa: E731
    table = pa.Table.from_arrays(
        [chunk(ages, pa.int32()), chunk(x, pa.float64()),
         chunk(rng.choice(["dk", "vest", "ikke-vest"], n), pa.string()),
         chunk(rng.choice(["a", "b", "c"], n), pa.string())],
        names=["age", "x", "origin", "educ"])
    terms = ["age", "x", "origin", "C(educ)", "age:origin", "x^2"]
    design = design_blocks(table, terms)
    whole = design.materialize()
    frame, names = design_array(table.to_pandas(), terms)
    assert design.names == names
    np.testing.assert_array_equal(whole, frame)
    buf = np.full((700, len(names)), np.nan, order="F")
    for lo, hi in [(0, 1), (0, 700), (1, 2), (650, 1350), (1332, 2000), (1999, 2000), (5, 5)]:
        np.testing.assert_array_equal(design.rows(lo, hi, buf), whole[lo:hi])
