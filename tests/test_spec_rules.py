"""Every rule of the design and effects specs, through the Python API and a config.

The API (``evaltool.match``/``MatchSpec``, ``evaltool.estimate``/``EffectsSpec``) and the
config schema build the same spec objects, so each rule must fail in both with the same
message core, and the config error must name ``file:line`` of the offending key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evaltool
from evaltool.config import load_config
from evaltool.exceptions import ConfigError
from evaltool.specs import EffectsSpec, MatchSpec

HEAD = """\
study:
  title: Spec rules
data:
  simulate: {n: 1000, seed: 3}
outcomes:
  - {name: y, label: {da: y, en: y}, kind: any, categories: [loentilskud], weeks: [1, 52]}
design:
  covariates: [age, C(origin)]
"""
HEAD_LINES = HEAD.count("\n")


def _config(tmp_path: Path, design: dict, effects: dict | None = None) -> tuple[Path, dict[str, int]]:
    """Write HEAD + the given design/effects keys; return the path and each key's line."""
    lines, where = [], {}
    for k, v in design.items():
        where[f"design.{k}"] = HEAD_LINES + len(lines) + 1
        lines.append(f"  {k}: {v}")
    if effects:
        where["effects"] = HEAD_LINES + len(lines) + 1
        lines.append("effects:")
        for k, v in effects.items():
            where[f"effects.{k}"] = HEAD_LINES + len(lines) + 1
            lines.append(f"  {k}: {v}")
    p = tmp_path / "study.yaml"
    p.write_text(HEAD + "\n".join(lines) + "\n", encoding="utf-8")
    return p, where


def _yaml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        return json.dumps(v)  # YAML flow style
    return str(v)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"age": rng.normal(40, 10, 300), "origin": rng.choice(["DK", "W", "NW"], 300)})
    d["t"] = (rng.random(300) < 0.3).astype(int)
    d["y"] = rng.random(300)
    return d


# (rule, MatchSpec/match kwargs, key the error points at, message core)
DESIGN_RULES = [
    ("ties needs replace", {"ties": True}, "ties", "`ties` (Matching-style ties) needs `replace` to be true"),
    ("mahvars needs a propensity distance", {"distance": "mahalanobis", "mahvars": ["age"]}, "mahvars",
     "`mahvars` is for Mahalanobis matching within a propensity caliper, but `distance` is 'mahalanobis'"),
    ("caliper needs a score", {"distance": "mahalanobis", "caliper": 0.2}, "caliper",
     "`caliper` needs a score, but `distance` is 'mahalanobis'"),
    ("logit caliper scale needs a propensity score", {"distance": "mahalanobis", "caliper_scale": "logit"},
     "caliper_scale", "`caliper_scale` 'logit' needs a fitted propensity score, but `distance` is 'mahalanobis'"),
    ("discard needs a score", {"distance": "mahalanobis", "discard": "both"}, "discard",
     "`discard` works on a score, but `distance` is 'mahalanobis'"),
    # single-field bounds: the same bound in both
    ("ratio >= 1", {"ratio": 0}, "ratio", "`ratio` must be an integer >= 1; got 0"),
    ("caliper > 0", {"caliper": -0.2}, "caliper", "`caliper` must be a number > 0; got -0.2"),
    ("m_order choice", {"m_order": "biggest"}, "m_order", "`m_order` must be one of"),
    ("discard choice", {"discard": "some"}, "discard", "`discard` must be one of"),
    ("estimand of matching", {"estimand": "ATE"}, "estimand", "`estimand` must be one of 'ATT', 'ATC'; got 'ATE'; "
     "method 'nearest' has no ATE (as in MatchIt): use method 'full', 'subclass' or 'cem', or a weighting design"),
    ("ATE where MatchIt has it, not optimal", {"method": "optimal", "estimand": "ATE"}, "estimand",
     "method 'optimal' has no ATE"),
    ("an option of another method", {"method": "cem", "ratio": 2}, "ratio",
     "`ratio` is not an option of method 'cem' (its options: cutpoints, k2k); remove it"),
    ("subclass >= 2", {"method": "subclass", "subclass": 1}, "subclass", "`subclass` must be an integer >= 2; got 1"),
    ("min_n >= 0", {"method": "subclass", "min_n": -1}, "min_n", "`min_n` must be an integer >= 0; got -1"),
    ("cutpoints grammar", {"method": "cem", "cutpoints": {"age": "fd"}}, "cutpoints",
     "`cutpoints` for 'age' must be 'sturges', a number of bins >= 0 or a list of cut points; got 'fd'"),
    ("k2k targets ATT or ATC", {"method": "cem", "k2k": True, "estimand": "ATE"}, "k2k",
     "`k2k` pairs each focal unit with one control, so it targets ATT or ATC"),
    ("min_controls <= max_controls", {"method": "full", "min_controls": 2, "max_controls": 1}, "min_controls",
     "`min_controls` (2) must not exceed `max_controls` (1)"),
    ("no caliper with min_controls", {"method": "full", "caliper": 0.2, "min_controls": 1}, "caliper",
     "`caliper` cannot be combined with `min_controls` in method 'full'"),
    ("max_controls > 0", {"method": "full", "max_controls": 0.0}, "max_controls", "`max_controls` must be a number > 0"),
    ("mahvars grammar", {"mahvars": ["os.system(1)"]}, "mahvars", "covariate term 'os.system(1)' is not understood"),
]


