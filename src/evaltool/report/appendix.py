"""Chapter builders (robustness: report/robustness.py): comparison with the midterm, conclusions, appendices, provenance."""

from __future__ import annotations

import re

from typing import Any

from markupsafe import Markup

from evaltool.report.disclosure import DisclosureLog
from evaltool.report import comparison as cmp
from evaltool.report import frontmatter
from evaltool.report._env import ReportEnv
from evaltool.report.tables import table
from evaltool.results.schema import DroppedRows, ResultsDocument, SampleRule

__all__ = ["comparison", "conclusions", "method", "data_appendix", "provenance", "disclosure"]


def comparison(env: ReportEnv, midterm: ResultsDocument | None) -> dict[str, Any]:
    """Midterm headline estimates beside the final ones, and what changed."""
    _, c = env._, env.cells
    if midterm is None:
        return {"text": _("compare.none"), "table": None, "changes": [], "new": [],
                **cmp.comparison_extras(env, None)}
    shown, _w = env.visible_effects()
    rows, changes, new = [], [], []
    for e in shown:
        m = midterm.effect(e.outcome)
        label = env.labels.outcome(e.outcome)
        if m is None:
            new.append(label)
            continue
        rows.append({"head": label, "tag": None,
                     "cells": [c.cell(m, "estimate", "effect"), c.ci(m), c.cell(m, "n_treated", "count"),
                               c.cell(e, "estimate", "effect"), c.ci(e), c.cell(e, "n_treated", "count")]})
        changes.append(cmp.change(env, m, e, midterm.config.adjust or "none"))
    t = table("tab-compare", _("compare.caption"),
              ["", _("col.mid_estimate"), _("col.mid_ci"), _("col.mid_n"), _("col.fin_estimate"),
               _("col.fin_ci"), _("col.fin_n")], rows, [_("effects.note_units")])
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note())
    return {"text": _("compare.text"), "table": t if rows else None, "changes": changes,
            "new": _("compare.new", outcomes=env.findings.join(new)) if new else None,
            **cmp.comparison_extras(env, midterm)}


def conclusions(env: ReportEnv) -> list[str]:
    shown, _w = env.visible_effects()
    return env.findings.conclusions(shown)


def method(env: ReportEnv) -> dict[str, Any]:
    """The matching and estimation recipe, written from ``config``."""
    _, fmt, lab = env._, env.fmt, env.labels
    cfg = env.results.config
    d = cfg.design
    estimand = env.results.design.estimand or d.estimand
    caliper = (_("method.caliper", value=fmt.number(d.caliper, 2), scale=lab.code("caliper_scale", d.caliper_scale))
               if d.caliper is not None else _("method.no_caliper"))
    items = [
        (_("method.estimand"), lab.code("estimand", estimand)),
        (_("method.matching"), _("method.matching_text_one" if d.ratio == 1 else "method.matching_text",
                                 method=lab.code("matching_method", d.method),
                                 ratio=fmt.count(d.ratio), replace=_("word.yes") if d.replace else _("word.no"),
                                 distance=lab.code("distance", d.distance),
                                 order=lab.code("m_order", d.m_order) if d.m_order else "–")),
        (_("method.caliper_label"), caliper),
        (_("method.exact"), ", ".join(lab.variable(v) for v in d.exact) or _("word.none")),
        (_("method.covariates"), ", ".join(lab.term(v) for v in d.covariates) or _("word.none")),
        (_("method.discard"), lab.code("discard", d.discard)),
        (_("method.effect"), lab.code("effect_method", cfg.effect_method)),
        (_("method.variance"), lab.code("variance", cfg.variance)),
        (_("method.adjust"), lab.code("adjust", cfg.adjust)),
        (_("method.min_cell"), fmt.count(env.min_cell)),
    ]
    if cfg.sample:
        # a rule written as text (older results files) is shown verbatim, marked as such
        rules = [_sample_rule(env, r) if isinstance(r, SampleRule) else Markup('<span class="verbatim">{}</span>')
                 .format(str(r)) for r in cfg.sample]
        items.append((_("method.sample"), Markup("; ").join(rules)))
    return {"text": _("method.text"), "items": items, "outcomes": _outcome_table(env)}


def _outcome_table(env: ReportEnv) -> dict:
    _, c, lab, fmt = env._, env.cells, env.labels, env.fmt
    units = {e.outcome: e.unit for e in env.results.effects}
    rows = []
    for o in env.results.outcomes:
        in_pp = units[o.name] == "pp" if o.name in units else bool(o.binary)
        cats = env.findings.join([lab.category(x) for x in o.categories]) or "–"
        w = o.window
        if not w and o.kind == "time_to" and o.horizon:
            w = (1, o.horizon)  # followed from the week after start up to the horizon
        when = (_("outcome.window", a=fmt.count(w[0]), b=fmt.count(w[1])) if w else
                _("outcome.week", week=fmt.count(o.week)) if o.week is not None else "–")
        rows.append({"head": lab.outcome(o.name), "tag": None,
                     "cells": [c.plain(_(f"kind.{o.kind}")), c.plain(cats), c.plain(when),
                               c.plain(_("outcome.binary") if in_pp else _("outcome.level")),
                               c.plain(o.name)]})
    return table("tab-outcomes", _("outcome.caption"),
                 ["", _("col.kind"), _("col.categories"), _("col.when"), _("col.scale"), _("col.name")], rows)


