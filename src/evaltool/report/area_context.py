"""Where the area chapter enters a report: its context entries and its place in the contents.

A study with person data and an area block gets the area chapter after the subgroups chapter; an
area-only study (:func:`~evaltool.report.area_chapter.is_area_only`) gets the cover, a summary from the
area headline, the area chapter and the appendices (method, data, provenance) — no person chapters.
"""

from __future__ import annotations

from typing import Any

from evaltool.report._env import ReportEnv
from evaltool.report.area_chapter import area_appendix, area_chapter, area_summary, is_area_only

__all__ = ["area_context", "area_toc"]


def area_context(env: ReportEnv, template: str) -> dict[str, Any]:
    """``area`` (the chapter, or None) and ``area_only`` (summary and appendix, or None)."""
    if env.results.area is None:
        return {"area": None, "area_only": None}
    only = {"summary": area_summary(env), "appendix": area_appendix(env)} if is_area_only(env) else None
    return {"area": area_chapter(env), "area_only": only}


def area_toc(env: ReportEnv, chapters: tuple[str, ...], appendices: tuple[str, ...]) -> list[dict[str, str]] | None:
    """The contents with the area chapter (None without an area block: the usual contents)."""
    if env.results.area is None:
        return None
    if is_area_only(env):
        ids = ["summary", "area"]
    else:
        ids = list(chapters)
        ids.insert(ids.index("subgroups") + 1 if "subgroups" in ids else len(ids), "area")
    toc = [{"id": cid, "number": str(i), "title": env._(f"chapter.{cid}")} for i, cid in enumerate(ids, start=1)]
    return toc + [{"id": aid, "number": letter, "title": env._(f"chapter.{aid}")}
                  for letter, aid in zip("ABC", appendices)]