@pytest.mark.parametrize("rule, kwargs, key, core", DESIGN_RULES, ids=[r[0] for r in DESIGN_RULES])
def test_design_rule_in_api_and_config(rule, kwargs, key, core, data, tmp_path):
    with pytest.raises(ConfigError) as api_spec:
        MatchSpec(**kwargs)
    assert core in str(api_spec.value) and api_spec.value.key == key
    with pytest.raises(ConfigError) as api_match:
        evaltool.match(data, "t", ["age"], **kwargs)
    assert str(api_match.value) == str(api_spec.value)
    path, where = _config(tmp_path, {k: _yaml(v) for k, v in kwargs.items()})
    with pytest.raises(ConfigError) as cfg:
        load_config(path)
    expected = f"{path}:{where[f'design.{key}']}: design.{key}: {api_spec.value}"
    assert str(cfg.value) == expected


# (rule, WeightingSpec kwargs, the same in the config's design section, key in API, key in config, core)
WEIGHTING_RULES = [
    ("weighting registered", {"method": "magic"}, {"weighting": "magic"}, "method", "weighting",
     "`method` must be one of 'ipw', 'overlap', 'entropy'; got 'magic'"),
    ("overlap weights target ATO", {"method": "overlap", "estimand": "ATT"},
     {"weighting": "overlap", "estimand": "ATT"}, "estimand", "estimand",
     "`estimand` for weighting 'overlap' must be one of 'ATO'; got 'ATT'"),
    ("ipw has no ATO", {"estimand": "ATO"}, {"estimand": "ATO"}, "estimand", "estimand",
     "`estimand` for weighting 'ipw' must be one of 'ATT', 'ATC', 'ATE'; got 'ATO'"),
    ("stabilize only ipw", {"method": "entropy", "stabilize": True}, {"weighting": "entropy", "stabilize": True},
     "stabilize", "stabilize", "`stabilize` applies to weighting 'ipw'; got 'entropy'"),
    ("no trim with entropy", {"method": "entropy", "trim": 0.05}, {"weighting": "entropy", "trim": 0.05},
     "trim", "trim", "`trim`/`truncate` work on propensity weights; entropy balancing has none"),
    ("no truncate with entropy", {"method": "entropy", "truncate": 0.99}, {"weighting": "entropy", "truncate": 0.99},
     "truncate", "truncate", "`trim`/`truncate` work on propensity weights"),
    ("moments <= 3", {"moments": 4}, {"moments": 4}, "moments", "moments", "`moments` must be an integer <= 3; got 4"),
    ("trim <= 0.4", {"trim": 0.7}, {"trim": 0.7}, "trim", "trim", "`trim` must be a number <= 0.4; got 0.7"),
    ("truncate > 0.5", {"truncate": 0.2}, {"truncate": 0.2}, "truncate", "truncate",
     "`truncate` must be a number > 0.5; got 0.2"),
]


@pytest.mark.parametrize("rule, kwargs, cfg_keys, key, cfg_key, core", WEIGHTING_RULES,
                         ids=[r[0] for r in WEIGHTING_RULES])
