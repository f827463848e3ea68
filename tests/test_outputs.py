"""The output folder appears whole or not at all."""

from __future__ import annotations

import pytest

from evaltool.exceptions import EvaltoolError
from evaltool.study.outputs import atomic_folder, dumps_json


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
