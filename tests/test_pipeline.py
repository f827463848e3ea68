"""End-to-end: `evaltool run` on the example configs, determinism, no ids in outputs."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaltool.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=900)


REQUIRED_EFFECT_KEYS = {"outcome", "estimand", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                        "mean_treated", "mean_control", "n_treated", "n_control"}


@pytest.fixture(scope="module")
def copenhagen_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cph") / "out"
    res = run_cli("run", str(ROOT / "configs" / "copenhagen_outreach.yaml"), "--out", str(out))
    assert res.returncode == 0, f"the main example config fails: {res.stderr.strip()[-300:]}"
    return out


@pytest.mark.slow
def test_every_disclosure_table_in_the_log_has_a_name_in_both_languages(copenhagen_run):
    """The report's disclosure appendix names each table of the log in words, never by its internal id."""
    from evaltool.report.i18n import catalogue

    ids = set(pd.read_csv(copenhagen_run / "disclosure_log.csv")["table"])
    assert "journeys.transitions" in ids  # the main config logs process tables, so the check bites
    for lang in ("da", "en"):
        cat = catalogue(lang)
        missing = sorted(t for t in ids if "dtable." + t.rpartition(":")[2].replace(".", "_") not in cat)
        assert not missing, (lang, missing)


@pytest.mark.slow
def test_copenhagen_output_folder(copenhagen_run):
    out = copenhagen_run
    names = {p.name for p in out.iterdir()}
    assert {"results.json", "tables", "config.resolved.yaml", "report.html", "disclosure_log.csv",
            "trajectories.csv"} <= names
    results = json.loads((out / "results.json").read_text())
    for key in ("effects", "balance", "data_report", "provenance", "trajectories", "outcomes", "design"):
        assert key in results
    prov = results["provenance"]
    assert set(prov) >= {"evaltool_version", "config_sha256", "inputs", "seed"}
    assert len(prov["config_sha256"]) == 64
    rows = {r["outcome"]: r for r in results["effects"]}
    for r in rows.values():
        assert REQUIRED_EFFECT_KEYS <= set(r)
        assert r["std_error"] > 0 and r["ci_low"] < r["estimate"] < r["ci_high"]
    assert (out / "tables" / "effects.csv").is_file() and (out / "tables" / "balance.csv").is_file()
    assert results["config"]["design"]["m_order"] == "largest"  # MatchIt's default, resolved
    bands = [s["level"] for s in results["subgroups"]
             if s["variable"] == "age_group" and s["outcome"] == "internship_or_wage_subsidy_52w"]
    assert bands == ["<40", "40-49", "50+"]  # cut bands in their natural order, not sorted as text
    assert [b["level"] for b in results["target_group"]["by"] if b["variable"] == "age_group"] == bands
    # issue 16: the process blocks (schema v2) and their chapters in the contents of both languages
    assert results["schema_version"] == 2
    assert results["journeys"]["transitions"] and results["case_duration"]["summary"] and results["cost"]
    assert all(r["ci_low"] is not None for r in results["process"] if r["note"] is None)
    for lang, title in (("da", "Borgerrejsen"), ("en", "Citizen journeys")):
        html = (out / f"report_final_{lang}.html").read_text(encoding="utf-8")
        toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
        assert f"{title}</a>" in toc
        for cid in ("journeys", "case-duration", "process-effects", "cost"):
            assert f'<a href="#{cid}">' in toc and f'<section id="{cid}" class="chapter">' in html, (lang, cid)
        assert '<figure id="fig-alluvial-treated"' in html and '<table id="tab-alluvial-treated">' in html


@pytest.mark.slow
def test_copenhagen_cis_cover_the_truth(copenhagen_run):
    results = json.loads((copenhagen_run / "results.json").read_text())
    truth = results["simulation"]["truth"]["att"]
    rows = {r["outcome"]: r for r in results["effects"]}
    # every estimated outcome with a known truth (fixed seed: a regression check, not a coverage rate)
    checked = [name for name in rows if name in truth]
    assert {"internship_or_wage_subsidy_52w", "ordinary_employment_52w", "self_support_26w",
            "self_support_share_104w"} <= set(checked)
    for name in checked:
        r = rows[name]
        true_pp = 100 * truth[name]
        assert r["unit"] == "pp"
        assert r["ci_low"] <= true_pp <= r["ci_high"], (name, r, true_pp)
    tte = {t["outcome"]: t for t in results["time_to_event"]}["weeks_to_self_support"]
    for b in tte["by_week"]:
        true = truth[f"weeks_to_self_support_by_{b['week']}w"]
        assert b["ci_low"] <= true <= b["ci_high"], (b, true)
    traj = pd.read_csv(copenhagen_run / "trajectories.csv")
    assert set(traj.columns) >= {"group", "week", "category", "share"}
    assert set(traj["group"]) == {"treated", "comparison"}
    assert traj["week"].min() == -52 and traj["week"].max() == 156