def test_weighting_rule_in_api_and_config(rule, kwargs, cfg_keys, key, cfg_key, core, data, tmp_path):
    from evaltool.specs import WeightingSpec

    with pytest.raises(ConfigError) as api_spec:
        WeightingSpec(**kwargs)
    assert core in str(api_spec.value) and api_spec.value.key == key
    with pytest.raises(ConfigError) as api_weight:
        evaltool.weight(data, "t", ["age"], **kwargs)
    assert str(api_weight.value) == str(api_spec.value)
    path, where = _config(tmp_path, {"method": "weighting", **{k: _yaml(v) for k, v in cfg_keys.items()}})
    with pytest.raises(ConfigError) as cfg:
        load_config(path)
    assert str(cfg.value) == f"{path}:{where[f'design.{cfg_key}']}: design.{cfg_key}: {api_spec.value}"


AIPW_RULES = [
    ("aipw estimand", {"estimand": "ATC"}, "estimand", "`estimand` for aipw must be one of 'ATE', 'ATT'; got 'ATC'"),
    ("n_folds >= 1", {"n_folds": 0}, "n_folds", "`n_folds` must be an integer >= 1; got 0"),
    ("outcome learner by name", {"outcome_learner": "lasso"}, "outcome_learner",
     "`outcome_learner` must be one of 'ols', 'gradient_boosting', 'random_forest'"),
    ("propensity learner by name", {"propensity_learner": "probit"}, "propensity_learner",
     "`propensity_learner` must be one of 'logit', 'gradient_boosting', 'random_forest'"),
    ("aipw trim < 0.5", {"trim": 0.7}, "trim", "`trim` must be a number < 0.5; got 0.7"),
]


@pytest.mark.parametrize("rule, kwargs, key, core", AIPW_RULES, ids=[r[0] for r in AIPW_RULES])
def test_aipw_rule_in_api_and_config(rule, kwargs, key, core, data, tmp_path):
    from evaltool.specs import AIPWSpec

    with pytest.raises(ConfigError) as api_spec:
        AIPWSpec(**kwargs)
    assert core in str(api_spec.value) and api_spec.value.key == key
    with pytest.raises(ConfigError) as api_aipw:
        evaltool.aipw(data, "t", "y", ["age"], **kwargs)
    assert str(api_aipw.value) == str(api_spec.value)
    path, where = _config(tmp_path, {"method": "aipw", **{k: _yaml(v) for k, v in kwargs.items()}})
    with pytest.raises(ConfigError) as cfg:
        load_config(path)
    assert str(cfg.value) == f"{path}:{where[f'design.{key}']}: design.{key}: {api_spec.value}"


@pytest.mark.parametrize("design, key, core", [
    ({"method": "weighting", "ratio": 2}, "ratio",
     "`ratio` is not an option of method 'weighting' (its options: weighting, stabilize, trim, truncate, moments, "
     "max_iter, tol); remove it"),
    ({"method": "aipw", "caliper": 0.2}, "caliper", "`caliper` is not an option of method 'aipw'"),
    ({"method": "nearest", "n_folds": 3}, "n_folds", "`n_folds` is not an option of method 'nearest'"),
    ({"method": "weighting", "method_x": 1}, "method_x", "unknown key"),
    ({"method": "matchit"}, "method", "`method` must be one of 'nearest', 'cem', 'subclass', 'optimal', 'full', "
     "'weighting', 'aipw'; got 'matchit'"),
])
def test_config_refuses_keys_the_method_does_not_take(design, key, core, tmp_path):
    """A config key the chosen method would ignore is an error at ``file:line`` of that key."""
    path, where = _config(tmp_path, {k: _yaml(v) for k, v in design.items()})
    with pytest.raises(ConfigError) as cfg:
        load_config(path)
    assert str(cfg.value).startswith(f"{path}:{where[f'design.{key}']}: design.{key}: ")
    assert core in str(cfg.value)


def test_matching_api_lists_the_matching_methods(data):
    """``evaltool.match`` takes the matching methods; a config's ``design.method`` also weighting and aipw."""
    core = "`method` must be one of 'nearest', 'cem', 'subclass', 'optimal', 'full'; got 'genetic'"
    with pytest.raises(ConfigError, match=core) as exc:
        evaltool.match(data, "t", ["age"], method="genetic")
    assert exc.value.key == "method"