def _rule_value(f, column: str, v: float) -> str:
    """A sample-rule bound: a YYYYWW week as ``2024-W26``, a whole number as a count, else a number."""
    if "week" in column.lower() and float(v).is_integer() and 190001 <= v <= 210053 and 1 <= int(v) % 100 <= 53:
        return f"{int(v) // 100}-W{int(v) % 100:02d}"
    return f.count(int(v)) if float(v).is_integer() else f.number(v, 2)


def _sample_rule(env: ReportEnv, rule: SampleRule) -> str:
    """A sample rule ``{column, in, min, max}`` in words: ``Age at least 30``."""
    _, lab, f = env._, env.labels, env.fmt
    var, parts = lab.variable(rule.column), []
    if rule.in_ is not None:
        parts.append(_("data.rule_in", variable=var, levels=env.findings.join(
            [lab.level(str(v)) for v in rule.in_], word="or")))
    for value, msg in ((rule.min, "data.rule_min"), (rule.max, "data.rule_max")):
        if value is not None:
            parts.append(_(msg, variable=var, value=_rule_value(f, rule.column, value)))
    return env.findings.join(parts)


def _drop_reason(env: ReportEnv, d: DroppedRows) -> str:
    """Why rows were dropped, in the report's language (structured codes; else the English reason)."""
    _, lab = env._, env.labels
    if d.code == "missing" and d.column:
        return _("data.drop_missing", variable=lab.variable(d.column))
    if d.code == "sample" and d.rule is not None:
        return _("data.drop_sample", rule=_sample_rule(env, d.rule))
    return _("data.dropped", reason=d.reason) + (f" ({d.column})" if d.column else "")


def _row_order(_, text: str) -> str:
    """The provenance's row-order statement in the report's language (known statements only)."""
    if text.startswith("persons sorted by id"):
        return _("prov.row_order_id")
    if text.startswith("persons kept in file order"):
        return _("prov.row_order_file")
    return text


def data_appendix(env: ReportEnv) -> dict[str, Any]:
    _, c = env._, env.cells
    dr = env.results.data_report
    rows = [{"head": _("data.read"), "tag": None, "cells": [c.cell(dr, "n_read", "count")]}]
    for d in dr.dropped:
        head = _drop_reason(env, d)
        rows.append({"head": head, "tag": None, "cells": [c.cell(d, "n", "count")]})
    rows += [{"head": _("data.used"), "tag": None, "cells": [c.cell(dr, "n_used", "count")]},
             {"head": _("group.treated"), "tag": None, "cells": [c.cell(dr, "n_treated", "count")]},
             {"head": _("group.pool"), "tag": None, "cells": [c.cell(dr, "n_control", "count")]}]
    if dr.persons_without_panel is not None:
        rows.append({"head": _("data.no_panel"), "tag": None, "cells": [c.cell(dr, "persons_without_panel", "count")]})
    if dr.pseudo_starts is not None:
        rows.append({"head": _("data.pseudo_starts"), "tag": None, "cells": [c.cell(dr, "pseudo_starts", "count")]})
    t = table("tab-data", _("data.caption"), ["", _("col.persons")], rows)
    if c.any_suppressed([t]):
        t["notes"].append(c.sup_note() + " " + _("note.secondary"))
    return {"table": t, "warnings": list(env.results.warnings)}


def provenance(env: ReportEnv) -> list[tuple[str, str]]:
    _, p = env._, env.results.provenance
    items = [(label, value or _("meta.not_stated")) for label, value in frontmatter.metadata(env)[:5]]
    items += [(_("prov.version"), _or_dash(p.evaltool_version)), (_("prov.config"), _or_dash(p.config_sha256)),
             (_("prov.seed"), _or_dash(p.seed)), (_("prov.row_order"), _row_order(_, _or_dash(p.row_order)))]
    for name, digest in p.inputs.items():
        hashed = bool(re.fullmatch(r"[0-9a-f]{64}", str(digest)))
        label = _(f"source.{name}") if name in frontmatter.KNOWN_SOURCES else name
        items.append((_("prov.input" if hashed else "prov.input_spec", name=label), str(digest)))
    return items


def _or_dash(value: Any) -> str:
    return "–" if value is None else str(value)


def _table_name(env: ReportEnv, table: str) -> str:
    """A disclosure-log table id in words (``midterm:effects`` -> "Midtvejsevalueringen: effekter").

    Ids are looked up as ``dtable.<id>`` (dots as underscores; every id the disclosure pass logs has an
    entry in both catalogues, see ``tests/test_report_i18n.py``); an unknown id falls back to itself in words."""
    prefix, _sep, base = table.rpartition(":")
    key = "dtable." + base.replace(".", "_")
    if key in env._.messages:
        name = env._(key)
    else:
        name = base.replace(".", ": ").replace("_", " ")
    return env._("dtable.midterm", table=name) if prefix == "midterm" else name


def disclosure(env: ReportEnv, log: DisclosureLog) -> dict[str, Any]:
    _, fmt = env._, env.fmt
    frame = log.to_frame()
    supp = frame[frame["rule"] != "rounding"]
    counts = supp.groupby("table", sort=False).size()
    items = [_("disclosure.table_count", table=_table_name(env, t), n=fmt.count(int(n))) for t, n in counts.items()]
    rounding = log.rules.rounding
    return {"text": _("disclosure.text", m=env.min_cell),
            "rounding": _("disclosure.rounding", base=rounding) if rounding else _("disclosure.no_rounding"),
            "items": items, "total": _("disclosure.total", n=fmt.count(len(supp)))}
