"""Register outcomes on hand-built panels with known answers (evaltool.registers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltool.exceptions import RegisterError
from evaltool.registers import OutcomeSpec, assign_pseudo_start, derive_outcomes, history_covariates, load_code_map
from evaltool.weeks import add_weeks

ROOT = Path(__file__).resolve().parents[1]
CODES = ROOT / "configs" / "codes_example.yaml"


@pytest.fixture(scope="module")
def cm():
    return load_code_map(CODES)


def _rows(pid, start, rels, code):
    return [(pid, int(add_weeks(start, r)), code) for r in rels]


@pytest.fixture(scope="module")
def tiny():
    """Person 1 starts 202050 (2020 has 53 weeks), so its weeks cross a 53-week year end."""
    rows = (_rows(1, 202050, [-2, -1, 0], 130) + _rows(1, 202050, [1, 2, 3], 421)
            + _rows(1, 202050, [5, 6], 131)
            + _rows(2, 202101, range(1, 11), 130) + _rows(2, 202101, [11], 411)
            + _rows(4, 202050, range(-10, 31), 890))
    panel = pd.DataFrame(rows, columns=["person_id", "week", "code"]).astype(
        {"person_id": "int64", "week": "int32", "code": "int16"})
    persons = pd.DataFrame({"person_id": [1, 2, 3, 4], "start_week": [202050, 202101, 202101, 202050]})
    return persons, panel


SPECS = (
    OutcomeSpec("plc10", "any", ("placement",), window=(1, 10)),
    OutcomeSpec("plc11", "any", ("virksomhedspraktik", "loentilskud"), window=(1, 11)),
    OutcomeSpec("self4", "status_at", ("self_support",), week=4),
    OutcomeSpec("cash0", "status_at", ("kontanthjaelp",), week=0),
    OutcomeSpec("selfshare", "share", ("selvforsoergelse",), window=(1, 10)),
    OutcomeSpec("self_or_cash", "share", ("self_support", "cash_benefits"), window=(4, 7)),
    OutcomeSpec("pubshare", "share", ("public_support",), window=(-2, 3)),
    OutcomeSpec("tt_self", "time_to", ("self_support",), horizon=20),
    OutcomeSpec("tt_plc", "time_to", ("placement",), horizon=10),
    OutcomeSpec("tt_plc30", "time_to", ("placement",), horizon=30),
)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_known_answers(tiny, cm, engine):
    persons, panel = tiny
    res = derive_outcomes(persons, panel, cm, SPECS, engine=engine)
    f = res.frame
    assert list(f.index) == [1, 2, 3, 4]
    assert f["plc10"].tolist() == [1, 0, 0, 0]
    assert f["plc11"].tolist() == [1, 1, 0, 0]
    assert f["self4"].tolist() == [1, 0, 1, 0]
    assert f["cash0"].tolist() == [1, 0, 0, 0]
    assert f["selfshare"].tolist() == pytest.approx([0.5, 0.0, 1.0, 0.0])
    assert f["self_or_cash"].tolist() == pytest.approx([1.0, 1.0, 1.0, 0.0])
    assert f["pubshare"].tolist() == pytest.approx([1.0, 0.5, 0.0, 1.0])
    assert f["tt_self"].tolist() == [4, 12, 1, 20]
    assert f["tt_self_event"].tolist() == [1, 1, 1, 0]
    assert f["tt_plc"].tolist() == [1, 10, 10, 10]
    assert f["tt_plc_event"].tolist() == [1, 0, 0, 0]
    # the register ends in 202127: persons starting 202101 are censored at week 26, not 30
    assert f["tt_plc30"].tolist() == [1, 11, 26, 30]
    assert f["tt_plc30_event"].tolist() == [1, 1, 0, 0]
    assert res.report["persons_without_panel"] == 1
    assert res.report["n_person_weeks"] == len(panel)
    assert res.report["data_range"] == [int(add_weeks(202050, -10)), 202127]
    assert res.report["censored"] == {"tt_self": 1, "tt_plc": 3, "tt_plc30": 2}
    assert res.to_dict()["report"]["engine"] == engine


def test_engines_identical_and_row_order_free(tiny, cm, tmp_path):
    persons, panel = tiny
    a = derive_outcomes(persons, panel, cm, SPECS, engine="pandas").frame
    shuffled = panel.sample(frac=1.0, random_state=3)
    path = tmp_path / "panel.parquet"
    shuffled.to_parquet(path, index=False)
    b = derive_outcomes(persons, str(path), cm, SPECS).frame
    pd.testing.assert_frame_equal(a, b)


def test_window_outside_register(tiny, cm):
    persons, panel = tiny
    with pytest.raises(RegisterError, match=r"'late': window \[1, 52\] lies outside .* for 4 person\(s\), e.g. one with start_week"):
        derive_outcomes(persons, panel, cm, [OutcomeSpec("late", "any", ("placement",), window=(1, 52))])
    out = derive_outcomes(persons, panel, cm, [OutcomeSpec("late", "any", ("placement",), window=(1, 52))],
                          data_range=(201901, 202352))
    assert out.frame["late"].tolist() == [1, 1, 0, 0]


def test_bad_input_messages(tiny, cm):
    persons, panel = tiny
    spec = [SPECS[0]]
    dup = pd.concat([panel, panel.iloc[[4]].assign(code=131)], ignore_index=True)
    for engine in ("pandas", "duckdb"):
        with pytest.raises(RegisterError, match=r"more than one row in a week, e.g. in week 202052"):
            derive_outcomes(persons, dup, cm, spec, engine=engine)
    unknown = pd.concat([panel, pd.DataFrame({"person_id": [2, 2, 4], "week": [202105, 202106, 202105],
                                              "code": [555, 555, 556]})])
    unknown = unknown[~unknown.duplicated(["person_id", "week"], keep="last")]
    with pytest.raises(RegisterError, match=r"2 code\(s\) not in code map codes_example.yaml: 555 \(2 rows\), 556"):
        derive_outcomes(persons, unknown, cm, spec)
    res = derive_outcomes(persons, unknown, cm, [OutcomeSpec("oth", "any", ("other",), window=(1, 10))],
                          unknown_codes="other")
    assert res.frame["oth"].tolist() == [0, 1, 0, 1]
    assert res.report["unknown_codes"] == {"555": 2, "556": 1}
    with pytest.raises(RegisterError, match=r"2 person\(s\) have no 'start_week'"):
        derive_outcomes(persons.assign(start_week=[202050, None, None, 202050]), panel, cm, spec)
    bad_week = panel.assign(week=panel["week"].where(panel.index != 0, 202054))
    with pytest.raises(RegisterError, match="invalid value.*e.g. 202054"):
        derive_outcomes(persons, bad_week, cm, spec)
    with pytest.raises(RegisterError, match="unknown category or group 'jobs'"):
        derive_outcomes(persons, panel, cm, [OutcomeSpec("x", "any", ("jobs",), window=(1, 2))])
    with pytest.raises(RegisterError, match="column\\(s\\) code not found"):
        derive_outcomes(persons, panel.drop(columns="code"), cm, spec)


def test_spec_validation():
    with pytest.raises(RegisterError, match="needs `window`"):
        OutcomeSpec("a", "any", ("placement",))
    with pytest.raises(RegisterError, match=r"a <= b; got \(5, 1\)"):
        OutcomeSpec("a", "share", ("placement",), window=(5, 1))
    with pytest.raises(RegisterError, match="`horizon` must be an integer >= 1; got 0"):
        OutcomeSpec("a", "time_to", ("placement",), horizon=0)
    with pytest.raises(RegisterError, match="`kind` must be one of"):
        OutcomeSpec("a", "mean", ("placement",))
    with pytest.raises(RegisterError, match="takes no `week`"):
        OutcomeSpec("a", "any", ("placement",), window=(1, 2), week=3)


def test_code_map_validation(tmp_path, cm):
    assert cm.codes_for("loentilskud")[0] == 411
    assert cm.label("selvforsoergelse", "da") == "Selvforsørgelse"
    assert cm.resolve(["placement"]) == (frozenset({"virksomhedspraktik", "loentilskud"}), False)
    bad = tmp_path / "codes.yaml"
    bad.write_text("categories:\n  a: {codes: [1, 2]}\n  b: {codes: [2]}\n")
    with pytest.raises(RegisterError, match=r"codes.yaml: categories.b.codes: code 2 is also listed under a"):
        load_code_map(bad)
    bad.write_text("categories:\n  a: {codes: [1]}\ngroups:\n  g: {categories: [a, zz]}\n")
    with pytest.raises(RegisterError, match=r"codes.yaml: groups.g.categories: unknown categories zz"):
        load_code_map(bad)
    bad.write_text("categories:\n  A-b: {codes: [1]}\n")
    with pytest.raises(RegisterError, match=r"categories.A-b: category names must be lower-case ASCII"):
        load_code_map(bad)
    with pytest.raises(RegisterError, match="not found"):
        load_code_map(tmp_path / "missing.yaml")


def test_history_covariates(tiny, cm):
    persons, panel = tiny
    h = history_covariates(persons, panel, cm, windows=((2, "public_support"), (3, "self_support")))
    assert list(h.columns) == ["public_support_share_2w", "self_support_share_3w"]
    assert h["public_support_share_2w"].tolist() == pytest.approx([1.0, 0.0, 0.0, 1.0])
    assert h["self_support_share_3w"].tolist() == pytest.approx([1 / 3, 1.0, 1.0, 0.0])


def test_assign_pseudo_start_is_seeded_and_order_free():
    persons = pd.DataFrame({"person_id": np.arange(10), "outreach": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
                            "start_week": [202301, 202310, 202320] + [None] * 7})
    a = assign_pseudo_start(persons, "outreach", seed=4)
    b = assign_pseudo_start(persons.iloc[::-1], "outreach", seed=4).sort_values("person_id")
    assert a["start_week"].tolist() == b["start_week"].tolist()
    assert set(a["start_week"]) <= {202301, 202310, 202320}
    assert persons["start_week"].isna().sum() == 7  # input untouched
    with pytest.raises(RegisterError, match=r"1 treated person\(s\) have no 'start_week'"):
        assign_pseudo_start(persons.assign(start_week=[None] * 10).iloc[2:], "outreach", seed=1)
