"""Write a study's output folder atomically, and render its reports.

Everything goes to a temporary sibling folder first; only when every file is
written is it moved into place, so a failed run leaves any previous output
untouched and never a half-written folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool.config import config_source, dump_config, resolve_path
from evaltool.config.schema import StudyConfig
from evaltool.exceptions import ConfigError
from evaltool.study.compare import compare_results, read_results
from evaltool.study.outdir import check_target, write_file, write_folder
from evaltool.study.result import StudyResult
from evaltool.results.schema import ResultsDocument, dumps_json

__all__ = ["results_json", "atomic_folder", "input_files", "dumps_json", "write_csv", "output_dir_for", "write_outputs",
           "gate_document", "fill_output_folder",
           "render_reports", "read_results", "compare_results", "rerender_report"]


def results_json(results: ResultsDocument, min_cell: int) -> str:
    """results.json text with the area block through the area disclosure gate (hidden small areas)."""
    from dataclasses import replace

    from evaltool.report.area_disclosure import control_area

    if results.area is None:
        return results.to_json()
    return replace(results, area=control_area(results.area, min_cell, lambda *_a: None)).to_json()


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a fixed float format and line terminator (byte-stable)."""
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


def atomic_folder(target: str | Path, fill: Callable[[Path], None], *, force: bool = False,
                  inputs: list[Path] | tuple[Path, ...] = ()) -> Path:
    """Create ``target`` by calling ``fill(tmp_dir)`` and renaming the result into place.

    A thin alias of :func:`evaltool.study.outdir.write_folder`: ``target`` must be absent, empty
    or an earlier evaltool output folder, and never an input folder.

    Raises
    ------
    EvaltoolError
        If the target is unsafe or cannot be written.
    """
    return write_folder(target, fill, force=force, inputs=inputs)


def input_files(cfg: StudyConfig) -> list[Path]:
    """The files a study reads (config file, data files, code map, compared results) that exist."""
    source, _base, _lines = config_source(cfg)
    found = [Path(source)] if source != "<config>" else []
    d, a = cfg.data, cfg.area_panel
    keyed = [("report.compare_with", cfg.report.compare_with)]
    if d is not None:
        keyed += [("data.persons", d.persons), ("data.weekly_status", d.weekly_status),
                  ("data.code_map", d.code_map), ("data.areas", d.areas)]
    if a is not None:
        keyed += [("area_panel.path", a.path), ("area_panel.residence.path", a.residence and a.residence.path)]
    for key, path in keyed:
        if path is not None:
            try:
                found.append(resolve_path(cfg, path, key))
            except ConfigError:
                continue
    return [p for p in found if p.exists()]


def output_dir_for(cfg: StudyConfig, out: str | Path | None, *, force: bool = False) -> Path:
    """``--out`` if given, else ``report.out`` from the config; checked to be a safe target
    (see :func:`evaltool.study.outdir.check_target`)."""
    if out is not None:
        check_target(out, force=force, inputs=input_files(cfg))
        return Path(out)
    if cfg.report.out is not None:
        check_target(cfg.report.out, what="report.out", force=force, inputs=input_files(cfg))
        return Path(cfg.report.out)
    source, _, _lines = config_source(cfg)
    raise ConfigError(f"{source}: report.out: no output folder; give --out DIR or set report.out")


def write_outputs(result: StudyResult, out: str | Path, *, compare_with: ResultsDocument | None = None,
                  force: bool = False, executor: Any = None) -> Path:
    """Write results.json, tables/, trajectories.csv, reports, disclosure log and resolved config.

    Every file is written from the controlled document (:func:`gate_document`), never from the raw
    results. The folder is built in a temporary sibling and renamed into place only when complete;
    a failure leaves any previous ``out`` untouched. ``compare_with`` (the midterm results
    document) overrides ``report.compare_with`` for the final report. The reports (templates x
    languages) are rendered on ``executor``'s workers when it has more than one.
    """
    if getattr(result, "area_only", False):  # an area-only study writes its own folder
        return result.write(out, force=force)
    earlier = compare_with if compare_with is not None else compare_results(result.config)
    controlled, log = gate_document(result.config, result.document(), earlier)
    reports = render_reports(result.config, controlled, earlier, executor=executor)
    return atomic_folder(out, lambda tmp: fill_output_folder(tmp, result, controlled, reports, log),
                         force=force, inputs=input_files(result.config))


def gate_document(cfg: StudyConfig, results: ResultsDocument, earlier: ResultsDocument | None = None
                  ) -> tuple[ResultsDocument, Any]:
    """The one disclosure gate of an output folder: the controlled document and its log
    (see :mod:`evaltool.report.gate`); ``earlier`` is the published midterm a final is compared with."""
    from evaltool.report import DisclosureRules
    from evaltool.report.gate import control_document

    rules = DisclosureRules(min_cell=cfg.report.disclosure.min_cell, rounding=cfg.report.disclosure.rounding)
    return control_document(results, rules, earlier=earlier)


