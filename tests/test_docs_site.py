"""The documentation site builds in strict mode (broken links, missing references and failing
examples fail it), and its configuration reference covers every key of the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaltool.config.reference import config_reference, config_reference_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_config_reference_lists_every_schema_key():
    text = config_reference_markdown()
    rows = config_reference()
    assert len(rows) > 50
    for row in rows:
        assert f"| `{row.key}` |" in text
    keys = {r.key for r in rows}
    assert {"design.caliper", "outcomes[].kind", "report.disclosure.min_cell"} <= keys


@pytest.mark.slow
def test_docs_site_builds_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "config" / "index.html").is_file()
    assert "894.3675" in (tmp_path / "site" / "examples" / "lalonde" / "index.html").read_text(encoding="utf-8")
