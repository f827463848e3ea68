"""The output folder appears whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaltool.exceptions import DataError, EvaltoolError
from evaltool.study.outputs import atomic_folder, dumps_json, read_results
from evaltool.results.schema import ResultsDocument


def test_atomic_folder_replaces_previous(tmp_path):
    target = tmp_path / "out"
    atomic_folder(target, lambda d: (d / "a.txt").write_text("first"))
    atomic_folder(target, lambda d: (d / "b.txt").write_text("second"))
    assert sorted(p.name for p in target.iterdir()) == [".evaltool-output", "b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folders left


def test_failed_fill_leaves_previous_output_untouched(tmp_path):
    target = tmp_path / "out"
    atomic_folder(target, lambda d: (d / "results.json").write_text("old"))

    def broken(d):
        (d / "results.json").write_text("half")
        raise EvaltoolError("estimation failed")

    with pytest.raises(EvaltoolError, match="estimation failed"):
        atomic_folder(target, broken)
    assert (target / "results.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_target_that_is_a_file(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(EvaltoolError, match="exists and is not a folder"):
        atomic_folder(tmp_path / "out", lambda d: None)


def test_dumps_json_rejects_nan_and_keeps_order():
    assert dumps_json({"b": 1, "a": [1.5, None]}) == '{\n  "b": 1,\n  "a": [\n    1.5,\n    null\n  ]\n}\n'
    with pytest.raises(ValueError):
        dumps_json({"x": float("nan")})


FIXTURES = Path(__file__).parent / "fixtures" / "report"


@pytest.mark.parametrize("name", ["results_example.json", "results_midterm.json"])
def test_results_json_round_trip_is_byte_identical(name, tmp_path):
    """written -> read -> written gives the same bytes (typed document, schema v1)."""
    doc = ResultsDocument.read(FIXTURES / name)
    first = tmp_path / "first.json"
    first.write_text(doc.to_json(), encoding="utf-8")
    again = ResultsDocument.read(first)
    assert again == doc
    assert again.to_json().encode("utf-8") == first.read_bytes()
    assert again.effects[0].outcome == json.loads(first.read_text(encoding="utf-8"))["effects"][0]["outcome"]


def test_read_results_is_strict(tmp_path):
    data = json.loads((FIXTURES / "results_example.json").read_text(encoding="utf-8"))
    data["effects"][0]["estimat"] = 1.0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match=r"effects\[0\]: unknown key 'estimat'"):
        read_results(path)
    del data["effects"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match="missing 'effects'"):
        read_results(path)
    with pytest.raises(DataError, match="file not found"):
        read_results(tmp_path / "none.json")
