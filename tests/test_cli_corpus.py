"""A corpus of bad inputs through the CLI (in process, on small simulated data in tmp_path).

Every case must give exit code 2, exactly one line on stderr (``error: ...``) that names the
key, column or file, no traceback, no person id, and leave an earlier output folder
byte-for-byte untouched. Cases marked ``V`` also go through ``evaltool validate``, which must
fail with the same line (validate catches what run would).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evaltool.study.outdir import write_folder

ROOT = Path(__file__).resolve().parents[1]
CODES = ROOT / "configs" / "codes_example.yaml"
ID_PREFIX = "CPRX"  # every person id starts with this; it must never appear in a message

BASE_CONFIG = f"""\
study:
  title: Corpus study
  seed: 1
data:
  persons: persons.csv
  weekly_status: weekly.csv
  code_map: {CODES}
  id: person_id
  treatment: outreach
  start: start_week
design:
  covariates: [age, C(sex), C(origin), prior_support_share]
outcomes:
  - name: subsidy_52w
    label: {{da: "Praktik", en: "Internship"}}
    kind: any
    categories: [virksomhedspraktik, loentilskud]
    weeks: [1, 52]
  - name: meetings
    label: {{da: "Møder", en: "Meetings"}}
    kind: column
    column: meetings_held
    type: count
subgroups: [sex]
process: [meetings_missed]
report:
  templates: [final]
  languages: [en]
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    from evaltool.simulate import simulate_study

    sim = simulate_study(n=300, seed=5, treated_share=0.3, panel=True)
    folder = tmp_path_factory.mktemp("corpus_base")
    persons = sim.persons.copy()
    persons["person_id"] = [f"{ID_PREFIX}{i:06d}" for i in persons["person_id"]]
    persons.to_csv(folder / "persons.csv", index=False)
    panel = sim.weekly_status.copy()
    panel = panel[panel["week"].between(202001, 202652)]
    panel["person_id"] = [f"{ID_PREFIX}{i:06d}" for i in panel["person_id"]]
    panel.to_csv(folder / "weekly.csv", index=False)
    (folder / "study.yaml").write_text(BASE_CONFIG, encoding="utf-8")
    return folder


# --- helpers used by the cases ------------------------------------------------------------------

def cfg(d: Path, old: str, new: str) -> None:
    text = (d / "study.yaml").read_text(encoding="utf-8")
    assert old in text, old
    (d / "study.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")


def append(d: Path, text: str) -> None:
    with open(d / "study.yaml", "a", encoding="utf-8") as fh:
        fh.write(text)


def persons(d: Path, fn) -> None:
    frame = pd.read_csv(d / "persons.csv", dtype={"start_week": object})
    fn(frame)
    frame.to_csv(d / "persons.csv", index=False)


def panel(d: Path, fn) -> None:
    frame = pd.read_csv(d / "weekly.csv", dtype=object)
    frame = fn(frame)
    frame.to_csv(d / "weekly.csv", index=False)


def cell(frame: pd.DataFrame, col: str, rows: list[int], value) -> None:
    frame[col] = frame[col].astype(object)
    frame.loc[rows, col] = value


