"""The documentation site builds in strict mode (broken links, missing references and failing
examples fail it), and its configuration reference covers every key of the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaltool.config.reference import config_reference, config_reference_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_config_reference_lists_every_schema_key():
    text = config_reference_markdown()
    rows = config_reference()
    assert len(rows) > 50
    for row in rows:
        assert f"| `{row.key}` |" in text
    keys = {r.key for r in rows}
    assert {"design.caliper", "outcomes[].kind", "report.disclosure.min_cell"} <= keys


def _json_schema_keys(node: dict, defs: dict, prefix: str = "", seen: frozenset = frozenset()) -> set[str]:
    """Key paths of a JSON schema (pydantic's own export), found independently of the reference's walk."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return set()
        node, seen = defs[name], seen | {name}
    keys: set[str] = set()
    for alt in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        keys |= _json_schema_keys(alt, defs, prefix, seen)
    if node.get("type") == "array" and isinstance(node.get("items"), dict) and prefix:
        keys |= _json_schema_keys(node["items"], defs, prefix[:-1] + "[].", seen)
    for name, prop in node.get("properties", {}).items():
        keys.add(prefix + name)
        keys |= _json_schema_keys(prop, defs, f"{prefix}{name}.", seen)
    return keys


def test_config_reference_has_exactly_the_keys_of_the_json_schema():
    """A key the reference's walk misses (or invents) fails here: pydantic's JSON schema is the witness."""
    from evaltool.config.schema import StudyConfig

    schema = StudyConfig.model_json_schema(by_alias=True)
    expected = _json_schema_keys(schema, schema.get("$defs", {}))
    listed = {r.key for r in config_reference()}
    assert expected - listed == set(), f"keys missing from the reference: {sorted(expected - listed)}"
    assert listed - expected == set(), f"keys the schema does not have: {sorted(listed - expected)}"


def test_every_config_key_has_a_meaning():
    """Every key's meaning (its attribute docstring in the schema or spec) is in the generated page."""
    rows = config_reference()
    empty = [r.key for r in rows if not r.description.strip()]
    assert not empty, f"config keys without a meaning (add an attribute docstring): {', '.join(empty)}"
    text = config_reference_markdown()
    for row in rows:
        assert row.description.replace("|", "\\|") + " |" in text, row.key
    meaning = {r.key: r.description for r in rows}
    assert "logit" in meaning["design.caliper_scale"] and "ATT" in meaning["design.estimand"]


def test_config_reference_shows_what_the_specs_accept_and_examples():
    """Choices and bounds held by the dataclass specs reach the page, so it cannot drift from them."""
    from evaltool.specs.effects import VARIANCE_NAMES
    from evaltool.specs.matching import M_ORDERS, MATCH_METHODS

    rows = {r.key: r for r in config_reference()}
    assert all(f"`{m}`" in rows["design.method"].type for m in MATCH_METHODS)
    assert all(f"`{m}`" in rows["design.m_order"].type for m in M_ORDERS)
    assert all(f"`{v}`" in rows["effects.variance"].type for v in VARIANCE_NAMES)
    assert rows["design.ratio"].bounds == "≥ 1" and rows["design.caliper"].bounds == "> 0"
    assert rows["design.caliper"].example == "0.2"  # configs/copenhagen_outreach.yaml
    assert sum(bool(r.example) for r in rows.values()) > 100


def test_config_reference_reports_a_key_without_a_meaning():
    """The check above can fail: a model field without a docstring gives an empty meaning."""
    from pydantic import BaseModel, ConfigDict

    class Section(BaseModel):
        model_config = ConfigDict(use_attribute_docstrings=True)
        documented: int = 1
        """A key with a meaning."""
        bare: int = 2

    class Root(BaseModel):
        model_config = ConfigDict(use_attribute_docstrings=True)
        section: Section = Section()
        """A section."""

    meaning = {r.key: r.description for r in config_reference(Root)}
    assert meaning == {"section": "A section.", "section.documented": "A key with a meaning.", "section.bare": ""}


def test_every_worked_example_page_runs_its_script():
    """Each worked example's numbers come from running it at build time (a `<!-- run: -->` block)."""
    import re

    pages = sorted(p for p in (ROOT / "docs" / "examples").glob("*.md") if p.name != "index.md")
    assert len(pages) >= 5
    for page in pages:
        scripts = re.findall(r"<!--\s*run:\s*(\S+)\s*-->", page.read_text(encoding="utf-8"))
        assert scripts, f"{page.name}: no <!-- run: script --> block, so its numbers would be pasted"
        for script in scripts:
            assert (ROOT / script).is_file(), f"{page.name}: {script} does not exist"


@pytest.mark.slow
def test_docs_site_builds_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "config" / "index.html").is_file()
    assert "894.3675" in (tmp_path / "site" / "examples" / "lalonde" / "index.html").read_text(encoding="utf-8")
    site = tmp_path / "site"
    validation = (site / "validation" / "index.html").read_text(encoding="utf-8")
    assert "894.3675" in validation and "reference fixtures; the test suite reads them" in validation
    assert "identical to the last bit: True" in (site / "cluster" / "index.html").read_text(encoding="utf-8")
    assert "SDs of the logit score" in (site / "reference" / "config" / "index.html").read_text(encoding="utf-8")
