"""Every public name of ``evaltool`` has a numpydoc docstring with a runnable example.

Functions need Parameters, Returns and Examples; classes need Parameters (or Attributes)
and Examples. An Examples section must hold at least one doctest that is not skipped; the
doctests themselves run in CI through pytest's ``--doctest-modules`` over ``src/evaltool``
(checked below, so removing that option fails here).
"""

from __future__ import annotations

import doctest
import inspect
import re
import tomllib
from pathlib import Path

import pytest

import evaltool

ROOT = Path(__file__).resolve().parents[1]
_HEADER = re.compile(r"^[ \t]*([A-Z][A-Za-z ]+)\n[ \t]*-{3,}[ \t]*$", re.M)


def _own_doc(obj: object) -> str:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return inspect.cleandoc(doc or "")


def _sections(doc: str) -> dict[str, str]:
    heads = list(_HEADER.finditer(doc))
    return {m.group(1).strip(): doc[m.end():heads[i + 1].start() if i + 1 < len(heads) else len(doc)]
            for i, m in enumerate(heads)}


def _fields_documented(cls: type) -> bool:
    fields = getattr(cls, "model_fields", None)
    return bool(fields) and all((f.description or "").strip() for f in fields.values())


def docstring_problems(obj: object) -> list[str]:
    """What the docstring of a public function or class lacks (empty: nothing)."""
    doc = _own_doc(obj)
    if not doc:
        return ["no docstring"]
    sections = _sections(doc)
    need = [("Parameters", "Attributes"), ("Examples",)] if inspect.isclass(obj) else \
        [("Parameters",), ("Returns",), ("Examples",)]
    if inspect.isclass(obj) and _fields_documented(obj):
        sections.setdefault("Attributes", "")  # a pydantic model's fields carry their own docstrings
    problems = [f"no {' or '.join(alts)} section" for alts in need if not any(a in sections for a in alts)]
    if "Examples" in sections:
        examples = doctest.DocTestParser().get_examples(sections["Examples"])
        run = [e for e in examples if not e.options.get(doctest.SKIP)]
        if not run:
            problems.append("Examples has no doctest that runs (none, or all +SKIP)")
    return problems


PUBLIC = [n for n in evaltool.__all__ if n != "__version__"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_numpydoc_with_runnable_example(name):
    obj = getattr(evaltool, name)
    assert callable(obj), name
    assert docstring_problems(obj) == [], f"evaltool.{name} ({obj.__module__}): {docstring_problems(obj)}"


def test_docstring_check_can_fail():
    def bare(x):
        """Only a summary line."""

    def skipped(x):
        """Summary.

        Parameters
        ----------
        x : int

        Returns
        -------
        int

        Examples
        --------
        >>> skipped(1)  # doctest: +SKIP
        """

    class Result:
        """A result.

        Examples
        --------
        >>> 1 + 1
        2
        """

    assert docstring_problems(bare) == ["no Parameters section", "no Returns section", "no Examples section"]
    assert docstring_problems(skipped) == ["Examples has no doctest that runs (none, or all +SKIP)"]
    assert docstring_problems(Result) == ["no Parameters or Attributes section"]

    from pydantic import BaseModel, ConfigDict

    class Section(BaseModel):
        """A config section.

        Examples
        --------
        >>> Section().a
        1
        """

        model_config = ConfigDict(use_attribute_docstrings=True)
        a: int = 1
        """Documented."""
        b: int = 2

    assert docstring_problems(Section) == ["no Parameters or Attributes section"]


def test_doctests_run_over_the_package_in_ci():
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in opts["addopts"].split()
    assert "src/evaltool" in opts["testpaths"]


def test_api_reference_page_documents_every_public_name():
    """docs/reference/api.md renders every name of ``evaltool.__all__`` (object, or its whole module)."""
    text = (ROOT / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    directives = set(re.findall(r"^::: (\S+)$", text, re.M))
    missing = [n for n in PUBLIC
               if f"{getattr(evaltool, n).__module__}.{n}" not in directives
               and getattr(evaltool, n).__module__ not in directives]
    assert not missing, f"not in docs/reference/api.md: {', '.join(missing)}"
