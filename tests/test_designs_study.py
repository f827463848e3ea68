"""Every design method through a config and the study: ``design.method`` weighting / aipw / full,
``comparison_designs`` in results.json (typed, through the folder gate) and in the robustness chapter.

A small simulated study (``data.simulate``) keeps each run to seconds.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from evaltool.config.loader import config_from_dict
from evaltool.report.disclosure import DisclosureRules
from evaltool.report.gate import control_document
from evaltool.results.comparison import ComparisonDesignRow, ComparisonDesignsBlock
from evaltool.results.schema import ResultsDocument
from evaltool.study.run import run_study

BASE = {
    "study": {"title": "Designs", "seed": 4},
    "data": {"simulate": {"n": 2500, "seed": 3}},
    "outcomes": [{"name": "y", "label": {"da": "y", "en": "y"}, "kind": "any", "categories": ["loentilskud"],
                  "weeks": [1, 52]}],
    "design": {"covariates": ["age", "C(origin)"]},
}


def _run(design: dict, comparison: list | None = None):
    d = json.loads(json.dumps(BASE))
    d["design"].update(design)
    if comparison:
        d["comparison_designs"] = comparison
    cfg = config_from_dict(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cfg, run_study(cfg)


@pytest.fixture(scope="module")
def aipw_run():
    return _run({"method": "aipw", "n_folds": 2},
                [{"name": "nearest_caliper", "method": "nearest", "caliper": 0.2},
                 {"name": "overlap", "method": "weighting", "weighting": "overlap"},
                 {"name": "subclass8", "method": "subclass", "subclass": 8, "estimand": "ATE"}])


def test_weighting_design_runs_from_a_config():
    cfg, res = _run({"method": "weighting", "weighting": "entropy", "estimand": "ATE", "moments": 2})
    doc = res.document()
    assert doc.config.design.method == "weighting" and doc.config.design.estimand == "ATE"
    assert doc.config.design.options["method"] == "entropy" and doc.config.design.options["moments"] == 2
    assert doc.config.variance == "m_estimation" and doc.effects[0].variance == "m_estimation"
    # entropy balancing: weighted comparison means equal the whole sample's (ATE) -> SMD after ~ 0
    smd = [r.smd_after for r in doc.balance.rows if r.term == "age"]
    assert abs(smd[0]) < 1e-6
    assert ResultsDocument.from_dict(json.loads(doc.to_json())).to_json() == doc.to_json()


def test_aipw_design_estimates_with_aipw(aipw_run):
    cfg, res = aipw_run
    doc = res.document()
    e = doc.effects[0]
    assert (e.method, e.variance, e.estimand) == ("aipw", "influence_function", "ATE")
    assert doc.config.design.method == "aipw" and doc.config.variance == "influence_function"
    # the same number as evaltool.aipw on the persons the study used
    from evaltool.effects.aipw import aipw

    persons = res.design.data
    y = res.effects.effects  # already in percentage points (binary outcome)
    assert y.loc[0, "unit"] == "pp"
    frame = persons.assign(y=_derived_y(res))
    direct = aipw(frame, cfg.data.treatment, "y", list(cfg.design.covariates), n_folds=2, seed=cfg.study.seed)
    assert e.estimate == pytest.approx(100 * direct.estimate, rel=1e-12)
    assert e.std_error == pytest.approx(100 * direct.std_error, rel=1e-12)


def _derived_y(res):
    # the study's outcome frame is not part of StudyResult; rebuild it the way run_study does
    from evaltool.registers import OutcomeSpec, derive_outcomes
    from evaltool.study.inputs import load_study_data

    cfg = res.config
    data = load_study_data(cfg)
    spec = OutcomeSpec(name="y", kind="any", categories=("loentilskud",), window=(1, 52))
    derived = derive_outcomes(data.persons, data.panel, data.code_map, [spec], id_col=cfg.data.id,
                              start_col=cfg.data.start)
    return derived.frame.reindex(res.design.data.index)["y"]


def test_comparison_designs_block(aipw_run):
    cfg, res = aipw_run
    block = res.document().comparison_designs
    assert isinstance(block, ComparisonDesignsBlock)
    assert block.designs() == ["main", "nearest_caliper", "overlap", "subclass8"]
    main = block.rows[0]
    assert main.estimate == res.document().effects[0].estimate and main.method == "aipw"
    by = {r.design: r for r in block.rows}
    assert by["overlap"].estimand == "ATO" and by["subclass8"].estimand == "ATE"
    assert by["nearest_caliper"].variance == "cluster" and by["overlap"].variance == "m_estimation"
    # the comparison effects are the ones evaltool.estimate gives on each design
    import evaltool

    d = res.design.data
    w = evaltool.weight(d, cfg.data.treatment, list(cfg.design.covariates), method="overlap")
    direct = evaltool.estimate(w, _derived_y(res).rename("y").to_frame(), seed=cfg.study.seed)
    assert by["overlap"].estimate == pytest.approx(direct.effects.loc[0, "estimate"], rel=1e-12)
    assert all(np.isfinite(r.std_error) for r in block.rows)
    doc = res.document()
    assert ResultsDocument.from_dict(json.loads(doc.to_json())).to_json() == doc.to_json()


def test_gate_covers_comparison_counts(aipw_run):
    """Counts of a comparison design that differ from a published count by 1..min_cell-1 are hidden;
    small counts are hidden; with rounding every comparison count is a multiple of the base."""
    _, res = aipw_run
    doc = res.document()
    main = doc.effects[0]
    near = ComparisonDesignRow(design="near", method="nearest", outcome="y", estimand="ATT", variance="cluster",
                               estimate=1.0, std_error=0.5, ci_low=0.0, ci_high=2.0, p_value=0.05,
                               n_treated=main.n_treated - 2, n_control=main.n_control + 40, unit="pp")
    tiny = ComparisonDesignRow(design="tiny", method="cem", outcome="y", estimand="ATT", variance="cluster",
                               estimate=1.0, std_error=0.5, ci_low=0.0, ci_high=2.0, p_value=0.05,
                               n_treated=3, n_control=3, unit="pp")
    from dataclasses import replace

    raw = replace(doc, comparison_designs=ComparisonDesignsBlock(rows=(doc.comparison_designs.rows[0], near, tiny)))
    out, log = control_document(raw)
    rows = {r.design: r for r in out.comparison_designs.rows}
    assert rows["near"].n_treated is None and "n_treated" in rows["near"].suppressed
    assert rows["near"].n_control == main.n_control + 40
    assert rows["tiny"].n_treated is None and rows["tiny"].estimate is None
    assert rows["main"].n_treated == main.n_treated
    assert any(e.table == "comparison_designs" for e in log.entries)
    out5, _ = control_document(raw, DisclosureRules(rounding=5))
    assert all(r.n_control is None or r.n_control % 5 == 0 for r in out5.comparison_designs.rows)


def test_full_matching_design_from_a_config():
    cfg, res = _run({"method": "full", "caliper": 0.1, "estimand": "ATE", "exact": ["sex"]})
    doc = res.document()
    assert doc.config.design.method == "full" and doc.design.estimand in ("ATE",)
    assert doc.config.design.options["caliper"] == 0.1 and doc.config.design.m_order is None
    assert doc.effects[0].variance == "cluster" and np.isfinite(doc.effects[0].std_error)


def test_robustness_chapter_shows_the_comparison_table(aipw_run, tmp_path):
    from evaltool.study.outputs import write_outputs

    cfg, res = aipw_run
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_outputs(res, out)
    html = next(out.glob("report*.html")).read_text(encoding="utf-8")
    assert 'id="tab-designs"' in html and "nearest_caliper" in html
    gated = ResultsDocument.read(out / "results.json")
    assert gated.comparison_designs is not None and len(gated.comparison_designs.rows) == 4