def alias_bomb(d: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    append(d, "\n".join(lines) + "\n")


# --- the corpus: (id, mutate(d), regex the message must match, also through validate) ----------

CASES = [
    # configuration
    ("unknown_key", lambda d: cfg(d, "  seed: 1", "  sede: 1"), r"study\.yaml:3: study\.sede: unknown key", True),
    ("wrong_type", lambda d: cfg(d, "  seed: 1", "  seed: [1]"), r"study\.yaml:3: study\.seed: must be", True),
    ("bad_enum", lambda d: append(d, "effects: {method: magic}\n"), r"study\.yaml:\d+: effects\.method: `method` must be one of",
     True),
    ("negative_caliper", lambda d: cfg(d, "  covariates:", "  caliper: -0.2\n  covariates:"),
     r"study\.yaml:12: design\.caliper: `caliper` must be a number > 0", True),
    ("weeks_reversed", lambda d: cfg(d, "weeks: [1, 52]", "weeks: [52, 1]"), r"outcomes\[0\].*weeks", True),
    ("duplicate_outcome", lambda d: cfg(d, "name: meetings", "name: subsidy_52w"), r"outcome names must be unique",
     True),
    ("bad_term", lambda d: cfg(d, "[age, C(sex)", "[age+1, C(sex)"), r"design\.covariates.*age\+1", True),
    ("duplicate_key", lambda d: cfg(d, "  seed: 1", "  seed: 1\n  seed: 2"), r"study\.yaml:4: study\.seed: duplicate key",
     True),
    ("invalid_yaml", lambda d: cfg(d, "  seed: 1", "  seed: [1"), r"study\.yaml:\d+: invalid YAML", True),
    ("alias_bomb", alias_bomb, r"study\.yaml:\d+: .*alias", True),
    ("not_a_mapping", lambda d: (d / "study.yaml").write_text("- 1\n- 2\n"), r"study\.yaml:1: the config must be a mapping",
     True),
    ("empty_config", lambda d: (d / "study.yaml").write_text(""), r"study\.yaml:1: the config must be a mapping", True),
    ("sensitivity_unknown_key", lambda d: append(d, "sensitivity: {evalues: true}\n"),
     r"study\.yaml:\d+: sensitivity\.evalues: .*allowed keys: .*evalue", True),
    ("sensitivity_gamma_order", lambda d: append(d, "sensitivity:\n  gamma: {start: 2, stop: 1.5}\n"),
     r"study\.yaml:\d+: sensitivity\.gamma: .*gamma\.stop must be >= gamma\.start", True),
    ("sensitivity_placebo_unknown", lambda d: append(d, "sensitivity: {placebo_outcomes: [nosuch]}\n"),
     r"study\.yaml:\d+: sensitivity\.placebo_outcomes: names unknown outcomes: nosuch", True),
    ("sensitivity_placebo_start", lambda d: append(d, "sensitivity:\n  placebo: {placebo_start_shift_weeks: 52}\n"),
     r"study\.yaml:\d+: sensitivity\.placebo\.placebo_start_shift_weeks: .*not implemented yet", True),
    ("area_panel", lambda d: append(d, "area_panel: {path: areas.csv, bogus: 1}\n"), r"study\.yaml:\d+: area_panel\.bogus",
     True),
    ("outcome_placebo_not_bool", lambda d: cfg(d, "    type: count", "    type: count\n    placebo: maybe"),
     r"study\.yaml:\d+: outcomes\[1\]\.placebo: ", True),
    ("min_cell_1", lambda d: cfg(d, "  languages: [en]", "  languages: [en]\n  disclosure: {min_cell: 1}"),
     r"report\.disclosure\.min_cell: must be a number >= 5", True),
    ("min_cell_4", lambda d: cfg(d, "  languages: [en]", "  languages: [en]\n  disclosure: {min_cell: 4}"),
     r"report\.disclosure\.min_cell: must be a number >= 5", True),
    ("unknown_category", lambda d: cfg(d, "[virksomhedspraktik, loentilskud]", "[virksomhedspraktik, nosuch]"),
     r"nosuch", True),
    ("missing_persons_file", lambda d: cfg(d, "persons: persons.csv", "persons: nowhere.csv"),
     r"study\.yaml:5: data\.persons: file not found: nowhere\.csv", True),
    ("missing_code_map", lambda d: cfg(d, f"code_map: {CODES}", "code_map: nocodes.yaml"),
     r"data\.code_map: file not found: nocodes\.yaml", True),
    ("xls_file", lambda d: (shutil.copy(d / "persons.csv", d / "persons.xls"),
                            cfg(d, "persons: persons.csv", "persons: persons.xls")),
     r"persons\.xls: legacy Excel \.xls files are not supported", True),
    ("txt_file", lambda d: (shutil.copy(d / "persons.csv", d / "persons.txt"),
                            cfg(d, "persons: persons.csv", "persons: persons.txt")),
     r"persons\.txt: unsupported file type '\.txt'", True),
    ("empty_persons", lambda d: (d / "persons.csv").write_text(""), r"persons\.csv: file is empty", True),
    ("header_only", lambda d: (d / "persons.csv").write_text("person_id,outreach,start_week\n"),
     r"persons\.csv: file has no rows", True),
    # persons data
    ("missing_covariate", lambda d: cfg(d, "[age, C(sex)", "[agee, C(sex)"), r"covariate column 'agee' not found", True),
    ("duplicate_id", lambda d: persons(d, lambda f: cell(f, "person_id", [7], f.loc[3, "person_id"])),
     r"id column 'person_id' must be unique; 1 duplicate row\(s\) \(rows 4, 8\)", True),
    ("missing_id", lambda d: persons(d, lambda f: cell(f, "person_id", [5], None)),
     r"id column 'person_id' has 1 missing value\(s\) \(row 6\)", True),
    ("treatment_text", lambda d: persons(d, lambda f: cell(f, "outreach", [2], "maybe")),
     r"column 'outreach' \(treatment\) must be binary", True),
    ("treatment_all_one", lambda d: persons(d, lambda f: f.__setitem__("outreach", 1)),
     r"column 'outreach' \(treatment\) has no comparison persons", True),
    ("text_in_age", lambda d: persons(d, lambda f: cell(f, "age", [10, 20, 30], "unknown")),
     r"column 'age' holds numbers in 99% of its cells but has 3 text cell\(s\) \(rows 11, 21, 31\)", True),
    ("text_in_share", lambda d: persons(d, lambda f: cell(f, "prior_support_share", [0], "unknown")),
     r"column 'prior_support_share' holds numbers in 99% of its cells but has 1 text cell\(s\) \(row 1\)", True),
    ("text_in_process", lambda d: persons(d, lambda f: cell(f, "meetings_missed", [4, 5], "?")),
     r"column 'meetings_missed' is used as a number but has 2 text cell\(s\) \(rows 5, 6\)", True),
    ("text_in_outcome_column", lambda d: persons(d, lambda f: cell(f, "meetings_held", [1], "many")),
     r"column 'meetings_held' is used as a number but has 1 text cell\(s\) \(row 2\)", False),
    ("inf_in_age", lambda d: persons(d, lambda f: cell(f, "age", [3], float("inf"))),
     r"column 'age' has 1 infinite value\(s\) \(row 4\)", False),
    ("minus_inf_share", lambda d: persons(d, lambda f: cell(f, "prior_support_share", [8], float("-inf"))),
     r"column 'prior_support_share' has 1 infinite value\(s\) \(row 9\)", False),
    ("huge_age", lambda d: persons(d, lambda f: cell(f, "age", [2], 1e308)),
     r"column 'age' has 1 value\(s\) larger than 1e\+15 in absolute value \(row 3\)", False),
    ("missing_age", lambda d: persons(d, lambda f: cell(f, "age", [12], None)),
     r"column 'age' has 1 missing value\(s\) \(row 13\); fix the data or set data\.missing: drop", False),
    ("start_dash_format", lambda d: persons(d, lambda f: cell(f, "start_week", [0], "2021-13")),
     r"persons\.csv: column 'start_week' \(start week\) must hold ISO year-weeks YYYYWW .* 1 cell\(s\) do not \(row 1\)",
     True),
    ("start_bad_week", lambda d: persons(d, lambda f: cell(f, "start_week", [0], "202160")),
     r"persons\.csv: column 'start_week' \(start week\) must hold ISO year-weeks .*\(row 1\)", True),
    ("start_missing", lambda d: persons(d, lambda f: cell(f, "start_week", [1], None)),
     r"column 'start_week' has 1 missing value\(s\) \(row 2\)", True),
    ("sample_column_missing", lambda d: cfg(d, "  start: start_week", "  start: start_week\n  sample: [{column: nope, min: 1}]"),
     r"persons\.csv: required column 'nope' not found", True),
    ("sample_leaves_nobody", lambda d: cfg(d, "  start: start_week", "  start: start_week\n  sample: [{column: age, min: 500}]"),
     r"persons\.csv: the sample restrictions leave no persons", True),
    ("sample_minmax_on_text", lambda d: cfg(d, "  start: start_week", "  start: start_week\n  sample: [{column: sex, min: 1}]"),
     r"sample rule on 'sex' uses min/max but the column is not numeric", False),
    ("missing_subgroup_column", lambda d: cfg(d, "subgroups: [sex]", "subgroups: [gender]"), r"persons\.csv: required column 'gender' not found", True),
    ("missing_process_column", lambda d: cfg(d, "process: [meetings_missed]", "process: [no_shows]"),
     r"persons\.csv: required column 'no_shows' not found", True),
    # weekly panel
    ("panel_week_dash", lambda d: panel(d, lambda f: (cell(f, "week", [0], "2021-13"), f)[1]),
     r"weekly\.csv: column `week` must hold ISO year-weeks YYYYWW .*e\.g\. '2021-13'", False),
    ("panel_week_invalid", lambda d: panel(d, lambda f: (cell(f, "week", [0], "202199"), f)[1]),
     r"weekly\.csv: column `week` must hold ISO year-weeks YYYYWW; 1 invalid value\(s\), e\.g\. 202199", True),
    ("panel_week_missing", lambda d: panel(d, lambda f: (cell(f, "week", [0], None), f)[1]),
     r"weekly\.csv: 1 row\(s\) have no week", True),
    ("panel_unknown_code", lambda d: panel(d, lambda f: (cell(f, "code", [0], "777"), f)[1]),
     r"weekly\.csv: 1 code\(s\) not in code map codes_example\.yaml: 777", True),
    ("panel_text_code", lambda d: panel(d, lambda f: (cell(f, "code", [0], "abc"), f)[1]),
     r"weekly\.csv: column `code` must hold integer register codes; got 'abc'", True),
    ("panel_duplicate_week", lambda d: panel(d, lambda f: pd.concat([f, f.assign(code="130")])),
     r"person\(s\) have more than one row in a week, e\.g\. in week \d{6}", False),
    ("panel_no_code_column", lambda d: panel(d, lambda f: f.drop(columns=["code"])),
     r"weekly\.csv: weekly status column 'code' not found", False),
    ("outcome_window_beyond_data", lambda d: cfg(d, "weeks: [1, 52]", "weeks: [1, 900]"), r"outcome 'subsidy_52w': window \[1, 900\] lies outside the register's weeks", True),
    # estimation on the data
    ("separation", lambda d: persons(d, lambda f: f.__setitem__("prior_support_share", f["outreach"] * 1.0)),
     r"separation in the propensity model: treatment is \(almost\) determined by 'prior_support_share'", True),
    ("constant_covariate", lambda d: persons(d, lambda f: f.__setitem__("prior_support_share", 0.5)),
     r"column\(s\) 'prior_support_share' are constant or collinear", True),
    ("exact_no_overlap", lambda d: (persons(d, lambda f: f.__setitem__("grp", f["outreach"].map({1: "a", 0: "b"}))),
                                    cfg(d, "  covariates:", "  exact: [grp]\n  covariates:")),
     r"nothing to match: 0 eligible treated and 0 eligible control units after discard and exact strata", True),
    ("subgroup_cuts_on_text", lambda d: cfg(d, "subgroups: [sex]", "subgroups: [{name: sg, column: sex, cuts: [1]}]"),
     r"subgroup 'sg': column 'sex' must be numeric to use `cuts`", True),
]

OUT_CASES = [
    # --out targets (run only): (id, out argument, regex)
    ("out_foreign_folder", "victim", r"victim: --out: the folder exists and was not written by evaltool"),
    ("out_input_folder", "data", r"data: --out: holds the input file persons\.csv"),
    ("out_parent_of_input", ".", r"--out: is the current folder or one of its parents"),
    ("out_dot_slash", "./", r"--out: is the current folder or one of its parents"),
    ("out_empty", "", r"--out: empty path"),
    ("out_is_file", "afile", r"afile: --out: exists and is not a folder"),
    ("out_parent", "..", r"--out: is the current folder or one of its parents"),
]


def _main(capsys, *args: str) -> tuple[int, str, str]:
    from evaltool.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _check_error(code: int, err: str, pattern: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]
    assert ID_PREFIX not in err and "np.int64" not in err
    return lines[0]


@pytest.fixture
def case_dir(base, tmp_path, monkeypatch) -> Path:
    d = tmp_path / "case"
    shutil.copytree(base, d)
    monkeypatch.chdir(d)
    return d


@pytest.fixture
def previous_output(tmp_path) -> Path:
    return write_folder(tmp_path / "previous", lambda t: (t / "results.json").write_text('{"old": true}\n'))


def test_corpus_is_large_enough():
    assert len(CASES) + len(OUT_CASES) >= 60
    assert sum(v for *_, v in CASES) >= (len(CASES) + len(OUT_CASES)) / 2


@pytest.mark.slow
@pytest.mark.parametrize("name, mutate, pattern, also_validate", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, mutate, pattern, also_validate, case_dir, previous_output, capsys):
    mutate(case_dir)
    before = _snapshot(previous_output)
    code, _out, err = _main(capsys, "run", "study.yaml", "--out", str(previous_output))
    line = _check_error(code, err, pattern)
    assert _snapshot(previous_output) == before
    assert sorted(p.name for p in previous_output.parent.iterdir()) == ["case", "previous"]  # no residue
    if also_validate:
        code, _out, err = _main(capsys, "validate", "study.yaml")
        assert _check_error(code, err, pattern) == line


@pytest.mark.slow
@pytest.mark.parametrize("name, out, pattern", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_bad_output_target(name, out, pattern, tmp_path, base, monkeypatch, capsys):
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    for f in ("persons.csv", "weekly.csv"):
        shutil.copy(base / f, work / "data" / f)
    (work / "study.yaml").write_text(BASE_CONFIG.replace("persons.csv", "data/persons.csv")
                                     .replace("weekly.csv", "data/weekly.csv"), encoding="utf-8")
    (work / "victim").mkdir()
    (work / "victim" / "thesis.docx").write_bytes(b"my thesis")
    (work / "afile").write_text("x")
    monkeypatch.chdir(work / "data" if out == "." else work)
    config = "../study.yaml" if out == "." else "study.yaml"
    before = _snapshot(tmp_path)
    code, _out, err = _main(capsys, "run", config, "--out", out)
    _check_error(code, err, pattern)
    assert _snapshot(tmp_path) == before
    assert sorted(p.name for p in work.iterdir()) == ["afile", "data", "study.yaml", "victim"]


def test_report_min_cell_cannot_be_lowered(tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text('{"schema_version": 1, "config": {"min_cell": 5}}\n')
    code, _out, err = _main(capsys, "report", str(results), "--out", str(tmp_path / "r.html"), "--min-cell", "1")
    _check_error(code, err, r"--min-cell: must be >= 5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