def with_cpr_ids(sim, seed: int):
    """The simulation with CPR-like 10-digit person ids (so any id leaking into an output can be
    found by search); returns (simulation, set of the ids as text)."""
    import dataclasses

    rng = np.random.default_rng(seed)
    draws = np.unique(rng.integers(1_000_000_000, 9_999_999_999, size=2 * len(sim.persons)))
    cpr = pd.Series(rng.permutation(draws)[:len(sim.persons)], index=sim.persons["person_id"].to_numpy())
    persons = sim.persons.assign(person_id=cpr.loc[sim.persons["person_id"]].to_numpy())
    panel = sim.weekly_status.assign(person_id=cpr.loc[sim.weekly_status["person_id"]].to_numpy())
    return dataclasses.replace(sim, persons=persons, weekly_status=panel), set(map(str, cpr.to_numpy()))


@pytest.mark.slow
def test_run_is_deterministic_under_row_shuffles(tmp_path, copenhagen_files):
    from evaltool.simulate import simulate_study

    sim, ids = with_cpr_ids(simulate_study(n=3000, seed=11), seed=4)
    outs = []
    for i, shuffle in enumerate((False, True)):
        d = tmp_path / f"run{i}"
        d.mkdir()
        persons, panel = sim.persons, sim.weekly_status
        if shuffle:
            persons = persons.sample(frac=1.0, random_state=5)
            panel = panel.sample(frac=1.0, random_state=6)
        persons.to_parquet(d / "persons.parquet", index=False)
        panel.to_parquet(d / "weekly_status.parquet", index=False)
        copenhagen_files(d, keep_age_rule=False)
        res = run_cli("run", str(d / "study.yaml"), "--out", str(d / "out"))
        assert res.returncode == 0, res.stderr
        outs.append((d / "out" / "results.json").read_bytes())
    assert outs[0] == outs[1]
    for path in (tmp_path / "run0" / "out").rglob("*"):
        if path.is_file():
            found = ids.intersection(re.findall(r"\d{10}", path.read_text(encoding="utf-8", errors="replace")))
            assert not found, (path.name, sorted(found)[:3])


def test_lalonde_run_has_no_ids_and_failed_run_keeps_output(lalonde_example, tmp_path):
    out = tmp_path / "out"
    res = run_cli("run", str(lalonde_example), "--out", str(out))
    assert res.returncode == 0, res.stderr
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            ids = re.findall(r"\b(?:NSW|PSID)\d+\b", text)
            assert not ids, (path, ids[:3])
    results = json.loads((out / "results.json").read_text())
    eff = results["effects"][0]
    assert eff["estimate"] == pytest.approx(894.367480270274, abs=1e-6)
    assert eff["std_error"] == pytest.approx(705.229764061618, abs=1e-6)
    before = (out / "results.json").read_bytes()
    bad = run_cli("run", str(lalonde_example), "--out", str(out), "--set", "design.covariates=[nonexistent]")
    assert bad.returncode == 2
    assert (out / "results.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", "lalonde.yaml", "lalonde.csv"])


