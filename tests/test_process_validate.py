"""`evaltool validate` checks what the process stage of `evaltool run` needs (issue 16): the code-map
categories the process sections name, the contact log's columns, the person columns of `journeys.subgroups`
and `mapping.by`, and (dry run) runs the process stage itself. A config that validates does not fail in the
process stage of `run`; one that fails there fails `validate --quick` with the same message."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODES = ROOT / "configs" / "codes_example.yaml"

CONFIG = f"""\
study:
  title: Process validation study
  seed: 3
data:
  persons: persons.csv
  weekly_status: weekly.csv
  code_map: {CODES}
  id: person_id
  treatment: outreach
  start: start_week
design:
  covariates: [age, C(sex), prior_support_share]
outcomes:
  - name: meetings
    label: {{da: "Møder", en: "Meetings"}}
    kind: column
    column: meetings_held
    type: count
process: [meetings_missed]
journeys:
  period: quarter
  follow_up_weeks: 26
  states:
    kontanthjaelp: [kontanthjaelp]
    praktik: [virksomhedspraktik, loentilskud]
    selvforsoergelse: [self_support]
  subgroups: [sex]
contacts:
  path: contacts.csv
report:
  templates: [midterm]
  languages: [en]
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    from evaltool.simulate import simulate_contacts, simulate_study

    sim = simulate_study(n=400, seed=11, treated_share=0.3, panel=True)
    folder = tmp_path_factory.mktemp("process_validate")
    sim.persons.to_csv(folder / "persons.csv", index=False)
    panel = sim.weekly_status
    panel[panel["week"].between(202001, 202652)].to_csv(folder / "weekly.csv", index=False)
    simulate_contacts(sim.persons, seed=11).to_csv(folder / "contacts.csv", index=False)
    (folder / "study.yaml").write_text(CONFIG, encoding="utf-8")
    return folder


@pytest.fixture
def case(base, tmp_path, monkeypatch) -> Path:
    d = tmp_path / "case"
    shutil.copytree(base, d)
    monkeypatch.chdir(d)
    return d


def _main(capsys, *args: str) -> tuple[int, str, str]:
    from evaltool.cli import main

    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def _edit(d: Path, old: str, new: str) -> None:
    text = (d / "study.yaml").read_text(encoding="utf-8")
    assert old in text, old
    (d / "study.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_valid_process_config_validates_runs_the_process_stage_and_then_runs(case, capsys):
    # no outcome needs the weekly panel: only `journeys:` does (the code map must still be loaded)
    code, out, err = _main(capsys, "validate", "study.yaml")
    assert code == 0, err
    assert "contacts.csv: contact log columns ok" in out
    assert re.search(r"dry run ok: \d+ persons used; process stage: journeys, process", out), out
    code, _out, err = _main(capsys, "run", "study.yaml", "--out", "out")
    assert code == 0, err
    doc = json.loads((case / "out" / "results.json").read_text(encoding="utf-8"))
    assert doc["journeys"]["transitions"] and doc["process"]
    assert [r["source"] for r in doc["process"] if r["subgroup"] is None][0] == "column"  # process: columns first
    assert {r["source"] for r in doc["process"]} == {"column", "contacts"}


@pytest.mark.parametrize("old, new, pattern", [
    ("    praktik: [virksomhedspraktik, loentilskud]", "    praktik: [virksomhedspraktik, praktikplads]",
     r"journeys\.states\.praktik.*unknown category or group 'praktikplads'"),
    ("  subgroups: [sex]", "  subgroups: [gender]", r"gender"),
    ("  path: contacts.csv", "  path: contacts.csv\n  columns: {caseworker: consultant}",
     r"contacts\.csv: contact log column\(s\) consultant not found"),
])
def test_what_the_process_stage_would_fail_on_fails_validate_quick_with_the_same_message(case, capsys, old, new,
                                                                                         pattern):
    _edit(case, old, new)
    code, _out, err = _main(capsys, "validate", "study.yaml", "--quick")
    assert code == 2 and re.search(pattern, err), err
    line = err.strip().splitlines()[-1]
    code, _out, err = _main(capsys, "run", "study.yaml", "--out", "out")
    assert code == 2 and err.strip().splitlines()[-1] == line, (line, err)
    assert not (case / "out").exists()
