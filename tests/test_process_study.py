"""`evaltool run` with the process sections: journeys, case duration, process effects and cost in the typed
results document, disclosure control of the transition counts, the report chapters, config errors."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from evaltool.config import load_config
from evaltool.exceptions import ConfigError
from evaltool.report import render_report
from evaltool.report.disclosure import apply_disclosure
from evaltool.results.process import ProcessEffectRow
from evaltool.results.schema import ResultsDocument

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "splejse_mapping.yaml"


@pytest.fixture(scope="module")
def result():
    from evaltool.study.run import run_study

    cfg = load_config(CONFIG, ["data.simulate.n=1200"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_study(cfg)


def test_blocks_are_typed_and_round_trip_byte_identical(result):
    doc = result.document()
    assert doc.schema_version == 2
    assert doc.mapping is not None and doc.journeys is not None and doc.case_duration is not None
    assert doc.cost is not None and doc.process
    assert all(isinstance(r, ProcessEffectRow) for r in doc.process)
    text = doc.to_json()
    again = ResultsDocument.from_dict(json.loads(text)).to_json()
    assert again == text
    keys = list(json.loads(text))
    assert "process_analyses" not in keys
    assert keys[-5:] == ["mapping", "journeys", "case_duration", "cost", "comparison_designs"] and "process" in keys
    t = json.loads(text)["journeys"]["transitions"][0]
    assert list(t) == ["group", "from_period", "to_period", "states", "counts", "shares"]
    for row in t["shares"]:  # each row of shares sums to 1 (a row nobody started in is null)
        assert row is None or all(v is None for v in row) or sum(row) == pytest.approx(1.0)


def test_process_effects_have_intervals_that_cover_the_simulated_truth(result):
    rows = {r.indicator: r for r in result.document().process if r.subgroup is None}
    truth = result.blocks.simulation["truth"]["contacts"]  # evaltool.simulate.contacts.CONTACT_EFFECTS
    checked = 0
    for name in ("meetings_scheduled", "no_show_rate"):
        r = rows[name]
        assert r.ci_low < r.estimate < r.ci_high
        true = truth[name] * (100 if r.unit == "pp" and abs(truth[name]) < 1 else 1)
        assert r.ci_low <= true <= r.ci_high, (name, true, r.ci_low, r.ci_high)
        checked += 1
    assert checked == 2


def test_cost_reads_the_study_effect(result):
    doc = result.document()
    cost = doc.cost
    eff = doc.effect("internship_or_wage_subsidy_52w")
    row = cost.per_outcome[0]
    assert cost.extra_cost_per_participant == 38000 - 21000  # configs/splejse_mapping.yaml
    assert row.effect == pytest.approx(eff.estimate / 100)
    if row.effect > 0:  # cost per additional person = extra cost / effect (docs/process.md section 6)
        assert row.cost_per_additional_estimate == pytest.approx(17000 / row.effect)
    else:  # a negative effect: no additional person at any price
        assert row.cost_per_additional_estimate is None and row.note


def test_transition_counts_are_suppressed_and_not_recoverable(result):
    controlled, log = apply_disclosure(result.document())
    jr = controlled.journeys
    raw = result.document().journeys
    assert any(1 <= v <= 4 for t in raw.transitions for row in t.counts for v in row), "test needs small cells"
    hidden_share = {(d.group, d.week, d.state): int(d.share is None and "share" in d.suppressed)
                    for d in jr.distribution}
    for t in jr.transitions:
        for row in t.counts:
            assert not [v for v in row if v is not None and 1 <= v <= 4]
        n = len(t.states)
        step = {"month": 4, "quarter": 13}[jr.period]
        for a in range(n):
            # the row sum is the state's head count at the period start (the distribution's share x n), the
            # column sum the head count at the next period start: each equation hides 0 or >= 2 values
            start, end = (hidden_share.get((t.group, w, t.states[a]), 0) for w in (t.from_period * step,
                                                                                  t.to_period * step))
            assert sum(t.counts[a][b] is None for b in range(n)) + start != 1, (t.group, t.from_period, "row", a)
            assert sum(t.counts[b][a] is None for b in range(n)) + end != 1, (t.group, t.from_period, "col", a)
    assert any(e.table == "journeys.transitions" and e.rule == "secondary" for e in log.entries)


def test_report_has_the_process_chapters_in_both_languages(result):
    doc = result.document()
    da = render_report(doc, "midterm", "da").html
    en = render_report(doc, "midterm", "en").html
    for html, words in ((da, ("Borgerrejsen", "CFBU", "procentpoint", "Udeblivelser pr. planlagt møde")),
                        (en, ("Citizen journeys", "CFBU", "percentage points", "No-shows per scheduled meeting"))):
        toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
        numbers = []
        for cid in ("mapping", "journeys", "case-duration", "process-effects", "cost"):
            m = re.search(rf'<a href="#{cid}"><span class="num">(\d+)</span>', toc)
            assert m, cid  # every process chapter is in the table of contents ...
            numbers.append(int(m.group(1)))
            assert f'<section id="{cid}" class="chapter">' in html, cid  # ... and in the report
        impl = int(re.search(r'<a href="#implementation"><span class="num">(\d+)</span>', toc).group(1))
        assert numbers == list(range(impl + 1, impl + 6))  # right after "Implementation", numbered in order
        for w in words:
            assert w in html, w
        for group in ("treated", "comparison"):  # the alluvial figure: alt text and a data table
            fig = html[html.index(f'<figure id="fig-alluvial-{group}"'):]
            fig = fig[:fig.index("</figure>")]
            assert 'role="img"' in fig and re.search(r"<title id=\"fig-alluvial-[a-z]+-title\">[^<]{80,}</title>", fig)
            assert f'<table id="tab-alluvial-{group}">' in fig
            counts = [int(x.replace(".", "")) for x in re.findall(r'<td class="num">([\d.]+)</td>', fig)]
            assert counts and min(counts) >= 5  # no flow of fewer than 5 persons is drawn or listed
    assert re.search(r"−\d+,\d procentpoint", da)  # decimal comma, typographic minus


def test_alluvial_draws_only_published_flows(result):
    from evaltool.report.journey_figure import drawn_flows

    controlled, _log = apply_disclosure(result.document())
    raw = result.document().journeys
    for t_raw, t in zip(raw.transitions, controlled.journeys.transitions):
        (drawn,) = drawn_flows([t.counts], 5)
        for a, row in enumerate(t_raw.counts):
            for b, v in enumerate(row):
                if t.counts[a][b] is None or v < 5:  # suppressed (primary or secondary) or small: not drawn
                    assert drawn[a, b] == 0
                else:
                    assert drawn[a, b] == v


@pytest.mark.parametrize("edit, match", [
    (("  simulate: {n: 20000, seed: 2026, treated_share: 0.25}",
      "  persons: persons.csv\n  weekly_status: dream.csv\n  code_map: codes.yaml"),
     r"c\.yaml:\d+: contacts\.path: .*contact log"),
    (("  outcomes: [internship_or_wage_subsidy_52w]\n  method", "  outcomes: [nope]\n  method"),
     r"c\.yaml:\d+: cost\.outcomes: .*nope"),
    (("  period: quarter ", "  period: week "), r"c\.yaml:\d+: journeys\.period"),
])
def test_config_errors_name_file_line_and_key(tmp_path: Path, edit, match):
    text = CONFIG.read_text(encoding="utf-8")
    assert edit[0] in text
    (tmp_path / "c.yaml").write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_config(tmp_path / "c.yaml")


def test_social_outcome_needs_the_social_register(tmp_path: Path):
    text = (ROOT / "configs" / "copenhagen_outreach.yaml").read_text(encoding="utf-8")
    (tmp_path / "c.yaml").write_text(text.replace(", social_register: true}", "}", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml:\d+: outcomes: .*debt_collection_52w.*social_register"):
        load_config(tmp_path / "c.yaml")
