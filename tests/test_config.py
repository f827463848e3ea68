"""Config loading: schema, line numbers, overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaltool.config import apply_overrides, config_hash, dump_config, load_config
from evaltool.exceptions import ConfigError

BASE = """\
study:
  title: Test study
data:
  simulate: {n: 1000, seed: 3}
design:
  covariates: [age, C(origin), prior_support_share]
  exact: [match_group]
  caliper: 0.2
outcomes:
  - name: placement_52w
    label: {da: "Praktik eller løntilskud", en: "Internship or wage subsidy"}
    kind: any
    categories: [virksomhedspraktik, loentilskud]
    weeks: [1, 52]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_config_with_defaults(tmp_path):
    cfg = load_config(write(tmp_path, BASE))
    assert cfg.design.caliper == 0.2
    assert cfg.design.estimand == "ATT"
    assert cfg.design.ratio == 1 and cfg.design.replace is False
    assert cfg.effects.adjust == "holm"
    assert cfg.report.disclosure.min_cell == 5
    assert cfg.outcomes[0].last_week == 52


@pytest.mark.parametrize(
    "old, new, match",
    [
        ("  caliper: 0.2", "  caliper: -0.2", r"study\.yaml:8: design\.caliper: `caliper` must be a number > 0; got -0\.2"),
        ("  caliper: 0.2", "  calipr: 0.2", r"study\.yaml:8: design\.calipr: unknown key; allowed keys: method"),
        ("  caliper: 0.2", "  ratio: two", r"study\.yaml:8: design\.ratio: must be an integer; got 'two'"),
        ("  caliper: 0.2", "  estimand: ATX", r"study\.yaml:8: design\.estimand: `estimand` must be one of 'ATT', 'ATC'; got 'ATX'"),
        ("    kind: any", "    kind: sometimes", r"study\.yaml:12: outcomes\[0\]\.kind: must be one of"),
        ("    weeks: [1, 52]", "    weeks: [52, 1]", r"study\.yaml:10: outcomes\[0\]: `weeks` must be \[a, b\] with a <= b"),
        ("{n: 1000, seed: 3}", "{n: -5, seed: 3}", r"study\.yaml:4: data\.simulate\.n: must be a number >= 100; got -5"),
        ("  title: Test study", "  title: Test study\n  colour: red", r"study\.yaml:3: study\.colour: unknown key"),
        ("  title: Test study", "  title: {da: Undersøgelse}",
         r"study\.yaml:2: study\.title: must be a text or \{da: \.\.\., en: \.\.\.\}; got \{'da': 'Undersøgelse'\}$"),
        ("    weeks: [1, 52]\n", "", r"study\.yaml:10: outcomes\[0\]: kind `any` needs `weeks: \[a, b\]`"),
        ("  covariates: [age, C(origin), prior_support_share]", "  covariates: [age, 'os.system(1)']",
         r"study\.yaml:6: design\.covariates: covariate term 'os\.system\(1\)' is not understood"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path, old, new, match):
    assert old in BASE
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, BASE.replace(old, new)))


def test_missing_section_is_named(tmp_path):
    text = BASE.split("design:")[0] + "outcomes:" + BASE.split("outcomes:")[1]
    with pytest.raises(ConfigError, match=r"study\.yaml:1: design: required key is missing"):
        load_config(write(tmp_path, text))


def test_duplicate_yaml_key(tmp_path):
    with pytest.raises(ConfigError, match=r"study\.yaml:9: design\.caliper: duplicate key \(first defined on line 8\)"):
        load_config(write(tmp_path, BASE.replace("  caliper: 0.2", "  caliper: 0.2\n  caliper: 0.3")))


def test_invalid_yaml_names_line(tmp_path):
    with pytest.raises(ConfigError, match=r"study\.yaml:\d+: invalid YAML"):
        load_config(write(tmp_path, BASE.replace("  caliper: 0.2", "  caliper: [0.2")))


