"""Report tables: disclosure-controlled records turned into formatted cells.

A table is a plain dict the templates render with one macro::

    {"id": str, "caption": str, "columns": [str], "rows": [row], "notes": [str]}
    row = {"head": str, "tag": str | None, "cells": [cell]}   or   {"group": str}
    cell = {"text": str, "num": bool, "sup": bool}

No arithmetic happens in templates; everything is formatted here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evaltool.report.disclosure import suppressed_fields
from evaltool.report.formatting import DASH, SUPPRESSED, NumberFormat
from evaltool.report.i18n import Translator

__all__ = ["Cells", "pretty", "table", "figure"]


def pretty(code: str) -> str:
    """A readable fallback label from a code (``prior_support_share`` -> ``Prior support share``)."""
    text = re.sub(r"[_\s]+", " ", str(code)).strip()
    return text[:1].upper() + text[1:] if text else DASH


def table(id_: str, caption: str, columns: list[str], rows: list[dict], notes: list[str] | None = None) -> dict:
    """Assemble a table dict; ``{"group": title}`` rows start a new row group (``<tbody>``)."""
    groups: list[dict] = []
    for r in rows:
        if "group" in r:
            groups.append({"title": r["group"], "rows": []})
            continue
        if not groups:
            groups.append({"title": None, "rows": []})
        groups[-1]["rows"].append({"head": r["head"], "tag": r.get("tag"), "total": bool(r.get("total")),
                                   "cells": r["cells"]})
    return {"id": id_, "caption": caption, "columns": columns, "rows": [r for g in groups for r in g["rows"]],
            "groups": groups, "notes": list(notes or [])}


def figure(id_: str, caption: str, svg: str, data: dict | None = None, ref: str | None = None) -> dict[str, Any]:
    """A figure: inline SVG, caption, and either its own data table or a reference to a table shown above."""
    return {"id": id_, "caption": caption, "svg": svg, "table": data, "ref": ref}


@dataclass(frozen=True)
class Cells:
    """Formats single values of controlled records, marking suppressed ones."""

    fmt: NumberFormat
    _: Translator
    min_cell: int

    def cell(self, rec: Any | None, field: str, kind: str = "number", decimals: int = 1,
             unit: str | None = None, scale: float = 1.0) -> dict[str, Any]:
        """One formatted cell of a typed record (None: no record); ``kind`` is count, number, percent, ...

        ``scale`` multiplies the value before formatting (e.g. 100 for a proportion shown in points)."""
        rule = suppressed_fields(rec).get(field)
        if rule is not None:
            text = f"<{self.min_cell}" if rule == "count" and kind == "count" else SUPPRESSED
            return {"text": text, "num": True, "sup": True}
        value = None if rec is None else getattr(rec, field)
        if value is not None and scale != 1.0:
            value = scale * value
        return {"text": self.text(value, kind, decimals, unit), "num": kind != "text", "sup": False}

    def text(self, value: Any, kind: str = "number", decimals: int = 1, unit: str | None = None) -> str:
        f = self.fmt
        if kind == "count":
            return f.count(value)
        if kind == "percent" or (kind == "mean" and unit == "pp"):
            return f.percent(value, decimals)
        if kind == "share":
            return f.share(value, decimals)
        if kind in ("signed", "effect"):
            return f.signed(value, decimals)
        if kind == "p":
            return f.p_value(value)
        if kind == "text":
            return DASH if value is None else str(value)
        return f.number(value, decimals)

    def ci(self, rec: Any, decimals: int = 1, scale: float = 1.0, low: str = "ci_low",
           high: str = "ci_high", high_text: str | None = None) -> dict[str, Any]:
        """The "low to high" cell of a confidence interval (fields ``low``/``high`` times ``scale``).

        A suppressed bound shows the hidden-number mark, a missing one the not-applicable mark;
        ``high_text`` replaces the upper bound's number (e.g. "unbounded")."""
        marks = suppressed_fields(rec)
        if low in marks or high in marks:
            return {"text": SUPPRESSED, "num": True, "sup": True}
        lo = getattr(rec, low)
        if lo is None:
            return {"text": DASH, "num": True, "sup": False}
        hi = high_text if high_text is not None else self.fmt.number(scale * getattr(rec, high), decimals)
        return {"text": self._("ci", low=self.fmt.number(scale * lo, decimals), high=hi), "num": True,
                "sup": False}

    def plain(self, text: str, num: bool = False) -> dict[str, Any]:
        return {"text": text, "num": num, "sup": False}

    def any_suppressed(self, tables: list[dict]) -> bool:
        return any(c["sup"] for t in tables for r in t["rows"] for c in r["cells"])

    def sup_note(self) -> str:
        return self._("note.suppressed", m=self.min_cell)
