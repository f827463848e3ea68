"""Free-text report sections from the config, rendered from Markdown safely.

``report.texts`` (programme theory, implementation, recommendations, quotes) are written by
the evaluator in Markdown, one text per language. They are rendered with markdown-it-py in
CommonMark mode with **raw HTML disabled**: any ``<tag>`` in the text is shown as text, never
passed through, and markdown-it's link validation drops ``javascript:``/``vbscript:``/``data:``
links. The report's Content-Security-Policy blocks scripts in any case.

Examples
--------
>>> str(render_markdown("**Hej** <script>x</script>"))
'<p><strong>Hej</strong> &lt;script&gt;x&lt;/script&gt;</p>\\n'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["render_markdown", "TEXT_NAMES"]

TEXT_NAMES = ("programme_theory", "implementation", "recommendations", "quotes")


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with raw HTML disabled (safe to insert into the report)."""
    return Markup(_md().render(text))


def free_texts(texts: dict[str, Any], language: str) -> dict[str, Markup | None]:
    """Each of :data:`TEXT_NAMES` rendered in ``language`` (None when the config gives none)."""
    out: dict[str, Markup | None] = {}
    for name in TEXT_NAMES:
        value = texts.get(name) if texts else None
        text = value.get(language) if isinstance(value, dict) else None
        out[name] = render_markdown(text) if text else None
    return out