def test_aipw_design_refuses_effect_settings_it_ignores(tmp_path):
    path, where = _config(tmp_path, {"method": "aipw"}, {"variance": "hc1"})
    with pytest.raises(ConfigError) as cfg:
        load_config(path)
    assert str(cfg.value) == (f"{path}:{where['effects.variance']}: effects.variance: `variance` does not apply to "
                              "design method 'aipw' (AIPW estimates its effect with its influence-function standard "
                              "error); remove it")


def test_comparison_designs_are_checked_like_the_main_design(tmp_path):
    """Each ``comparison_designs`` entry is a design section with the same rules, at its own line."""
    p = tmp_path / "study.yaml"
    p.write_text(HEAD + "comparison_designs:\n  - {name: ow, method: weighting, weighting: overlap}\n"
                 "  - name: bad\n    method: weighting\n    weighting: entropy\n    trim: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as cfg:
        load_config(p)
    assert str(cfg.value).startswith(f"{p}:{HEAD_LINES + 6}: comparison_designs[1].trim: `trim`/`truncate` work")
    p.write_text(HEAD + "comparison_designs:\n  - {name: ow, method: weighting, weighting: overlap}\n",
                 encoding="utf-8")
    cfg = load_config(p)
    assert cfg.comparison_designs[0].design_spec(seed=1).estimand.value == "ATO"


def test_random_order_needs_seed_only_in_the_api(tmp_path):
    """A config always supplies ``study.seed`` to the design, so this rule cannot fail there."""
    with pytest.raises(ConfigError, match="`m_order` 'random' needs an explicit `seed`") as exc:
        MatchSpec(m_order="random")
    assert exc.value.key == "seed"
    path, _ = _config(tmp_path, {"m_order": "random"})
    cfg = load_config(path)
    assert cfg.design.match_spec(seed=cfg.study.seed).seed == cfg.study.seed


# (rule, EffectsSpec kwargs, default variance of the design, config design keys, key, core)
EFFECTS_RULES = [
    ("regression needs covariates", {"method": "regression"}, "cluster", {}, "covariates",
     "`method` 'regression' needs `covariates` (a list of terms)"),
    ("regression excludes a difference-only variance",
     {"method": "regression", "covariates": ["age"], "variance": "abadie_imbens"}, "cluster", {}, "variance",
     "variance 'abadie_imbens' is for method 'difference'"),
    ("regression excludes the design's default abadie_imbens",
     {"method": "regression", "covariates": ["age"]}, "abadie_imbens", {"replace": "true"}, "variance",
     "variance 'abadie_imbens' is for method 'difference'"),
    ("ps_adjust needs abadie_imbens", {"ps_adjust": True, "variance": "cluster"}, "cluster", {}, "ps_adjust",
     "`ps_adjust` needs variance 'abadie_imbens'; got variance 'cluster'"),
    ("ps_adjust needs abadie_imbens, not the design's default cluster", {"ps_adjust": True}, "cluster", {},
     "ps_adjust", "`ps_adjust` needs variance 'abadie_imbens'; got variance 'cluster'"),
    ("n_boot >= 50", {"n_boot": 49}, "cluster", {}, "n_boot", "`n_boot` must be an integer >= 50; got 49"),
    ("n_boot <= 100000", {"n_boot": 100_001}, "cluster", {}, "n_boot", "`n_boot` must be an integer <= 100000"),
    ("alpha < 0.5", {"alpha": 0.5}, "cluster", {}, "alpha", "`alpha` must be a number < 0.5; got 0.5"),
    ("variance registered", {"variance": "sandwich"}, "cluster", {}, "variance", "`variance` must be one of"),
    ("adjust choice", {"adjust": "bonferroni"}, "cluster", {}, "adjust", "`adjust` must be one of"),
    ("covariate grammar", {"method": "regression", "covariates": ["age**2"]}, "cluster", {}, "covariates",
     "covariate term 'age**2' is not understood"),
]


@pytest.mark.parametrize("rule, kwargs, default, design, key, core", EFFECTS_RULES,
                         ids=[r[0] for r in EFFECTS_RULES])
def test_effects_rule_in_api_and_config(rule, kwargs, default, design, key, core, data, tmp_path):
    with pytest.raises(ConfigError) as api_spec:
        EffectsSpec(**kwargs).resolve(default)
    assert core in str(api_spec.value) and api_spec.value.key == key
    replace = design.get("replace") == "true"
    m = evaltool.match(data, "t", ["age"], replace=replace)
    assert m.default_variance == default
    with pytest.raises(ConfigError) as api_estimate:
        evaltool.estimate(m, "y", **kwargs)
    assert str(api_estimate.value) == str(api_spec.value)
    path, where = _config(tmp_path, design, {k: _yaml(v) for k, v in kwargs.items()})
    with pytest.raises(ConfigError) as cfg:
        load_config(path)
    line = where.get(f"effects.{key}", where["effects"])
    assert str(cfg.value) == f"{path}:{line}: effects.{key}: {api_spec.value}"


def test_rule_lists_cover_every_cross_field_rule():
    """Each ``_rule(...)`` raised in the spec modules appears above (by key)."""
    import ast

    import evaltool.specs.effects as eff
    import evaltool.specs.matching as mat
    import evaltool.specs.weighting as wei

    def keys(mod):
        tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
        return {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", None) == "_rule" and isinstance(n.args[0], ast.Constant)}

    assert keys(mat) - {"distance"} <= {r[2] for r in DESIGN_RULES} | {"seed"}
    assert keys(eff) <= {r[4] for r in EFFECTS_RULES}
    assert keys(wei) - {"distance"} <= {r[3] for r in WEIGHTING_RULES} | {r[2] for r in AIPW_RULES}


def test_same_grammar_in_api_and_config(data, tmp_path):
    """``C(race):married``-style interactions of categorical terms are accepted by both."""
    d = data.assign(married=(data["age"] > 40).astype(int))
    m = evaltool.match(d, "t", ["age", "C(origin):married"])
    assert m.covariates == ("age", "C(origin):married")
    path, _ = _config(tmp_path, {"mahvars": "[age, 'C(origin):married']"})
    cfg = load_config(path)
    assert cfg.design.match_spec(seed=1).mahvars == ("age", "C(origin):married")


def test_validate_cli_rejects_before_data(tmp_path):
    path, where = _config(tmp_path, {"distance": "mahalanobis", "caliper": "0.2"})
    res = subprocess.run([sys.executable, "-m", "evaltool.cli", "validate", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == (f"error: {path}:{where['design.caliper']}: design.caliper: `caliper` needs a "
                                  "score, but `distance` is 'mahalanobis'; use distance 'glm' with `mahvars` "
                                  "for Mahalanobis matching within a caliper")


def test_spec_names_match_the_registries():
    """The names a spec accepts are exactly the registered methods (the code that runs them)."""
    from evaltool.design.matching import METHODS
    from evaltool.effects import ALIASES, VARIANCES
    from evaltool.specs.effects import DIFFERENCE_ONLY, VARIANCE_ALIASES, VARIANCE_NAMES
    from evaltool.design.weighting import WEIGHTING_METHODS
    from evaltool.specs.matching import MATCH_METHODS, METHOD_OPTIONS
    from evaltool.specs.weighting import WEIGHTING_NAMES

    assert tuple(METHODS) == MATCH_METHODS == tuple(METHOD_OPTIONS)
    assert tuple(WEIGHTING_METHODS) == WEIGHTING_NAMES
    assert sorted(VARIANCES) == sorted(VARIANCE_NAMES)
    assert ALIASES == VARIANCE_ALIASES
    assert sorted(n for n, cls in VARIANCES.items() if not cls.supports_regression) == sorted(DIFFERENCE_ONLY)
    for name, cls in VARIANCES.items():
        assert cls.name == name


def test_specification_curve_needs_nearest_matching(tmp_path):
    path, where = _config(tmp_path, {"method": "weighting"})
    text = path.read_text() + "sensitivity:\n  specification_curve:\n    caliper: [0.1, 0.2]\n"
    path.write_text(text)
    with pytest.raises(ConfigError, match="the specification curve varies the choices of nearest matching; "
                                          "design method 'weighting' has none") as cfg:
        load_config(path)
    assert f"{path}:{HEAD_LINES + 3}: sensitivity.specification_curve:" in str(cfg.value)
