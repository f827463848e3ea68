"""ReportContext: everything a report template shows, formatted and disclosure-controlled.

:func:`build_context` is the only place where report numbers are computed and
formatted. It applies disclosure control (:mod:`evaltool.report.disclosure`) to the
typed results document (and to the midterm document it is compared with), then builds each
chapter with the chapter builders. Templates receive strings, tables and
inline SVG only.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import BaseModel

from evaltool.report.disclosure import DisclosureLog, DisclosureRules, apply_disclosure
from evaltool.exceptions import DataError, ReportError
from evaltool.report import appendix, frontmatter, process_sections, robustness
from evaltool.report.balance_chapter import balance
from evaltool.report.effects_chapter import results_chapter
from evaltool.report.opening_chapters import effort, process, summary, target_group
from evaltool.report.subgroups_chapter import subgroups
from evaltool.report.area_context import area_context, area_toc
from evaltool.report.headline import headline
from evaltool.report._env import ReportEnv
from evaltool.report.i18n import LANGUAGES, Translator
from evaltool.results._record import SUPPRESSED_KEY, Record
from evaltool.results.schema import READABLE_VERSIONS, SCHEMA_VERSION, ResultsDocument

__all__ = ["ReportContext", "build_context", "as_document", "TEMPLATES", "CHAPTERS"]

TEMPLATES = ("midterm", "final")
CHAPTERS = {
    "midterm": ("summary", "effort", "target-group", "implementation", "results", "balance", "subgroups",
                "robustness"),
    "final": ("summary", "effort", "target-group", "implementation", "results", "balance", "subgroups",
              "robustness", "comparison", "conclusions"),
}
APPENDICES = ("appendix-method", "appendix-data", "provenance")
REQUIRED = ResultsDocument.REQUIRED
_ID_KEY = re.compile(r"^(person_?id|id|cpr(_?nr)?|pnr|.*_id)$", re.IGNORECASE)


@dataclass(frozen=True)
class ReportContext:
    """Formatted, disclosure-controlled content of one report.

    Attributes are plain strings, lists and dicts (tables, figures with inline
    SVG) ready for the Jinja templates; :meth:`template_vars` is what the
    templates see.
    """

    template: str
    language: str
    texts: dict[str, str]
    title: str
    subtitle: str
    stage: str
    toc: list[dict[str, str]]
    headline: dict[str, Any] | None
    cover: list[tuple[str, str]]
    guide: dict[str, Any]
    free: dict[str, Any]
    summary: dict[str, Any]
    effort: dict[str, Any]
    target: dict[str, Any]
    process: dict[str, Any] | None
    results: dict[str, Any]
    balance: dict[str, Any]
    subgroups: dict[str, Any] | None
    robustness: dict[str, Any]
    comparison: dict[str, Any] | None
    conclusions: list[str] | None
    method: dict[str, Any]
    data: dict[str, Any]
    provenance: list[tuple[str, str]]
    disclosure: dict[str, Any]
    disclosure_log: DisclosureLog
    area: dict[str, Any] | None = None  # the area chapter (report/area_chapter.py); None without an area block
    area_only: dict[str, Any] | None = None  # area-only study: {"summary", "appendix"}; None otherwise
    process_analyses: dict[str, Any] | None = None  # issue 16: mapping, journeys, case duration, process effects, cost

    def template_vars(self) -> dict[str, Any]:
        """The variables passed to the template (``t`` holds the language's texts)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("texts", "disclosure_log")}
        out["t"] = self.texts
        out["ch"] = {entry["id"]: entry for entry in self.toc}
        return out

    def to_dict(self) -> dict[str, Any]:
        """All content as a JSON-safe dict (figures included as SVG text)."""
        d = asdict(self)
        d.pop("texts")
        d["disclosure_log"] = self.disclosure_log.to_dict()
        return d

    def disclosure_frame(self) -> pd.DataFrame:
        return self.disclosure_log.to_frame()


def as_document(results: ResultsDocument | dict[str, Any], what: str = "results") -> ResultsDocument:
    """The typed results document; a parsed results.json dict is checked and read into it.

    Raises
    ------
    ReportError
        Not a results document or dict, an incomplete or malformed dict, or keys that look like person ids.
    """
    if isinstance(results, ResultsDocument):
        _refuse_record_ids(results, what)
        return results
    if not isinstance(results, dict):
        raise ReportError(f"`{what}` must be a results document (ResultsDocument.read('results.json')) or a "
                          f"parsed results.json dict; got {type(results).__name__}")
    missing = [k for k in REQUIRED if k not in results]
    if missing:
        raise ReportError(f"`{what}` is not a complete results dict (schema v{SCHEMA_VERSION}): missing "
                          f"{', '.join(map(repr, missing))}")
    if results["schema_version"] not in READABLE_VERSIONS:
        raise ReportError(f"`{what}`: schema_version {SCHEMA_VERSION} expected; got {results['schema_version']!r}")
    _refuse_ids(results, what)
    try:
        return ResultsDocument.from_dict(results, what)
    except DataError as exc:
        raise ReportError(str(exc)) from None


def _refuse_ids(obj: Any, path: str) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, str) and _ID_KEY.match(k):
                _refuse_key(path, k)
            _refuse_ids(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _refuse_ids(v, f"{path}[{i}]")


def _refuse_key(path: str, key: str) -> None:
    """Raise for id-like ``key`` of the object at ``path``, unless that object names inputs or labels."""
    if path.split(".")[-1] not in ("inputs", "categories_labels"):
        raise ReportError(f"{path}.{key}: looks like a person identifier; results for reports must not "
                          "contain person ids")


_PLAIN = (str, int, float, type(None))


def _refuse_record_ids(value: Any, path: str) -> None:
    """``_refuse_ids(value.to_dict(), path)`` for a typed value (a record, its lists and dicts), without
    building the dict: the same keys are checked in the same order, so the same first offender is named.
    The keys of a record type are checked against the id pattern once per type."""
    if isinstance(value, Record):
        for name, key, is_id, optional in _record_keys(type(value)):
            v = getattr(value, name)
            if optional and v is None:
                continue
            if is_id:
                _refuse_key(path, key)
            if not isinstance(v, _PLAIN):
                _refuse_record_ids(v, f"{path}.{key}")
        if value.suppressed:
            _refuse_ids({SUPPRESSED_KEY: dict(value.suppressed)}, path)
    elif isinstance(value, BaseModel):
        _refuse_ids(value.model_dump(mode="json"), path)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if not isinstance(v, _PLAIN):
                _refuse_record_ids(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and _ID_KEY.match(k):
                _refuse_key(path, k)
            if not isinstance(v, _PLAIN):
                _refuse_record_ids(v, f"{path}.{k}")


@lru_cache(maxsize=None)
def _record_keys(cls: type) -> tuple[tuple[str, str, bool, bool], ...]:
    """``(field, JSON key, key looks like an id, written only when set)`` of each field ``cls.to_dict`` writes."""
    return tuple((f.name, key, bool(_ID_KEY.match(key)), f.name in cls._only_when_set)
                 for f in cls._fields() for key in [cls._keys.get(f.name, f.name)])


def build_context(results: ResultsDocument | dict[str, Any], template: str = "final", language: str = "da",
                  compare_with: ResultsDocument | dict[str, Any] | None = None,
                  rules: DisclosureRules | None = None) -> ReportContext:
    """Apply disclosure control and build every chapter of a report.

    Parameters
    ----------
    results : ResultsDocument or dict
        The typed results (``ResultsDocument.read("results.json")``); a parsed results.json dict is read into it.
    template : {"midterm", "final"}
    language : {"da", "en"}
    compare_with : ResultsDocument or dict, optional
        The midterm results (final report only: its headline estimates are shown beside the final ones).
    rules : DisclosureRules, optional
        Defaults to ``DisclosureRules(min_cell=results.config.min_cell)``.

    Raises
    ------
    ReportError
        Unknown template or language, an incomplete results dict or keys that look like person ids.
    """
    if template not in TEMPLATES:
        raise ReportError(f"`template` must be one of {', '.join(map(repr, TEMPLATES))}; got {template!r}")
    if language not in LANGUAGES:
        raise ReportError(f"`language` must be one of {', '.join(map(repr, LANGUAGES))}; got {language!r}")
    results = as_document(results, "results")
    if compare_with is not None:
        compare_with = as_document(compare_with, "compare_with")
    if rules is None:
        rules = DisclosureRules(min_cell=int(results.config.min_cell or 5))
    controlled, log = apply_disclosure(results, rules)
    mid = None
    if compare_with is not None and template == "final":
        mid, mid_log = apply_disclosure(compare_with, rules, table_prefix="midterm:")
        log = DisclosureLog(log.entries + mid_log.entries, rules)
    env = ReportEnv(controlled, template, language, rules.min_cell)
    _ = env._
    study = controlled.study
    final = template == "final"
    subtitle = " · ".join(x for x in (study.municipality, study.period) if x)
    return ReportContext(
        template=template, language=language, texts=dict(_.messages),
        title=_.label(study.title, "") or _("title.default"), subtitle=subtitle,
        stage=_(f"stage.{template}"),
        toc=process_sections.process_toc(env, area_toc(env, CHAPTERS[template], APPENDICES) or _toc(_, template)),
        headline=headline(env), cover=frontmatter.cover(env), guide=frontmatter.guide(env),
        free=frontmatter.texts(env),
        summary=summary(env), effort=effort(env), target=target_group(env),
        process=process(env), results=results_chapter(env), balance=balance(env),
        subgroups=subgroups(env), robustness=robustness.robustness(env),
        comparison=appendix.comparison(env, mid) if final else None,
        conclusions=appendix.conclusions(env) if final else None,
        method=appendix.method(env), data=appendix.data_appendix(env), provenance=appendix.provenance(env),
        disclosure=appendix.disclosure(env, log), disclosure_log=log, **area_context(env, template),
        process_analyses=process_sections.process_analyses(env),
    )


def _toc(_: Translator, template: str) -> list[dict[str, str]]:
    toc = [{"id": cid, "number": str(i), "title": _(f"chapter.{cid}")}
           for i, cid in enumerate(CHAPTERS[template], start=1)]
    toc += [{"id": aid, "number": letter, "title": _(f"chapter.{aid}")} for letter, aid in zip("ABC", APPENDICES)]
    return toc
