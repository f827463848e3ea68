"""AreaSpec rules and the area panel validator: one-line errors naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltool.areas import AreaSpec, validate_area_panel
from evaltool.exceptions import ConfigError, DataError, DataWarning
from evaltool.simulate.areas import simulate_area_panel


@pytest.fixture
def df():
    return simulate_area_panel(8, range(2010, 2018), "fredericia", -0.03, 1)[0]


def test_spec_defaults_and_forbid_extra():
    s = AreaSpec()
    assert (s.control_group, s.reference_period, s.boot_weights, s.alpha) == ("never_treated", -1, "webb", 0.05)
    with pytest.raises(ConfigError, match="area_panel.path_to_file: Extra inputs"):
        AreaSpec.build(path_to_file="x.csv")


@pytest.mark.parametrize("kw,match", [
    ({"alpha": 0.7}, "area_panel.alpha"),
    ({"control_group": "all"}, "area_panel.control_group"),
    ({"methods": ["twfe", "twfe"]}, "without repeats"),
    ({"methods": ["magic"]}, "area_panel.methods"),
    ({"reference_period": -1, "anticipation": 1}, "before the anticipation window"),
    ({"reference_period": -6, "event_min": -5}, "inside the event window"),
    ({"n_boot": 10}, "0 or >= 99"),
    ({"outcome": "area"}, "four different columns"),
])
def test_spec_rules(kw, match):
    with pytest.raises(ConfigError, match=match):
        AreaSpec.build(**kw)


def test_valid_panel_canonical(df):
    p = validate_area_panel(df.sample(frac=1, random_state=1), AreaSpec(population="residents"))
    assert p.n_units == 8 and len(p.periods) == 8
    assert p.frame["unit"].is_monotonic_increasing
    assert sorted(p.unit_g.tolist()) == [0] * 6 + [2014, 2014]
    assert p.matrix().shape == (8, 8)


@pytest.mark.parametrize("mutate,match", [
    (lambda d: d.drop(columns="unemployment_rate"), "`unemployment_rate` not found"),
    (lambda d: pd.concat([d, d.head(1)]), "duplicate `area` x `year`"),
    (lambda d: d.assign(unemployment_rate=d["unemployment_rate"].astype(object).where(d.index != 3, "n/a")),
     "`unemployment_rate` .outcome. must be numeric"),
    (lambda d: d.assign(unemployment_rate=d["unemployment_rate"].where(d.index != 3)), "missing or infinite"),
    (lambda d: d.assign(outreach_start_year=np.where(d["outreach_start_year"] > 0, 2030, 0)), "2030 lies outside"),
    (lambda d: d.assign(outreach_start_year=np.where(d.index == 0, 2015, d["outreach_start_year"])),
     "constant within an area"),
    (lambda d: d.drop(index=5), "unbalanced"),
    (lambda d: d.assign(year=d["year"] + 0.5), "integer periods"),
    (lambda d: d.assign(outreach_start_year=0), "no treated area"),
    (lambda d: d.assign(area=d["area"].where(d.index != 2)), "`area` .unit. has 1 empty"),
])
def test_panel_errors(df, mutate, match):
    with pytest.raises(DataError, match=match):
        validate_area_panel(mutate(df), AreaSpec())


def test_unbalanced_drop_warns(df):
    with pytest.warns(DataWarning, match="dropped 1 area"):
        p = validate_area_panel(df.drop(index=20), AreaSpec(unbalanced="drop"))
    assert p.n_units == 7 and p.n_dropped_units == 1


def test_weights_must_be_positive(df):
    with pytest.raises(DataError, match="`residents` .weights. must be > 0"):
        validate_area_panel(df.assign(residents=0), AreaSpec(weights="residents"))


def test_no_never_treated_needs_not_yet(df):
    d = df.assign(outreach_start_year=np.where(df["outreach_start_year"] > 0, 2014, 2016))
    with pytest.raises(DataError, match="not_yet_treated"):
        validate_area_panel(d, AreaSpec())
    assert validate_area_panel(d, AreaSpec(control_group="not_yet_treated")).n_units == 8


def test_example_config_area_panel_is_an_areaspec():
    from pathlib import Path

    import yaml

    from evaltool.simulate.areas import simulate_area_panel

    cfg = yaml.safe_load((Path(__file__).parents[1] / "configs" / "fredericia_areas.yaml").read_text())
    section = dict(cfg["area_panel"])
    sim = section.pop("simulate")
    spec = AreaSpec.build(**section)
    assert spec.population == "residents" and len(spec.methods) == 7
    years = range(sim["years"][0], sim["years"][1] + 1)
    df, truth = simulate_area_panel(sim["n_areas"], years, sim["scenario"], sim["effect"], sim["seed"])
    p = validate_area_panel(df, spec)
    assert p.n_units == 16 and truth["first_treated"] == {"2014": 2}
