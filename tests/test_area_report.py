"""The area chapter and area-only reports (configs/fredericia_areas.yaml), and area disclosure control.

Numbers in the expected sentences come from the run's own results.json (the before/after rows of the
area block), formatted as the report must format them (Danish decimal comma, "procentpoint").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evaltool.cli import main
from evaltool.exceptions import DataError
from evaltool.report import DisclosureRules, apply_disclosure, render_report
from evaltool.results.areas import AreaBlock, AreaPopulation, BeforeAfterRow, DonorWeight, PretrendTest
from evaltool.results.schema import ResultsDocument
from evaltool.specs.areas import AreaSpec
from evaltool.study.outputs import results_json

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--set", "area_panel.n_boot=99", "--set", "area_panel.n_permutations=99", "--set", "area_panel.n_placebo=20"]
PERSON_CHAPTERS = ("effort", "target-group", "implementation", "results", "balance", "subgroups", "robustness")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("areas") / "out"
    assert main(["run", str(ROOT / "configs" / "fredericia_areas.yaml"), "--out", str(folder), *FAST]) in (0, None)
    assert (folder / "results.json").is_file()
    return folder


def _text(html: str) -> str:
    html = re.sub(r"<(svg|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _pct(x: float, lang: str) -> str:
    s = f"{100 * x:.1f}"
    return s.replace(".", ",") + " %" if lang == "da" else s + "%"


@pytest.mark.parametrize("template", ["final", "midterm"])
@pytest.mark.parametrize("lang", ["da", "en"])
def test_area_only_report(out, template, lang):
    doc = ResultsDocument.read(out / "results.json")
    html = render_report(doc, template, lang).html
    text = _text(html)
    assert 'id="area"' in html and 'id="fig-area-trends"' in html and 'id="fig-area-event"' in html
    assert 'id="tab-area-estimates"' in html
    for cid in PERSON_CHAPTERS + ("comparison", "conclusions"):
        assert f'id="{cid}"' not in html, cid
    for cid in ("summary", "appendix-method", "appendix-data", "provenance"):
        assert f'id="{cid}"' in html, cid
    ba = {r.unit: r for r in doc.area.before_after}["Korskærparken"]
    pp = f"{100 * abs(ba.comparison_change):.1f}"
    if lang == "da":
        expect = (f"Ledigheden i Korskærparken faldt fra {_pct(ba.before, 'da')} i 2013 til "
                  f"{_pct(ba.after, 'da')} i 2020")
        assert expect in text
        assert f"men den faldt også med {pp.replace('.', ',')} procentpoint i sammenligningsområderne" in text
        assert "Den estimerede effekt af indsatsen er −3,1 procentpoint (95 %-KI: " in text
    else:
        expect = f"Unemployment in Korskærparken fell from {_pct(ba.before, 'en')} in 2013 to {_pct(ba.after, 'en')}"
        assert expect in text
        assert f"but it also fell by {pp} percentage points in the comparison areas" in text
        assert "The estimated effect of the effort is −3.1 percentage points (95% CI: " in text
    assert not re.search(r"\barea\.[a-z_]+", text), "untranslated message id"
    assert "{" not in text and "None" not in text


def test_results_json_and_outputs(out):
    d = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert d["area"]["before_after"][0]["before"] is not None  # no small areas in this config
    assert (out / "disclosure_log.csv").read_text(encoding="utf-8").splitlines()[0] == "table,row,column,reason,rule,report"


def test_area_block_is_typed_and_round_trips(out):
    """The report and disclosure read typed rows and the spec that ran; the file's bytes are unchanged."""
    text = (out / "results.json").read_text(encoding="utf-8")
    doc = ResultsDocument.read(out / "results.json")
    a = doc.area
    assert isinstance(a.spec, AreaSpec) and a.spec.reference_period == -1 and a.spec.alpha == 0.05
    assert a.before_after and all(isinstance(r, BeforeAfterRow) for r in a.before_after)
    assert a.populations and all(isinstance(r, AreaPopulation) for r in a.populations)
    assert a.donor_weights and all(isinstance(r, DonorWeight) for r in a.donor_weights)
    assert isinstance(a.pretrend_test, PretrendTest) and a.pretrend_test.n_leads == len(a.pretrend_test.leads) > 0
    assert doc.to_json() == text


def test_area_spec_is_read_back_strictly(out):
    d = json.loads((out / "results.json").read_text(encoding="utf-8"))
    d["area"]["spec"]["reference_period"] = 3
    with pytest.raises(DataError, match=r"results\.area\.spec\.reference_period"):
        ResultsDocument.from_dict(d)


@pytest.mark.parametrize("event_min", [-3, -1])
def test_pretrend_test_keeps_the_keys_the_event_study_returns(event_min):
    """With leads the F-test keys are written, without (event_min = reference period) a note instead."""
    from evaltool.areas import run_area_analysis
    from evaltool.simulate.areas import simulate_area_panel

    df, _ = simulate_area_panel(12, range(2008, 2021), "fredericia", -0.03, 1)
    res = run_area_analysis(df, {"methods": ["event_study"], "event_min": event_min, "n_boot": 0,
                                 "n_permutations": 0})
    raw = json.loads(json.dumps(res.to_dict()))["pretrend_test"]
    typed = AreaBlock.from_result(res, []).pretrend_test
    assert list(typed.to_dict()) == list(raw) and typed.to_dict() == raw
    assert (typed.note is None) == (event_min == -3) and (typed.f_pvalue is None) == (event_min == -1)


