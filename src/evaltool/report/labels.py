"""Display labels for outcomes, categories, variables, levels and covariate terms.

Labels come, in order of preference, from the results dict (outcome labels,
``categories_labels``), from the language catalogue (known domain codes such
as ``kontanthjaelp`` or ``match_group``), and finally from a prettified code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evaltool.report.i18n import Translator
from evaltool.report.tables import pretty
from evaltool.results.schema import ResultsDocument

__all__ = ["Labels"]


@dataclass(frozen=True)
class Labels:
    """Label lookup for one results document and language."""

    results: ResultsDocument
    _: Translator

    def _known(self, prefix: str, code: str) -> str | None:
        return self._.messages.get(f"{prefix}.{code}")

    def outcome(self, name: str) -> str:
        o = self.results.outcome(name)
        return self._.label(o.label, pretty(name)) if o else pretty(name)

    def category(self, code: str) -> str:
        labels = self.results.categories_labels.get(code)
        return self._.label(labels, "") or self._known("category", code) or pretty(code)

    def variable(self, code: str) -> str:
        return self._known("variable", code) or pretty(code)

    def level(self, code: str) -> str:
        return self._known("level", str(code)) or self.category(str(code))

    def term(self, code: str) -> str:
        """A covariate term of the grammar: ``name``, ``C(name)level``, ``log(name)``, ``name^2``, ``a:b``."""
        known = self._known("term", code)
        if known:
            return known
        if ":" in code:
            return " × ".join(self.term(part) for part in code.split(":"))
        if m := re.fullmatch(r"C\((\w+)\)(.*)", code):
            return f"{self.variable(m[1])}: {self.level(m[2])}" if m[2] else self.variable(m[1])
        if m := re.fullmatch(r"log\((\w+)\)", code):
            return self._("term.log", term=self.term(m[1]))
        if m := re.fullmatch(r"(\w+)\^2", code):
            return self._("term.power", term=self.term(m[1]))
        return pretty(code)

    def code(self, prefix: str, code: Any) -> str:
        """A known code (method, variance, adjust...) or the code itself."""
        return self._known(prefix, str(code)) or str(code)
