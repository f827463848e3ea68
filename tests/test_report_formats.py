"""Issue 17: `report.formats` in the config and the study metadata keys are checked at the boundary."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaltool.config import load_config
from evaltool.exceptions import ConfigError

BASE = """\
study:
  title: Test study
data:
  simulate: {n: 1000, seed: 3}
design:
  covariates: [age, C(origin), prior_support_share]
  caliper: 0.2
outcomes:
  - name: placement_52w
    label: {da: "Praktik eller løntilskud", en: "Internship or wage subsidy"}
    kind: any
    categories: [virksomhedspraktik, loentilskud]
    weeks: [1, 52]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_formats_default_to_html_and_accept_pdf(tmp_path):
    assert load_config(write(tmp_path, BASE)).report.formats == ["html"]
    cfg = load_config(write(tmp_path, BASE + "report:\n  formats: [html, pdf]\n"))
    assert cfg.report.formats == ["html", "pdf"]


@pytest.mark.parametrize("value, match", [
    ("[pdf]", r"study\.yaml:15: report\.formats: .*must include 'html'"),
    ("[html, docx]", r"study\.yaml:15: report\.formats\[1\]: must be one of 'html' or 'pdf'; got 'docx'"),
    ("[html, html]", r"study\.yaml:15: report\.formats: .*lists a format twice"),
])
def test_bad_formats_name_file_line_and_key(tmp_path, value, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, BASE + f"report:\n  formats: {value}\n"))
