"""Covariate grammar and R-compatible design matrices (contract tests)."""

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import DataError, EvaltoolError
from evaltool.terms import design_matrix, parse_term


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
