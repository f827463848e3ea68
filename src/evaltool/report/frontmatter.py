"""Cover metadata, reading guide, data sources and the config's free-text sections (issue 17, part 3).

The cover and the provenance appendix carry the same metadata: study period, register period,
data extraction date, author and organisation (``study:`` keys of the config), the evaltool
version and the config hash (``provenance``). A value the config does not give is left out of
the cover and shown as "not stated" in the appendix, never invented.
"""

from __future__ import annotations

from typing import Any

from evaltool.report._env import ReportEnv
from evaltool.report.formatting import DASH, SUPPRESSED
from evaltool.report.markdown import free_texts

__all__ = ["metadata", "cover", "guide", "marks", "texts"]

KNOWN_SOURCES = ("persons", "weekly_status", "contacts", "residence", "area_panel", "code_map", "simulate")


def metadata(env: ReportEnv) -> list[tuple[str, str | None]]:
    """(label, value or None) for every metadata item, in a fixed order."""
    _, st, prov = env._, env.results.study, env.results.provenance
    return [(_("meta.period"), st.period), (_("meta.register_period"), st.register_period),
            (_("meta.data_extracted"), env.fmt.date(st.data_extracted) if st.data_extracted else None),
            (_("meta.author"), st.author), (_("meta.organisation"), st.organisation),
            (_("meta.version"), prov.evaltool_version),
            (_("meta.config"), prov.config_sha256[:12] if prov.config_sha256 else None)]


def cover(env: ReportEnv) -> list[tuple[str, str]]:
    """The metadata items the results hold (cover)."""
    return [(k, v) for k, v in metadata(env) if v]


def guide(env: ReportEnv) -> dict[str, Any]:
    """The reading guide and the data sources."""
    _ = env._
    names = list(env.results.provenance.inputs)
    sources = [_(f"source.{n}") if n in KNOWN_SOURCES else n for n in names]
    return {"title": _("guide.title"), "text": _("guide.final" if env.final else "guide.midterm"),
            "marks": _("guide.marks"), "mark_items": marks(env), "gap": _("guide.mark.gap"),
            "sources_title": _("guide.sources"), "sources": sources}


def marks(env: ReportEnv) -> list[tuple[str, str]]:
    """The table marks and what each means: suppressed count, hidden number, not applicable, zero."""
    return mark_items(env._, env.min_cell)


def mark_items(_: Any, m: int) -> list[tuple[str, str]]:
    """The table marks for minimum cell size ``m`` and their meanings in the translator ``_``'s language."""
    return [(f"<{m}", _("guide.mark.count", n=m - 1)), (SUPPRESSED, _("guide.mark.hidden", m=m)),
            (DASH, _("guide.mark.none")), ("0", _("guide.mark.zero"))]


def texts(env: ReportEnv) -> dict[str, Any]:
    """The config's free-text sections rendered in the report's language (Markdown, raw HTML disabled)."""
    return free_texts(dict(env.results.study.texts or {}), env.language)