def fill_output_folder(tmp: Path, result: StudyResult, controlled: ResultsDocument, reports: list,
                       log: Any) -> None:
    """Write one study's output folder's files into ``tmp`` (see :func:`write_outputs`).

    ``controlled`` and ``log`` come from :func:`gate_document`; every table is built from
    ``controlled`` (``result`` only supplies the resolved config).
    """
    import yaml

    from evaltool.report.gate import gated_tables

    (tmp / "results.json").write_text(controlled.to_json(), encoding="utf-8")
    (tmp / "tables").mkdir()
    for name, frame in gated_tables(controlled).items():
        write_csv(frame, tmp / name)
    if result.area is not None:
        write_csv(result.area.result.to_frame(), tmp / "tables" / "area_estimates.csv")
    logs = [log.to_frame().assign(report="folder")] if len(log) else []
    for name, rendered in reports:
        (tmp / name).write_text(rendered.html, encoding="utf-8")
        if "pdf" in result.config.report.formats:
            from evaltool.report.pdf import pdf_beside

            pdf_beside(tmp / name, language=rendered.language, title=_title(controlled, rendered.language))
        if len(rendered.disclosure_log):
            logs.append(rendered.disclosure_log.assign(report=name))
    frame = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame(
        columns=["table", "row", "column", "reason", "rule", "report"])
    write_csv(frame, tmp / "disclosure_log.csv")
    (tmp / "config.resolved.yaml").write_text(
        yaml.safe_dump(dump_config(result.config), sort_keys=False, allow_unicode=True), encoding="utf-8")


def render_reports(cfg: StudyConfig, results: ResultsDocument,
                   compare: ResultsDocument | None = None, executor: Any = None) -> list[tuple[str, Any]]:
    """The reports the config lists (templates x languages); the first is also ``report.html``.

    The final template compares with ``compare``, else with ``report.compare_with``. With an
    ``executor`` of more than one worker the reports are rendered side by side on its workers
    (the same bytes as in this process).
    """
    from evaltool.report import DisclosureRules

    templates = list(cfg.report.templates) or [cfg.study.stage]
    languages = list(cfg.report.languages or [cfg.study.language])
    if compare is None:
        compare = compare_results(cfg)
    rules = DisclosureRules(min_cell=cfg.report.disclosure.min_cell, rounding=cfg.report.disclosure.rounding)
    jobs = [(t, lg) for t in templates for lg in languages]
    shared = {"results": results, "compare": compare, "rules": rules}
    if executor is not None and executor.n_workers > 1 and len(jobs) > 1:
        done = executor.map(_render_one, jobs, shared=shared)
    else:
        done = [_render_one(job, **shared) for job in jobs]
    out = []
    for i, ((tpl, lang), rendered) in enumerate(zip(jobs, done)):
        name = "report.html" if i == 0 else f"report_{tpl}_{lang}.html"
        out.append((name, rendered))
        if i == 0 and len(templates) * len(languages) > 1:
            out.append((f"report_{tpl}_{lang}.html", rendered))
    return out


def _render_one(job: tuple[str, str], results: ResultsDocument, compare: ResultsDocument | None,
                rules: Any) -> Any:
    """One report (template, language) of :func:`render_reports` (a picklable task)."""
    from evaltool.report import render_report

    tpl, lang = job
    return render_report(results, template=tpl, language=lang,
                         compare_with=compare if tpl == "final" else None, rules=rules)


def rerender_report(results_json: str | Path, *, template: str, language: str, out: str | Path,
                    compare_with: str | Path | None = None, min_cell: int | None = None,
                    pdf: bool = False) -> Path:
    """Render a report from an existing results.json without recomputing (``pdf``: also ``out`` as .pdf).

    The final template compares with ``compare_with``, else with the midterm the run recorded
    (:func:`evaltool.study.compare.recorded_midterm`); the results then pass the folder gate again against it
    (:func:`evaltool.report.gate.control_document` with ``earlier``)."""
    from evaltool.report import DisclosureRules, render_report
    from evaltool.report.gate import control_document
    from evaltool.study.compare import recorded_midterm

    results = read_results(results_json)
    if compare_with is None and template == "final":
        compare_with = recorded_midterm(results_json)
    compare = read_results(compare_with) if compare_with else None
    stored = int(results.config.min_cell)
    if min_cell is not None and min_cell < max(stored, 5):
        raise ConfigError(f"--min-cell: must be >= {max(stored, 5)} (the threshold the results were made with; "
                          f"it may be raised, never lowered); got {min_cell}")
    mc = min_cell if min_cell is not None else stored
    rules = DisclosureRules(min_cell=mc)
    if compare is not None:  # a final published beside its midterm: the cross-document rules, against it
        results, _log = control_document(results, rules, earlier=compare)
    rendered = render_report(results, template=template, language=language, compare_with=compare, rules=rules)
    path = write_file(out, rendered.html)
    if pdf:
        from evaltool.report.pdf import pdf_beside

        pdf_beside(path, language=language, title=_title(results, language))
    return path


def _title(results: ResultsDocument, language: str) -> str:
    """The report's title in ``language`` for the PDF's running header."""
    title = results.study.title
    return (title.get(language) or next(iter(title.values()), "")) if isinstance(title, dict) else (title or "")
