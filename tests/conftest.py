"""Shared fixtures. Reference data lives in tests/fixtures (copied with provenance)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def lalonde_example(tmp_path: Path) -> Path:
    """A copy of examples/lalonde (config + CSV) in a temporary folder; returns the config path."""
    src = ROOT / "examples" / "lalonde"
    for name in ("lalonde.yaml", "lalonde.csv"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    return tmp_path / "lalonde.yaml"
