"""Locale-aware number formatting for reports (Babel/CLDR).

All numbers reach the templates as strings made here: Danish uses a decimal
comma, a thousands dot and a space before the percent sign ("12,3 %",
"1.234"); English uses "12.3%" and "1,234". Negative numbers use the
typographic minus sign (U+2212). A value of ``None`` prints as an en dash.

Examples
--------
>>> NumberFormat("da").percent(12.3)
'12,3 %'
>>> NumberFormat("en").percent(12.3)
'12.3%'
>>> NumberFormat("da").count(1234)
'1.234'
>>> NumberFormat("da").signed(2.0)
'+2,0'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, format_percent

__all__ = ["NumberFormat", "DASH", "MINUS", "SUPPRESSED"]

DASH = "\u2013"  # not applicable: the value does not exist or cannot be computed
#: A value hidden by disclosure control (a count below the threshold is "<5" instead); Statistics
#: Denmark's mark for confidential figures, distinct from "–" (not applicable) and "0" (a real zero).
SUPPRESSED = ".."
MINUS = "\u2212"
_LOCALES = {"da": "da_DK", "en": "en_GB"}


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _fix(text: str) -> str:
    return text.replace("\xa0", " ").replace("-", MINUS)


# Babel parses the locale and the pattern on every call; a report formats the same few hundred values (tick
# labels in every drawing pass of a figure, counts in tables and text) again and again, so each distinct
# (locale, value, decimals) is formatted once per process. The value is already rounded to ``decimals``.
@lru_cache(maxsize=65536)
def _decimal(locale: str, x: float, decimals: int) -> str:
    return _fix(format_decimal(x, format=_pattern(decimals), locale=locale))


@lru_cache(maxsize=65536)
def _percent(locale: str, x: float, decimals: int) -> str:
    pattern = Locale.parse(locale).percent_formats[None].pattern.replace("#,##0", _pattern(decimals), 1)
    return _fix(format_percent(x / 100, format=pattern, locale=locale))


@dataclass(frozen=True)
class NumberFormat:
    """Formatter for one report language (``"da"`` or ``"en"``)."""

    language: str

    @property
    def locale(self) -> str:
        return _LOCALES[self.language]

    def number(self, x: float | None, decimals: int = 1) -> str:
        """A plain number with the locale's separators."""
        if _missing(x):
            return DASH
        return _decimal(self.locale, round(float(x), decimals) + 0.0, decimals)  # + 0.0: no "-0,0"

    def count(self, n: int | None) -> str:
        """A whole count with thousands separators."""
        return DASH if _missing(n) else self.number(int(n), 0)

    def percent(self, x: float | None, decimals: int = 1) -> str:
        """A value already in percent units (12.3 -> "12,3 %")."""
        if _missing(x):
            return DASH
        return _percent(self.locale, round(float(x), decimals) + 0.0, decimals)

    def share(self, p: float | None, decimals: int = 1) -> str:
        """A proportion 0-1 shown as percent (0.123 -> "12,3 %")."""
        return DASH if _missing(p) else self.percent(float(p) * 100, decimals)

    def signed(self, x: float | None, decimals: int = 1) -> str:
        """A difference with an explicit sign ("+2,0", "−0,4")."""
        if _missing(x):
            return DASH
        x = round(float(x), decimals) + 0.0
        text = self.number(abs(x), decimals)
        return ("+" if x > 0 else MINUS if x < 0 else "\u00b1") + text

    def p_value(self, p: float | None) -> str:
        """A p-value with three decimals, or "< 0,001"."""
        if _missing(p):
            return DASH
        if p < 0.001:
            return "< " + self.number(0.001, 3)
        return self.number(p, 3)

    def p_expr(self, p: float | None, name: str = "p") -> str:
        """``p = 0,446`` or ``p < 0,001`` for running text."""
        text = self.p_value(p)
        if text == DASH:
            return f"{name} = {DASH}"
        return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"

    def date(self, iso: str | None) -> str:
        """An ISO date ("2026-03-01") in the language's long form ("1. marts 2026", "1 March 2026")."""
        if not iso:
            return DASH
        import datetime

        from babel.dates import format_date

        return format_date(datetime.date.fromisoformat(str(iso)), format="long", locale=self.locale)