def _shrink(d: dict, units: dict[str, float]) -> dict:
    a = d["area"]
    for r in a["before_after"]:
        if r["unit"] in units:
            r["population_before"] = r["population_after"] = units[r["unit"]]
    for r in a["populations"]:
        if r["unit"] in units:
            r["population_min"] = r["population_mean"] = units[r["unit"]]
    for p in a["trends"]:
        if p["series"] in units:
            p["population"] = units[p["series"]]
    return d


def test_small_area_hidden_everywhere(out):
    d = _shrink(json.loads((out / "results.json").read_text(encoding="utf-8")), {"Nørrebrogade": 3.0, "Område 07": 4.0})
    doc = ResultsDocument.from_dict(d)
    ctrl, log = apply_disclosure(doc, DisclosureRules(min_cell=5))
    a = ctrl.area
    ba = {r.unit: r for r in a.before_after}
    assert ba["Nørrebrogade"].before is None and ba["Nørrebrogade"].suppressed["before"] == "area"
    # two treated areas: the treated mean would reveal the hidden one, so the other is hidden too
    assert ba["Korskærparken"].before is None and ba["Korskærparken"].suppressed["before"] == "secondary"
    pops = {r.unit: r for r in a.populations}
    assert pops["Område 07"].population_min is None
    assert sum(r.population_min is None for u, r in pops.items() if r.first_treated == 0) == 2  # + complement
    assert all(p.value is None for p in a.trends if p.kind == "area")
    assert all(p.population is None for p in a.trends if p.kind in ("treated", "comparison"))
    # Område 07 is the synthetic control's only donor (weight 1): its path is hidden
    assert all(w.weight is None for w in a.donor_weights if w.unit == "Område 07")
    assert all(p.value is None for p in a.trends if p.kind == "synthetic_control")
    rows = log.to_frame()
    assert {"Nørrebrogade", "Område 07"} <= set(rows.loc[rows["rule"] == "area", "row"])
    assert (rows["rule"] == "secondary").any()
    # the report: no figure of the hidden area, a notice; results.json: hidden the same way
    html = render_report(doc, "final", "da").html
    text = _text(html)
    assert "Ledigheden i Nørrebrogade" not in text and "Ledigheden i Korskærparken" not in text
    assert "færre end 5 beboere" in text
    ba_raw = {r["unit"]: r for r in d["area"]["before_after"]}
    assert _pct(ba_raw["Nørrebrogade"]["before"], "da") not in text
    assert "<td class=\"num sup\">&lt;5</td>" in html
    written = json.loads(results_json(doc, 5))["area"]
    assert {r["unit"]: r for r in written["before_after"]}["Nørrebrogade"]["before"] is None
    assert written["populations"] == [r for r in json.loads(ctrl.to_json())["area"]["populations"]]


def test_person_and_area_study_shows_both(out):
    """A results document with person results and an area block: the person chapters plus the area chapter."""
    d = json.loads((ROOT / "tests" / "fixtures" / "report" / "results_example.json").read_text(encoding="utf-8"))
    d["area"] = json.loads((out / "results.json").read_text(encoding="utf-8"))["area"]
    for lang in ("da", "en"):
        html = render_report(d, "final", lang).html
        ids = re.findall(r'<section id="([a-z-]+)" class="chapter', html)
        assert ids[:8] == ["summary", "effort", "target-group", "implementation", "results", "balance",
                           "subgroups", "area"], ids
        toc = re.findall(r'<li><a href="#([a-z-]+)"><span class="num">', html)
        assert toc == ids  # contents and chapters in the same order
        assert 'id="fig-area-trends"' in html
        assert not re.search(r"\barea\.[a-z_]+", _text(html))


def test_small_area_end_to_end(tmp_path):
    """`evaltool run` on an area file where Område 03 has 3 residents: hidden in results.json, the
    report and logged in disclosure_log.csv (a second comparison area hidden as its complement)."""
    from evaltool.simulate.areas import simulate_area_panel

    df, _ = simulate_area_panel(16, range(2008, 2021), "fredericia", -0.03, 2026)
    df.loc[df["area"] == "Område 03", "residents"] = 3
    df.to_csv(tmp_path / "areas.csv", index=False)
    (tmp_path / "a.yaml").write_text(
        "study: {title: Områder, stage: final, language: da, seed: 1}\n"
        "area_panel:\n  path: areas.csv\n  unit: area\n  time: year\n  outcome: unemployment_rate\n"
        "  first_treated: outreach_start_year\n  population: residents\n"
        "  methods: [before_after, did_2x2, twfe, event_study]\n  n_boot: 0\n  n_permutations: 0\n",
        encoding="utf-8")
    main(["run", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "out")])
    res = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["area"]
    pops = {r["unit"]: r for r in res["populations"]}
    assert pops["Område 03"]["population_min"] is None and pops["Område 03"]["_suppressed"]["population_min"] == "area"
    hidden = [u for u, r in pops.items() if r["population_min"] is None]
    assert len(hidden) == 2  # Område 03 and its complement
    assert all(p["population"] is None for p in res["trends"] if p["kind"] == "comparison")
    log = (tmp_path / "out" / "disclosure_log.csv").read_text(encoding="utf-8")
    assert "area,Område 03,area,housing area with fewer than 5 residents,area,report.html" in log
    assert ",secondary," in log
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<td class=\"num sup\">&lt;5</td>" in html and ">3<" not in html
