"""Report texts in Danish and English.

Texts live in one YAML catalogue per language (``report/locale/da.yaml``,
``en.yaml``), keyed by message id, with ``str.format`` placeholders. We chose
YAML catalogues over gettext ``.po``/``.mo`` files because the reports have a
few hundred fixed sentences, not a translated application: a reviewer edits
both languages side by side in plain text, no compile step is needed at build
time, and a test checks that both catalogues have exactly the same ids and
placeholders. Numbers are never formatted here (see :mod:`.formatting`).

Examples
--------
>>> _ = Translator("en")
>>> _("ci", low="0.4", high="3.6")
'0.4 to 3.6'
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from evaltool.exceptions import ReportError

__all__ = ["LANGUAGES", "Translator", "catalogue", "placeholders"]

LANGUAGES = ("da", "en")
#: libyaml's safe loader where PyYAML was built with it (a tenth of the pure-Python loader's time; the same
#: catalogue: tests/test_report_fast_paths.py)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """The message catalogue of ``language`` (flat dict id -> text)."""
    if language not in LANGUAGES:
        raise ReportError(f"`language` must be one of {', '.join(map(repr, LANGUAGES))}; got {language!r}")
    text = resources.files("evaltool.report").joinpath("locale", f"{language}.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_LOADER)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ReportError(f"report/locale/{language}.yaml: expected a flat mapping of message ids to strings")
    return {str(k): v.strip() for k, v in data.items()}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a message."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@dataclass(frozen=True)
class Translator:
    """``gettext``-like lookup: ``_("msg_id", **values)``."""

    language: str
    messages: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", catalogue(self.language))

    def __call__(self, key: str, **values: Any) -> str:
        try:
            text = self.messages[key]
        except KeyError:
            raise ReportError(f"report text {key!r} missing from locale/{self.language}.yaml") from None
        try:
            return text.format(**values) if values or placeholders(text) else text
        except KeyError as exc:
            raise ReportError(f"report text {key!r} needs a value for {exc}") from None

    def label(self, labels: dict[str, str] | str | None, fallback: str = "") -> str:
        """Pick this language from a ``{"da": ..., "en": ...}`` label (or fall back)."""
        if isinstance(labels, dict):
            return labels.get(self.language) or next(iter(labels.values()), fallback) or fallback
        if isinstance(labels, str):
            return labels
        return fallback