def test_yaml_never_constructs_python_objects(tmp_path):
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(write(tmp_path, BASE.replace("Test study", "!!python/object/apply:os.system [echo]")))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_override_sets_any_key(tmp_path):
    cfg = load_config(write(tmp_path, BASE), ["design.caliper=0.1", "outcomes.0.weeks=[1, 26]", "effects.adjust=bh"])
    assert cfg.design.caliper == 0.1
    assert cfg.outcomes[0].weeks == (1, 26)
    assert cfg.effects.adjust == "bh"


def test_override_errors_say_set(tmp_path):
    with pytest.raises(ConfigError, match=r"\(--set\): design\.caliper: `caliper` must be a number > 0; got -1"):
        load_config(write(tmp_path, BASE), ["design.caliper=-1"])
    with pytest.raises(ConfigError, match=r"--set outcomes\.7\.name=x: '7' is not an index of a list of 1 items"):
        load_config(write(tmp_path, BASE), ["outcomes.7.name=x"])
    with pytest.raises(ConfigError, match=r"--set design: expected key\.path=value"):
        load_config(write(tmp_path, BASE), ["design"])


def test_apply_overrides_does_not_mutate():
    data = {"a": {"b": 1}}
    out = apply_overrides(data, ["a.b=2", "a.c.d=x"])
    assert data == {"a": {"b": 1}}
    assert out == {"a": {"b": 2, "c": {"d": "x"}}}


def test_cross_section_rules(tmp_path):
    text = BASE.replace("{n: 1000, seed: 3}", "{n: 1000, seed: 3, panel: false}")
    with pytest.raises(ConfigError, match="derived from the weekly register"):
        load_config(write(tmp_path, text))
    text = BASE + BASE[BASE.index("  - name"):]
    with pytest.raises(ConfigError, match="outcome names must be unique; repeated: placement_52w"):
        load_config(write(tmp_path, text))


def test_subgroups_accept_names_and_cuts(tmp_path):
    text = BASE + "subgroups: [origin, {name: age_group, column: age, cuts: [30, 40, 50]}]\n"
    cfg = load_config(write(tmp_path, text))
    assert [s.name for s in cfg.subgroups] == ["origin", "age_group"]
    assert cfg.subgroups[0].column == "origin"
    with pytest.raises(ConfigError, match=r"subgroups\[1\]\.cuts: .*increasing"):
        load_config(write(tmp_path, text.replace("[30, 40, 50]", "[50, 40]")))


def test_config_hash_is_stable_and_sensitive(tmp_path):
    a = load_config(write(tmp_path, BASE))
    b = load_config(write(tmp_path, BASE))
    c = load_config(write(tmp_path, BASE), ["design.caliper=0.25"])
    assert config_hash(a) == config_hash(b) != config_hash(c)
    assert dump_config(a)["design"]["caliper"] == 0.2


def test_shipped_configs_are_valid():
    root = Path(__file__).resolve().parents[1]
    paths = sorted((root / "configs").glob("*.yaml")) + sorted((root / "examples").rglob("*.yaml"))
    paths.append(root / "src" / "evaltool" / "resources" / "demo.yaml")
    studies = [p for p in paths if "codes" not in p.name]
    assert studies, "no shipped study configs found"
    for p in studies:
        load_config(p)


def test_history_and_pseudo_start_rules(tmp_path):
    ok = BASE.replace("  simulate: {n: 1000, seed: 3}",
                      "  simulate: {n: 1000, seed: 3}\n  history: [{weeks: 52, category: public_support}]")
    cfg = load_config(write(tmp_path, ok))
    assert cfg.data.history[0].column == "public_support_share_52w"
    no_panel = ok.replace("{n: 1000, seed: 3}", "{n: 1000, seed: 3, panel: false}")
    with pytest.raises(ConfigError, match=r"study\.yaml:3: data: `history` and `pseudo_start` need the weekly panel"):
        load_config(write(tmp_path, no_panel))
    twice = ok.replace("[{weeks: 52, category: public_support}]",
                       "[{weeks: 52, category: public_support}, {weeks: 52, category: public_support}]")
    with pytest.raises(ConfigError, match="`history` names must be unique"):
        load_config(write(tmp_path, twice))
    with pytest.raises(ConfigError, match=r"data\.history\[0\]\.weeks: must be a number >= 1; got 0"):
        load_config(write(tmp_path, ok.replace("weeks: 52, category", "weeks: 0, category")))
