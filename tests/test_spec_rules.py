"""Every rule of the design and effects specs, through the Python API and a config.

The API (``evaltool.match``/``MatchSpec``, ``evaltool.estimate``/``EffectsSpec``) and the
config schema build the same spec objects, so each rule must fail in both with the same
message core, and the config error must name ``file:line`` of the offending key.
"""

from __future__ import annotations

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
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
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
    ("method registered", {"method": "genetic"}, "method",
     "`method` must be one of 'nearest', 'cem', 'subclass', 'optimal'; got 'genetic'"),
    ("m_order choice", {"m_order": "biggest"}, "m_order", "`m_order` must be one of"),
    ("discard choice", {"discard": "some"}, "discard", "`discard` must be one of"),
    ("estimand of matching", {"estimand": "ATE"}, "estimand", "`estimand` must be one of 'ATT', 'ATC'; got 'ATE'"),
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
    ("n_jobs <= 256", {"n_jobs": 257}, "cluster", {}, "n_jobs", "`n_jobs` must be an integer <= 256; got 257"),
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

    def keys(mod):
        tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
        return {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", None) == "_rule" and isinstance(n.args[0], ast.Constant)}

    assert keys(mat) - {"distance"} <= {r[2] for r in DESIGN_RULES} | {"seed"}
    assert keys(eff) <= {r[4] for r in EFFECTS_RULES}


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
    from evaltool.specs.matching import MATCH_METHODS

    assert tuple(METHODS) == MATCH_METHODS
    assert sorted(VARIANCES) == sorted(VARIANCE_NAMES)
    assert ALIASES == VARIANCE_ALIASES
    assert sorted(n for n, cls in VARIANCES.items() if not cls.supports_regression) == sorted(DIFFERENCE_ONLY)
    for name, cls in VARIANCES.items():
        assert cls.name == name
