"""Results blocks assembled beside the stages (study/blocks.py, design/overlap.py) and the typed document."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltool.design.balance import balance
from evaltool.design.matching import match
from evaltool.exceptions import EvaltoolWarning
from evaltool.study import blocks
from evaltool.study.demo import demo_config


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 400
    x = rng.normal(size=n)
    treat = (rng.random(n) < 1 / (1 + np.exp(-(x - 0.8)))).astype(int)
    return pd.DataFrame({"treat": treat, "x": x, "sex": rng.choice(["f", "m"], n),
                         "meetings_held": rng.poisson(5, n)})


@pytest.fixture(scope="module")
def design(data):
    with pytest.warns(EvaltoolWarning, match="estimand is now ATM"):
        return match(data, "treat", ["x"], caliper=0.05, seed=1)


def test_config_block_describes_the_design_that_ran(design):
    cfg = demo_config(n=1000)
    assert cfg.design.caliper != 0.05  # the config says something else; the block must not copy it
    block = blocks.config_block(cfg, design)
    assert block.design.caliper == design.spec.caliper == 0.05
    assert block.design.m_order == design.spec.order == "largest"
    assert block.design.exact == () and block.design.method == "nearest"
    assert block.min_cell == cfg.report.disclosure.min_cell


def test_design_block_sample_sizes_one_shape(design):
    bal = balance(design)
    block = blocks.design_block(design, bal)
    n = block.n
    for side in ("treated", "control"):
        parts = [n.count(side, s) for s in ("matched", "unmatched", "discarded")]
        assert sum(parts) == n.count(side, "all")
    assert n.treated_all == int(design.treat.sum())
    # a 0.05 SD caliper drops treated persons: the estimand becomes ATM, and the note says so
    assert n.treated_unmatched > 0 and block.estimand == "ATM"
    assert block.estimand_note.startswith("ATT became ATM")


def test_propensity_block_counts_everyone(design):
    hist = blocks.propensity_block(design)
    assert len(hist.bins) == 21 and hist.bins[0] == 0.0 and hist.bins[-1] == 1.0
    assert sum(hist.treated) == int(design.treat.sum())
    assert sum(hist.control_all) == int((design.treat == 0).sum())
    assert sum(hist.control_matched) == int(((design.treat == 0) & (design.weights > 0)).sum())


def test_target_group_and_process_labels(data, design):
    tg = blocks.target_group(data, design.treat, extra=[])
    assert [r.variable for r in tg.by] == ["sex", "sex"] and [r.level for r in tg.by] == ["f", "m"]
    assert sum(r.n_treated for r in tg.by) == tg.n_treated == int(data["treat"].sum())
    assert sum(r.share_pool for r in tg.by) == pytest.approx(1.0)
    labels = blocks.indicator_labels(["meetings_held", "no_show_rate", "not_in_any_catalogue"])
    assert labels["meetings_held"] == {"da": "Afholdte samtaler (første år)", "en": "Meetings held (first year)"}
    assert labels["no_show_rate"]["en"] == "No-shows per scheduled meeting"  # proc.ind.* when no indicator.*
    assert labels["not_in_any_catalogue"] == {"da": "not_in_any_catalogue", "en": "not_in_any_catalogue"}


def test_process_columns_get_effects_with_the_old_weighted_means(data, design):
    from evaltool.process.contacts import run_column_effects

    rows = run_column_effects(design, data, ["meetings_held"]).rows
    r = rows.iloc[0]
    kept = design.weights > 0
    t = kept & (design.treat == 1)
    c = kept & (design.treat == 0)
    assert r["indicator"] == "meetings_held"
    assert r["mean_treated"] == pytest.approx(data.loc[t, "meetings_held"].mean())
    assert r["mean_control"] == pytest.approx(
        (data.loc[c, "meetings_held"] * design.weights[c]).sum() / design.weights[c].sum())
    assert r["n_treated"] == int(t.sum())
    assert r["ci_low"] < r["estimate"] < r["ci_high"]
