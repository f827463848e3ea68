"""`evaltool map`: the mapping output folder (results.json, tables, da/en reports) and its disclosure control."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaltool.report.process_disclosure import protect

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "splejse_mapping.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaltool.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def small_map(tmp_path_factory) -> Path:
    """The mapping of a small simulated population (n=400: many cells of 1-4 persons)."""
    out = tmp_path_factory.mktemp("map") / "m"
    cfg = tmp_path_factory.mktemp("cfg") / "splejse.yaml"
    shutil.copy(CONFIG, cfg)
    res = run_cli("map", str(cfg), "--out", str(out), "--set", "data.simulate.n=400")
    assert res.returncode == 0, res.stderr
    return out


def _counts(obj):
    """Every value of a key named n / n_mapped in a parsed JSON document."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "_suppressed":
                continue  # {field: rule} marks
            if k in ("n", "n_mapped") and v is not None:
                yield v
            yield from _counts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _counts(v)


def test_map_writes_the_folder_through_the_safe_output_code(small_map: Path):
    names = sorted(p.relative_to(small_map).as_posix() for p in small_map.rglob("*") if p.is_file())
    assert names == [".evaltool-output", "config.resolved.yaml", "disclosure_log.csv", "report.html",
                     "report_da.html", "report_en.html", "results.json", "tables/mapping_crosstab.csv",
                     "tables/mapping_entitlement.csv", "tables/mapping_margins.csv", "tables/mapping_starts.csv",
                     "tables/mapping_timeline.csv"]
    doc = json.loads((small_map / "results.json").read_text(encoding="utf-8"))
    assert doc["kind"] == "mapping" and doc["mapping"]["reference_week"] == 202440
    assert doc["mapping"]["by"] == ["area", "benefit", "match_group", "education"]
    da = (small_map / "report_da.html").read_text(encoding="utf-8")
    en = (small_map / "report_en.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in da and "Kortlægning af målgruppen" in da and "Dagpengeret" in da
    assert '<html lang="en">' in en and "The target group by characteristic" in en
    assert (small_map / "report.html").read_text(encoding="utf-8") == da  # study.language: da
    # an earlier evaltool folder is replaced; a foreign folder is refused (exit 2, one line)
    foreign = small_map.parent / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("x")
    res = run_cli("map", str(CONFIG), "--out", str(foreign), "--set", "data.simulate.n=400")
    assert res.returncode == 2 and "not written by evaltool" in res.stderr and len(res.stderr.splitlines()) == 1


def test_no_count_of_1_to_4_in_any_file(small_map: Path):
    doc = json.loads((small_map / "results.json").read_text(encoding="utf-8"))
    counts = list(_counts(doc))
    assert counts and not [n for n in counts if 1 <= n <= 4]
    m = doc["mapping"]
    assert any("_suppressed" in r for r in m["crosstab"]), "n=400 must give small cells (else the test is void)"
    for csv in (small_map / "tables").glob("*.csv"):
        n = pd.read_csv(csv)["n"].dropna()
        assert not n.between(1, 4).any(), csv.name
    for html in ("report_da.html", "report_en.html"):
        text = (small_map / html).read_text(encoding="utf-8")
        cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', text)
        assert cells and not [c for c in cells if re.fullmatch(r"[1-4]", c)], html
    for text in ((small_map / "disclosure_log.csv").read_text(encoding="utf-8"),
                 (small_map / "config.resolved.yaml").read_text(encoding="utf-8")):
        assert "person_id," not in text.split("\n", 1)[0]


def test_no_suppressed_cell_is_alone_in_a_published_equation(small_map: Path):
    """Secondary suppression: each margin level's cells (crosstab + margin) hide 0 or >= 2 values."""
    m = json.loads((small_map / "results.json").read_text(encoding="utf-8"))["mapping"]
    for col in m["by"]:
        levels = {r["keys"][col] for r in m["crosstab"]}
        for lev in levels:
            cells = [r for r in m["crosstab"] if r["keys"][col] == lev]
            cells += [r for r in m["margins"] if r["keys"] == {col: lev}]
            hidden = [r for r in cells if r["n"] is None]
            assert len(hidden) != 1, (col, lev)
        margin = [r for r in m["margins"] if col in r["keys"]]
        assert len([r for r in margin if r["n"] is None]) != 1, col


def test_protect_by_hand():
    # one equation 3 + 10 + 12 + 20: the 3 is primary, the smallest other (10) its complement
    assert protect([3, 10, 12, 20], [[0, 1, 2, 3]], 5) == ({0}, {1})
    # 2 x 2 table [[3, 6], [7, 8]] with row and column equations: all four cells hidden
    assert protect([3, 6, 7, 8], [[0, 1], [2, 3], [0, 2], [1, 3]], 5) == ({0}, {1, 2, 3})
    # two primary cells whose sum (1 + 2) is below 5: a third cell is hidden too
    assert protect([1, 2, 9, 30], [[0, 1, 2, 3]], 5) == ({0, 1}, {2})
    # zeros are hidden only when nothing else can protect a cell
    assert protect([4, 0, 0], [[0, 1, 2]], 5) == ({0}, {1})


def test_map_without_a_mapping_section_is_a_one_line_error(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    text = CONFIG.read_text(encoding="utf-8")
    head, rest = text.split("mapping:\n", 1)
    cfg.write_text(head + "journeys:\n" + rest.split("journeys:\n", 1)[1], encoding="utf-8")
    res = run_cli("map", str(cfg), "--out", str(tmp_path / "m"))
    assert res.returncode == 2 and "mapping" in res.stderr and "add one" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_bad_mapping_key_names_file_and_line(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    text = CONFIG.read_text(encoding="utf-8").replace("reference_week: 202440", "reference_week: 202460")
    cfg.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "reference_week: 202460" in s)
    res = run_cli("validate", str(cfg), "--quick")
    assert res.returncode == 2 and f"c.yaml:{line}" in res.stderr and "reference_week" in res.stderr


def test_mapping_document_is_deterministic_and_round_trips():
    from evaltool.config import load_config
    from evaltool.report.mapping_report import control_mapping_document
    from evaltool.results.process import MappingDocument
    from evaltool.results.schema import dumps_json
    from evaltool.study.mapping_run import mapping_document, run_mapping_study

    cfg = load_config(CONFIG, ["data.simulate.n=400"])
    texts = [dumps_json(control_mapping_document(mapping_document(cfg, run_mapping_study(cfg)))[0].to_dict())
             for _ in range(2)]
    assert texts[0] == texts[1]
    assert dumps_json(MappingDocument.from_dict(json.loads(texts[0])).to_dict()) == texts[0]
