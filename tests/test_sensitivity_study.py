"""The sensitivity stage wired into config, ``evaltool run``, results.json and the robustness chapter.

One real run of ``configs/copenhagen_outreach.yaml`` on a small simulated sample (module fixture),
with ``self_support_26w`` declared a named placebo outcome on the command line.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from evaltool.config import load_config
from evaltool.config.loader import config_from_dict
from evaltool.exceptions import ConfigError, DataError
from evaltool.report.disclosure import DisclosureRules, apply_disclosure
from evaltool.results.schema import ResultsDocument
from evaltool.specs.sensitivity import ClusterSpec, SensitivitySpec

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "copenhagen_outreach.yaml"
N = 4000
HEADLINE = ["internship_or_wage_subsidy_52w", "ordinary_employment_52w", "self_support_share_104w",
            "debt_collection_52w"]  # the last: the social outcome from the simulated social register
PLACEBO = "self_support_26w"


def _run_cli(args: list[str]) -> int:
    from evaltool.cli import main

    old = sys.argv
    sys.argv = ["evaltool", *args]
    try:
        return main()
    finally:
        sys.argv = old


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sens") / "out"
    code = _run_cli(["run", str(CONFIG), "--set", f"data.simulate.n={N}", "--set", "report.languages=[da,en]",
                     "--set", f"sensitivity.placebo_outcomes=[{PLACEBO}]", "--out", str(out)])
    assert code in (None, 0)  # main() returns the exit status (None: success)
    return out


@pytest.fixture(scope="module")
def doc(run_dir) -> ResultsDocument:
    return ResultsDocument.read(run_dir / "results.json")


# -- config -----------------------------------------------------------------------------------------

def _base() -> dict:
    import yaml

    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def test_defaults_build_the_spec_and_resolve_area_clustering():
    data = _base()
    data.pop("sensitivity")
    cfg = config_from_dict(data)
    spec = cfg.sensitivity.spec(columns=["age", "area"], placebo_outcomes=["x"])
    assert isinstance(spec, SensitivitySpec)
    assert spec.rosenbaum and spec.evalue and spec.placebo.pre_period
    assert spec.cluster == ClusterSpec(by="area")
    assert spec.placebo.outcomes == ("x",)
    assert spec.specification_curve is None
    no_area = cfg.sensitivity.spec(columns=["age"], has_register_outcomes=False)
    assert no_area.cluster is None and not no_area.placebo.pre_period


def test_section_is_the_spec_with_its_rules(tmp_path):
    text = CONFIG.read_text(encoding="utf-8").replace("gamma: {start: 1, stop: 3, step: 0.1}",
                                                      "gamma: {start: 1, stop: 3, step: 0}")
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "gamma:" in s)
    with pytest.raises(ConfigError, match=rf"c\.yaml:{line}: sensitivity\.gamma\.step: must be a number > 0; got 0"):
        load_config(tmp_path / "c.yaml")


@pytest.mark.parametrize("override, pattern", [
    ("sensitivity.placebo.placebo_start_shift_weeks=52",
     r"\(--set\): sensitivity\.placebo\.placebo_start_shift_weeks: .*not implemented yet"),
    ("sensitivity.placebo.outcomes=[self_support_26w]",
     r"sensitivity\.placebo\.outcomes: .*sensitivity\.placebo_outcomes"),
    ("sensitivity.placebo_outcomes=[nosuch]", r"sensitivity\.placebo_outcomes: names unknown outcomes: nosuch"),
    ("sensitivity.cluster=everywhere", r"sensitivity\.cluster: must be"),
    ("outcomes.4.placebo=true", r"copenhagen_outreach\.yaml:\d+: outcomes\[4\]: .*time_to.*cannot be a placebo"),
])
def test_config_errors_name_the_key(override, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(CONFIG, [override])


# -- an actual run --------------------------------------------------------------------------------

def test_results_have_every_analysis_for_every_headline_outcome(doc):
    s = doc.sensitivity
    assert [e.outcome for e in doc.effects if e.subgroup is None] == HEADLINE  # the placebo is no effect
    assert [r.outcome for r in s.rosenbaum] == HEADLINE
    assert all(r.n_sets and r.gamma_grid and len(r.p_upper) == len(r.gamma_grid) for r in s.rosenbaum)
    assert [r.outcome for r in s.evalue] == HEADLINE
    assert all(r.evalue is not None and r.evalue >= 1 for r in s.evalue)
    pre = [r for r in s.placebo if r.kind == "pre_period"]
    # pre-period placebos come from the weekly status panel; the social register outcome has none (yet)
    assert [r.outcome for r in pre] == [f"{o}_pre" for o in HEADLINE if o != "debt_collection_52w"]
    # the simulation has no pre-period difference between matched groups: every placebo interval covers 0
    assert all(r.ci_low < 0 < r.ci_high for r in pre)
    named = [r for r in s.placebo if r.kind == "named"]
    assert [r.outcome for r in named] == [PLACEBO]
    for o in HEADLINE:
        head = s.headline_for(o)
        assert head is not None and head.se_type == s.headline_interval[o].se_type
        # simulate_study has 16 areas: few clusters, so the wild cluster bootstrap is the headline
        assert head.se_type == "wild_cluster_bootstrap" and head.n_clusters == 16
        assert isinstance(head.n_treated_clusters, int) and 0 < head.n_treated_clusters < 16
    assert {r.outcome for r in s.specification_curve} == set(HEADLINE)
    assert len(s.specification_curve) == 8 * len(HEADLINE)  # caliper 2 x ratio 2 x regression 2


def test_results_json_round_trips_byte_identical(run_dir, doc):
    text = (run_dir / "results.json").read_text(encoding="utf-8")
    assert doc.to_json() == text
    assert "spec_id" not in text and "person_id" not in text
    assert json.loads(text)["sensitivity"]["spec"]["cluster"]["by"] == "area"


def test_spec_is_read_back_as_the_spec_that_ran(run_dir, doc):
    """The robustness chapter reads ``spec.alpha`` from the typed spec; an invalid spec is named on reading."""
    assert isinstance(doc.sensitivity.spec, SensitivitySpec) and doc.sensitivity.spec.cluster.by == "area"
    d = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    d["sensitivity"]["spec"]["alpha"] = 0.7
    with pytest.raises(DataError, match=r"results\.sensitivity\.spec\.alpha"):
        ResultsDocument.from_dict(d)


def _chapter(run_dir: Path, lang: str) -> str:
    html = (run_dir / f"report_final_{lang}.html").read_text(encoding="utf-8")
    start = html.index('<section id="robustness"')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("lang, title, gamma_text, placebo_ok, headline", [
    ("da", "Hvor robust er resultatet?", "gange så tilbøjelige", "Alle placebointervaller omfatter 0",
     "Hovedintervallet er wild cluster bootstrap over boligområder: med kun 16 boligområder"),
    ("en", "How robust is the result?", "times as likely", "Every placebo interval includes 0",
     "The headline interval is the wild cluster bootstrap over housing areas: with only 16 areas"),
])
def test_robustness_chapter_in_both_languages(run_dir, lang, title, gamma_text, placebo_ok, headline):
    ch = _chapter(run_dir, lang)
    assert title in ch and gamma_text in ch and placebo_ok in ch and headline in ch
    assert len(re.findall(r'<svg class="chart" role="img" aria-labelledby="fig-speccurve-\d-title"', ch)) == len(HEADLINE)
    assert 'id="tab-speccurve-1"' in ch and 'id="tab-hidden-bias"' in ch and 'id="tab-placebo"' in ch
    assert "not computed" not in ch and "ikke beregnet" not in ch
    if lang == "da":
        assert re.search(r"Γ = 1,\d\d", ch) or "intet at bortforklare" in ch
        assert not re.search(r"\d\.\d(?!\d\d)", re.sub(r"<svg.*?</svg>", "", ch, flags=re.S))  # decimal comma


def test_disclosure_hides_sensitivity_statistics_on_few_persons(doc):
    controlled, log = apply_disclosure(doc, DisclosureRules(min_cell=100_000))
    s = controlled.sensitivity
    assert all(r.gamma_critical is None and r.p_upper == () and r.suppressed.get("gamma_critical") == "n"
               for r in s.rosenbaum)
    assert all(r.evalue is None for r in s.evalue)
    assert all(r.estimate is None for r in s.placebo + s.specification_curve)
    assert {e.table for e in log.entries} >= {"sensitivity.rosenbaum", "sensitivity.placebo",
                                              "sensitivity.specification_curve"}
    same, _log = apply_disclosure(doc, DisclosureRules(min_cell=5))
    assert same.sensitivity.rosenbaum == doc.sensitivity.rosenbaum  # enough persons: nothing hidden
