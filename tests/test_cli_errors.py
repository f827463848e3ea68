"""Bad input through the CLI: exit code 2, one line on stderr naming file:line or column, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaltool.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_csv(path: Path, fn) -> None:
    frame = pd.read_csv(path)
    fn(frame).to_csv(path, index=False)


def test_example_validates(lalonde_example):
    res = run_cli("validate", str(lalonde_example))
    assert res.returncode == 0, res.stderr
    assert "185 treated" in res.stdout and "valid" in res.stdout


def _unknown_key(p):
    edit(p, "  ratio: 1", "  ratoi: 1")
    return r"lalonde\.yaml:18: design\.ratoi: unknown key"


def _wrong_type(p):
    edit(p, "  ratio: 1", "  ratio: [1]")
    return r"lalonde\.yaml:18: design\.ratio: must be an integer"


def _bad_enum(p):
    edit(p, "  method: nearest", "  method: optimal_transport")
    return r"lalonde\.yaml:17: design\.method: `method` must be one of 'nearest'"


def _missing_file(p):
    edit(p, "persons: lalonde.csv", "persons: nowhere.csv")
    return r"lalonde\.yaml:10: data\.persons: file not found: nowhere\.csv"


def _missing_column(p):
    edit(p, "covariates: [age,", "covariates: [agee,")
    return r"lalonde\.csv: covariate column 'agee' not found; available columns: id, treat"


def _non_binary_treatment(p):
    edit_csv(p.parent / "lalonde.csv", lambda f: f.assign(treat=f["treat"].where(f.index % 100 != 0, 2)))
    return r"lalonde\.csv: column 'treat' \(treatment\) must be binary \(0/1 or true/false\); found '2' \(7 rows\)"


def _duplicate_ids(p):
    edit_csv(p.parent / "lalonde.csv", lambda f: f.assign(id=f["id"].where(f.index != 5, f["id"].iloc[4])))
    return r"lalonde\.csv: id column 'id' must be unique; 1 duplicate row\(s\) \(rows 5, 6\); keep one row per person"


def _unreadable_file(p):
    (p.parent / "garbage.parquet").write_bytes(b"\x00\x01this is not parquet at all" * 10)
    edit(p, "persons: lalonde.csv", "persons: garbage.parquet")
    return r"garbage\.parquet: cannot read as Parquet"


def _empty_file(p):
    (p.parent / "empty.csv").write_bytes(b"")
    edit(p, "persons: lalonde.csv", "persons: empty.csv")
    return r"empty\.csv: file is empty"


def _header_only_file(p):
    (p.parent / "header.csv").write_text("id,treat,age\n")
    edit(p, "persons: lalonde.csv", "persons: header.csv")
    return r"header\.csv: file has no rows"


def _negative_n(p):
    edit(p, "  persons: lalonde.csv          # relative to this file's folder", "  simulate: {n: -5}")
    return r"lalonde\.yaml:10: data\.simulate\.n: must be a number >= 100; got -5"


def _negative_caliper(p):
    edit(p, "  replace: false", "  replace: false\n  caliper: -0.2")
    return r"lalonde\.yaml:20: design\.caliper: `caliper` must be a number > 0; got -0\.2"


def _invalid_yaml(p):
    edit(p, "  ratio: 1", "  ratio: [1")
    return r"lalonde\.yaml:\d+: invalid YAML"


def _missing_values(p):
    edit_csv(p.parent / "lalonde.csv", lambda f: f.assign(educ=f["educ"].where(f.index > 2)))
    return r"lalonde\.csv: column 'educ' has 3 missing value\(s\) \(rows 1, 2, 3\); fix the data or set data\.missing: drop"


def _unsupported_extension(p):
    (p.parent / "persons.txt").write_text("x")
    edit(p, "persons: lalonde.csv", "persons: persons.txt")
    return r"persons\.txt: unsupported file type '\.txt'"


def _log_of_text(p):
    edit(p, "covariates: [age,", "covariates: [log(race), age,")
    return r"lalonde\.csv: column 'race' is used as a number but has 614 text cell\(s\) \(rows 1, 2, 3, 4, 5, \.\.\.\)"


def _outcome_without_weeks(p):
    edit(p, "    kind: column\n    column: re78\n", "    kind: any\n    categories: [loentilskud]\n")
    return r"lalonde\.yaml:21: outcomes\[0\]: kind `any` needs `weeks: \[a, b\]`"


CASES = [_unknown_key, _wrong_type, _bad_enum, _missing_file, _missing_column, _non_binary_treatment,
         _duplicate_ids, _unreadable_file, _empty_file, _header_only_file, _negative_n, _negative_caliper,
         _invalid_yaml, _missing_values, _unsupported_extension, _log_of_text, _outcome_without_weeks]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_broken_variant_exits_2_with_one_line(lalonde_example, case):
    pattern = case(lalonde_example)
    res = run_cli("validate", str(lalonde_example))
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    import re

    assert re.search(pattern, lines[0]), lines[0]


def test_bad_set_override_exits_2(lalonde_example):
    res = run_cli("validate", str(lalonde_example), "--set", "design.caliper=-1")
    assert res.returncode == 2
    assert "(--set): design.caliper: `caliper` must be a number > 0; got -1" in res.stderr


def test_debug_shows_traceback(lalonde_example):
    edit(lalonde_example, "  ratio: 1", "  ratoi: 1")
    res = run_cli("--debug", "validate", str(lalonde_example))
    assert res.returncode != 0
    assert "Traceback" in res.stderr


def test_missing_config_file(tmp_path):
    res = run_cli("validate", str(tmp_path / "none.yaml"))
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: {tmp_path / 'none.yaml'}: config file not found"


@pytest.mark.parametrize("args, expected", [
    (["frobnicate"], r"^error: evaltool: No such command 'frobnicate'"),
    (["run"], r"^error: evaltool run: Missing argument 'CONFIG'"),
    (["report", "results.json", "--lang", "xx", "--out", "r.html"], r"^error: evaltool report: .*'xx' is not one of"),
    (["simulate", "--n", "abc", "--out", "d"], r"^error: evaltool simulate: .*'abc' is not a valid integer"),
])
def test_usage_errors_are_one_line_exit_2(args, expected, tmp_path):
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert re.search(expected, res.stderr), res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def register_study(tmp_path_factory):
    """Simulated persons + weekly panel files and the Copenhagen config pointing at them."""
    from evaltool.simulate import simulate_study
    from evaltool.weeks import to_ordinal

    from conftest import copenhagen_on_files

    d = tmp_path_factory.mktemp("registers")
    sim = simulate_study(n=2000, seed=3)
    persons, panel = sim.persons, sim.weekly_status
    persons.to_parquet(d / "persons.parquet", index=False)
    panel.to_parquet(d / "weekly_status.parquet", index=False)
    copenhagen_on_files(d)
    target = persons[(persons.age >= 30) & (persons.match_group == "aktivitetsparat")
                     & (persons.benefit_type == "kontanthjaelp")].iloc[0]
    rows = panel[panel.person_id == target.person_id]
    rel = np.asarray(to_ordinal(rows["week"])) - int(np.asarray(to_ordinal(pd.Series([target.start_week])))[0])
    pd.concat([panel, rows[rel == -3]]).to_parquet(d / "dup.parquet", index=False)  # 3 weeks before start
    panel.assign(code=panel["code"].where(panel.index >= 7, 9999)).to_parquet(d / "unknown.parquet", index=False)
    panel.rename(columns={"code": "status"}).to_parquet(d / "nocode.parquet", index=False)
    short = panel[panel.week <= 202552].copy()
    short.attrs = {}  # no declared coverage: the register ends with its last week
    short.to_parquet(d / "short.parquet", index=False)
    persons.assign(start_week=persons["start_week"].where(persons.index != target.name)) \
        .to_parquet(d / "nostart.parquet", index=False)
    return d, int(target.person_id)


@pytest.mark.parametrize("override, expected", [
    ("data.weekly_status=dup.parquet", r"^error: dup\.parquet: 1 person\(s\) have more than one row in a week, "
                                       r"e\.g\. in week \d{{6}}"),
    ("data.weekly_status=unknown.parquet", r"^error: unknown\.parquet: 1 code\(s\) not in code map "
                                           r"codes_example\.yaml: 9999 \(7 rows\)"),
    ("data.weekly_status=nocode.parquet", r"^error: nocode\.parquet: weekly status column 'code' not found"),
    ("data.weekly_status=short.parquet", r"^error: outcome 'internship_or_wage_subsidy_52w': window \[1, 52\] "
                                         r"lies outside the register's weeks"),
    ("data.persons=nostart.parquet", r"^error: nostart\.parquet: column 'start_week' has 1 missing value"),
])
def test_register_input_errors_exit_2(register_study, override, expected, tmp_path):
    d, pid = register_study
    res = run_cli("run", str(d / "study.yaml"), "--out", str(tmp_path / "out"), "--set", override)
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert re.search(expected.format(pid=pid), res.stderr), res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["Income $ (USD)", "$x^2$ and $", "cost: $5 vs $6"])
def test_dollar_in_labels_is_plain_text_in_figures(name):
    # `$` would start matplotlib mathtext: an odd count crashed, an even count garbled the text
    from evaltool.report.figures import effects_plot

    svg = effects_plot("fx", f"Effects {name}", [name, "other"], [1.0, 2.0], [0.5, 1.5], [1.5, 2.5],
                       {"x": f"pp {name}"}, lambda v, _p: f"{v:.1f}")
    assert svg.count(name.replace("&", "&amp;")) >= 2  # the tick label and the axis label, verbatim
