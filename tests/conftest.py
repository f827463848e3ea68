"""Shared fixtures. Reference data lives in tests/fixtures (copied with provenance)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# tests/reference/ holds the scripts that generated the fixtures (with R or reference Python packages
# such as wildboottest or DoubleML, which the test environment need not have): never collected, not
# even for doctests
collect_ignore_glob = ["reference/*.py"]


@pytest.fixture
def lalonde_example(tmp_path: Path) -> Path:
    """A copy of examples/lalonde (config + CSV) in a temporary folder; returns the config path."""
    src = ROOT / "examples" / "lalonde"
    for name in ("lalonde.yaml", "lalonde.csv"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    return tmp_path / "lalonde.yaml"


def copenhagen_on_files(folder: Path, *, extra_data: str = "", keep_age_rule: bool = True) -> Path:
    """configs/copenhagen_outreach.yaml pointed at ``persons.parquet`` + ``weekly_status.parquet`` in
    ``folder`` (instead of ``data.simulate``); ``extra_data`` adds lines to the ``data:`` section.
    Writes and returns ``folder / "study.yaml"``."""
    text = (ROOT / "configs" / "copenhagen_outreach.yaml").read_text(encoding="utf-8")
    line = re.search(r"^  simulate: \{n: 60000, seed: 2026, treated_share: 0.25[^\n]*\n", text, flags=re.M)
    assert line, "configs/copenhagen_outreach.yaml no longer simulates as the tests expect"
    text = text.replace(line.group(0), "  persons: persons.parquet\n  weekly_status: weekly_status.parquet\n"
                                       f"  code_map: {ROOT / 'configs' / 'codes_example.yaml'}" + extra_data + "\n")
    # the simulated-only inputs (the social register and the contact log) have no file here
    text, n_social = re.subn(r"  - name: debt_collection_52w.*?weeks: \[1, 52\]\n", "", text, flags=re.S)
    text, n_contacts = re.subn(r"^contacts:\n(?:  .*\n)+", "", text, flags=re.M)
    assert n_social == 1 and n_contacts == 1, "the simulated-only sections of the Copenhagen config moved"
    if not keep_age_rule:
        text = text.replace("    - {column: age, min: 30}\n", "")
    path = folder / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def copenhagen_files():
    """The :func:`copenhagen_on_files` helper, as a fixture."""
    return copenhagen_on_files


def browser_unavailable(reason: str):
    """A browser-test prerequisite is missing: fail under ``CI=true`` (.ci/run installs it), skip elsewhere."""
    import os

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)