def test_lalonde_row_order_id_ignores_shuffles_and_file_order_keeps_matchit(lalonde_example, tmp_path):
    """`row_order: file` reproduces MatchIt's pairs; `row_order: id` (default) is shuffle-proof."""
    data = pd.read_csv(lalonde_example.parent / "lalonde.csv")
    runs = {}
    for name, frame in (("plain", data), ("shuffled", data.sample(frac=1.0, random_state=3))):
        d = tmp_path / name
        d.mkdir()
        (d / "study.yaml").write_text(lalonde_example.read_text(encoding="utf-8"), encoding="utf-8")
        frame.to_csv(d / "lalonde.csv", index=False)
        res = run_cli("run", str(d / "study.yaml"), "--out", str(d / "out"), "--set", "data.row_order=id")
        assert res.returncode == 0, res.stderr
        runs[name] = (d / "out" / "results.json").read_bytes()
    assert runs["plain"] == runs["shuffled"]
    results = json.loads(runs["plain"])
    assert results["provenance"]["row_order"].startswith("persons sorted by id")
    eff = results["effects"][0]
    # R MatchIt 4.7.2 on the id-sorted file (tests/reference/lalonde_id_order.R): tied treated
    # scores are paired in id order, so the pairs (and the cluster SE) differ from the file order
    ref = json.loads((ROOT / "tests" / "fixtures" / "pipeline" / "lalonde_id_order.json").read_text())
    assert ref["versions"]["MatchIt"] == "4.7.2"
    assert eff["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert eff["std_error"] == pytest.approx(ref["std_error"], rel=1e-6)


def test_midterm_follow_up_limits_outcomes_trajectories_and_time_to_event():
    from evaltool.study.demo import demo_config
    from evaltool.study.run import run_study
    from evaltool.report import render_report

    cfg = demo_config(n=4000, stage="midterm")
    assert cfg.study.followup_weeks == 52
    res = run_study(cfg).to_dict()
    assert res["study"]["followup_weeks"] == 52
    names = [e["outcome"] for e in res["effects"]]
    assert names == ["internship_or_wage_subsidy_52w", "ordinary_employment_52w", "self_support_26w"]
    assert max(r["week"] for r in res["trajectories"]) == 52
    assert all(p["week"] <= 52 for t in res["time_to_event"] for p in t["km"])
    assert any(d["column"] == "start_week" for d in res["data_report"]["dropped"])
    html = render_report(res, "midterm", "en").html
    assert "<title>Outreach employment effort in deprived housing areas" in html  # title {da, en}
    withheld = html.split("cannot yet be observed for everyone", 1)[1].split("</ul>", 1)[0]
    assert "Share of weeks self-supported" in withheld and "52 weeks" not in withheld
    final = run_study(demo_config(n=4000, stage="final")).to_dict()
    assert "self_support_share_104w" in [e["outcome"] for e in final["effects"]]
    assert final["study"]["followup_weeks"] is None


def test_demo_outputs_contain_no_person_id(tmp_path, monkeypatch):
    """`evaltool demo` with CPR-like person ids: none of them appears in any file it writes."""
    import evaltool.simulate as simulate_module
    from evaltool.study.demo import write_demo

    real = simulate_module.simulate_study
    seen: set[str] = set()

    def simulate_with_cpr_ids(*args, **kwargs):
        sim, ids = with_cpr_ids(real(*args, **kwargs), seed=8)
        seen.update(ids)
        return sim

    monkeypatch.setattr(simulate_module, "simulate_study", simulate_with_cpr_ids)
    folder, _ = write_demo(tmp_path / "demo", n=4000)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len([p for p in files if p.name.startswith("report_")]) == 4 and seen
    for path in files:
        found = seen.intersection(re.findall(r"\d{10}", path.read_text(encoding="utf-8", errors="replace")))
        assert not found, (path.relative_to(folder), sorted(found)[:3])


@pytest.mark.slow
def test_history_covariates_and_pseudo_starts_from_the_register(tmp_path, copenhagen_files):
    """Real extracts: no start week for the comparison pool, no ready-made history columns."""
    from evaltool.simulate import simulate_study

    sim = simulate_study(n=3000, seed=12)
    persons = sim.persons.drop(columns=["prior_support_share", "prior_employment_weeks"])
    persons["start_week"] = persons["start_week"].where(persons["outreach"] == 1)  # unknown for the pool
    persons.to_parquet(tmp_path / "persons.parquet", index=False)
    sim.weekly_status.to_parquet(tmp_path / "weekly_status.parquet", index=False)
    cfg = copenhagen_files(tmp_path, keep_age_rule=False, extra_data=(
        "\n  pseudo_start: true\n  history:\n    - {weeks: 156, category: public_support}\n"
        "    - {weeks: 52, category: self_support, name: self_support_1y}"))
    text = cfg.read_text(encoding="utf-8")
    text = text.replace("prior_support_share, prior_employment_weeks", "public_support_share_156w, self_support_1y")
    assert "public_support_share_156w" in text and "pseudo_start" in text
    cfg.write_text(text, encoding="utf-8")
    res = run_cli("run", str(tmp_path / "study.yaml"), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    terms = {r["term"] for r in results["balance"]["rows"]}
    assert {"public_support_share_156w", "self_support_1y"} <= terms
    assert results["data_report"]["pseudo_starts"] == int((persons["outreach"] == 0).sum())
    # the history covariate equals the simulator's own prior_support_share (same 156 weeks)
    row = {r["term"]: r for r in results["balance"]["rows"]}["public_support_share_156w"]
    p = sim.persons
    treated = p[(p["outreach"] == 1) & (p["match_group"] == "aktivitetsparat")
                & p["benefit_type"].isin(["kontanthjaelp", "uddannelseshjaelp", "integrationsydelse"])]
    assert row["mean_treated_before"] == pytest.approx(treated["prior_support_share"].mean(), abs=1e-12)
    # without pseudo_start the missing start weeks are an error that names the way out
    bad = run_cli("run", str(tmp_path / "study.yaml"), "--out", str(tmp_path / "out2"),
                  "--set", "data.pseudo_start=false")
    assert bad.returncode == 2 and "data.pseudo_start: true" in bad.stderr
    assert len(treated) > 0


def test_final_run_compares_with_a_midterm_results_file(lalonde_example, tmp_path):
    """`report.compare_with` in the config (or --set) puts the midterm beside the final estimates."""
    mid = tmp_path / "mid"
    res = run_cli("run", str(lalonde_example), "--out", str(mid), "--set", "study.stage=midterm",
                  "--set", "report.templates=[midterm]")
    assert res.returncode == 0, res.stderr
    fin = tmp_path / "fin"
    res = run_cli("run", str(lalonde_example), "--out", str(fin),
                  "--set", f"report.compare_with={mid / 'results.json'}")
    assert res.returncode == 0, res.stderr
    html = (fin / "report.html").read_text(encoding="utf-8")
    assert "Effects at the midterm and final evaluation" in html
    assert "No midterm results were supplied" not in html
    bad = run_cli("run", str(lalonde_example), "--out", str(tmp_path / "x"),
                  "--set", f"report.compare_with={tmp_path / 'nothere.json'}")
    assert bad.returncode == 2 and "report.compare_with" in bad.stderr and "nothere.json" in bad.stderr
    assert not (tmp_path / "x").exists()
