"""Data reading by extension and role validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltool.config.schema import SampleRule
from evaltool.data import apply_sample, coerce_binary, read_table, term_column_roles, validate_persons
from evaltool.exceptions import DataError


@pytest.fixture
def persons() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    return pd.DataFrame({
        "person_id": np.arange(1, n + 1),
        "outreach": np.tile([0, 1], n // 2),
        "age": rng.integers(25, 60, n),
        "origin": rng.choice(["danish", "western", "non_western"], n),
        "income": rng.gamma(2.0, 1000.0, n),
    })


@pytest.mark.parametrize("ext", ["csv", "parquet", "dta", "xlsx", "csv.gz"])
def test_read_by_extension_roundtrip(tmp_path, persons, ext):
    path = tmp_path / f"persons.{ext}"
    if ext.startswith("csv"):
        persons.to_csv(path, index=False)
    elif ext == "parquet":
        persons.to_parquet(path)
    elif ext == "dta":
        persons.to_stata(path, write_index=False)
    else:
        persons.to_excel(path, index=False)
    frame = read_table(path)
    assert list(frame.columns) == list(persons.columns)
    assert len(frame) == len(persons)
    np.testing.assert_allclose(frame["income"].to_numpy(float), persons["income"].to_numpy(float), rtol=1e-6)
    assert frame["origin"].astype(str).tolist() == persons["origin"].tolist()


def test_corrupt_sas_file_is_named(tmp_path):
    path = tmp_path / "persons.sas7bdat"
    path.write_bytes(b"not a SAS file" * 100)
    with pytest.raises(DataError, match=r"persons\.sas7bdat: cannot read as SAS"):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        read_table(tmp_path / "nope.csv")


def test_term_column_roles():
    assert term_column_roles("age") == ([], ["age"])
    assert term_column_roles("C(origin)") == ([], ["origin"])
    assert term_column_roles("log(income)") == (["income"], [])
    assert term_column_roles("age^2") == (["age"], [])
    assert term_column_roles("age:C(origin)") == ([], ["age", "origin"])


@pytest.mark.parametrize("values, expected", [
    ([0, 1, 1], [0, 1, 1]), ([True, False, True], [1, 0, 1]),
    (["true", "FALSE", "1"], [1, 0, 1]), ([0.0, 1.0, 0.0], [0, 1, 0]),
])
def test_coerce_binary_accepts(values, expected):
    assert coerce_binary(pd.Series(values), source="f", column="t").tolist() == expected


def test_coerce_binary_lists_offending_values():
    s = pd.Series(["yes", "no", "maybe", "maybe", "2"])
    with pytest.raises(DataError, match=r"f: column 't' \(treatment\) must be binary .*found '2' \(1 row\), 'maybe' \(2 rows\)"):
        coerce_binary(s, source="f", column="t")


def test_validate_drop_policy_counts(persons):
    p = persons.copy()
    p.loc[[0, 1, 2], "income"] = np.nan
    p.loc[[2, 3], "age"] = np.nan
    out, report = validate_persons(p, source="p.csv", id_col="person_id", treatment="outreach",
                                   covariates=["age", "log(income)"], missing="drop")
    assert report.n_read == 40 and report.n_used == 36 and len(out) == 36
    dropped = {d.column: d.n for d in report.dropped}
    assert dropped == {"income": 3, "age": 1}
    assert report.n_treated + report.n_control == 36
    assert p["income"].isna().sum() == 3  # input untouched


def test_validate_error_policy(persons):
    p = persons.copy()
    p.loc[0, "age"] = np.nan
    with pytest.raises(DataError, match=r"p\.csv: column 'age' has 1 missing value\(s\)"):
        validate_persons(p, source="p.csv", id_col="person_id", treatment="outreach", covariates=["age"])


def test_validate_one_group_only(persons):
    p = persons.assign(outreach=1)
    with pytest.raises(DataError, match="has no comparison persons"):
        validate_persons(p, source="p.csv", id_col="person_id", treatment="outreach", covariates=["age"])


def test_sample_rules_recorded(persons):
    out, report = validate_persons(persons, source="p.csv", id_col="person_id", treatment="outreach",
                                   covariates=["age"])
    rules = [SampleRule(column="age", min=30), SampleRule.model_validate({"column": "origin", "in": ["danish", "western"]})]
    sub, rep2 = apply_sample(out, rules, report, source="p.csv", treatment="outreach")
    expected = persons[(persons.age >= 30) & persons.origin.isin(["danish", "western"])]
    assert len(sub) == len(expected) == rep2.n_used
    reasons = [d.reason for d in rep2.dropped]
    assert reasons[0] == "outside the target group (age >= 30)"
    assert "origin in ['danish', 'western']" in reasons[1]
    assert sum(d.n for d in rep2.dropped) == len(persons) - len(sub)


def test_text_cells_in_numeric_column_error_or_counted_drop(persons):
    frame = persons.assign(age=persons["age"].astype(object))
    frame.loc[[3, 17, 30], "age"] = "unknown"
    with pytest.raises(DataError, match=r"column 'age' holds numbers in 92% of its cells but has 3 text "
                                        r"cell\(s\) \(rows 4, 18, 31\)"):
        validate_persons(frame, source="p.csv", id_col="person_id", treatment="outreach", covariates=["age"])
    out, report = validate_persons(frame, source="p.csv", id_col="person_id", treatment="outreach",
                                   covariates=["age"], missing="drop")
    assert len(out) == 37 and pd.api.types.is_numeric_dtype(out["age"])  # never a categorical
    assert [(d.reason, d.column, d.n) for d in report.dropped] == [("text in a numeric column", "age", 3)]
    # declared categorical: the text cells are levels, not typos
    out, _ = validate_persons(frame, source="p.csv", id_col="person_id", treatment="outreach",
                              covariates=["C(age)"])
    assert len(out) == 40


def test_duplicate_ids_named_by_row_never_by_value(persons):
    frame = persons.assign(person_id=[f"CPR{i:04d}" for i in persons["person_id"]])
    frame.loc[9, "person_id"] = frame.loc[2, "person_id"]
    with pytest.raises(DataError, match=r"1 duplicate row\(s\) \(rows 3, 10\)") as info:
        validate_persons(frame, source="p.csv", id_col="person_id", treatment="outreach", covariates=["age"])
    assert "CPR" not in str(info.value)


@pytest.mark.parametrize("value, match", [(np.inf, "1 infinite value"), (-np.inf, "1 infinite value"),
                                          (1e308, "1 value\\(s\\) larger than 1e\\+15")])
def test_non_finite_and_huge_values(persons, value, match):
    frame = persons.assign(income=persons["income"].astype(float))
    frame.loc[5, "income"] = value
    with pytest.raises(DataError, match=rf"column 'income' has {match}.*\(row 6\)"):
        validate_persons(frame, source="p.csv", id_col="person_id", treatment="outreach", covariates=["income"])


def test_xls_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "persons.xls"
    path.write_bytes(b"x")
    with pytest.raises(DataError, match=r"persons\.xls: legacy Excel \.xls files are not supported; save"):
        read_table(path)


def test_content_hash_is_content_only(persons, monkeypatch):
    import duckdb

    from evaltool.data import content_hash

    before = content_hash(persons)
    monkeypatch.setattr(duckdb, "__version__", "99.0.0")  # a library upgrade must not change identity
    assert content_hash(persons) == before
    assert content_hash(persons.sample(frac=1.0, random_state=1)) == before
