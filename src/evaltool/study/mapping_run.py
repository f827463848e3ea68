"""``evaltool map``: the target-group mapping of a config's ``mapping:`` section, written to a safe
output folder.

:func:`run_mapping_study` reads (or simulates) the persons and weekly panel as ``evaltool run`` does
and calls :func:`evaltool.process.mapping.run_mapping`; :func:`write_mapping_outputs` applies
disclosure control (primary and secondary, :mod:`evaltool.report.process_disclosure`) and writes,
through the atomic folder of :mod:`evaltool.study.outdir`: ``results.json`` (the controlled
``mapping`` block), ``tables/*.csv``, ``report.html`` plus ``report_da.html``/``report_en.html``,
``disclosure_log.csv`` and ``config.resolved.yaml``. Every file holds controlled counts only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evaltool._result import jsonable
from evaltool.config import config_source, dump_config
from evaltool.config.schema import StudyConfig
from evaltool.exceptions import ConfigError
from evaltool.results.process import MappingDocument, mapping_block
from evaltool.results.schema import dumps_json
from evaltool.study.inputs import load_study_data

__all__ = ["run_mapping_study", "mapping_document", "write_mapping_outputs"]


def run_mapping_study(cfg: StudyConfig):
    """The :class:`~evaltool.process.mapping.MappingResult` of ``cfg.mapping`` (raw counts, in memory only)."""
    from evaltool.process.mapping import run_mapping

    if cfg.mapping is None:
        source, _base, lines = config_source(cfg)
        raise ConfigError(f"{source}: mapping: the config has no `mapping:` section; add one (reference_week, by, "
                          "...; see docs/process.md) to run `evaltool map`")
    data = load_study_data(cfg)
    return run_mapping(data.persons, data.panel, data.code_map, cfg.mapping, id_col=cfg.data.id,
                       start_col=cfg.data.start, treatment=cfg.data.treatment)


def mapping_document(cfg: StudyConfig, result, inputs: dict | None = None) -> MappingDocument:
    """The typed (uncontrolled) mapping document."""
    return MappingDocument(title=jsonable(cfg.study.title.model_dump() if hasattr(cfg.study.title, "model_dump")
                                          else cfg.study.title),
                           seed=cfg.study.seed, inputs=dict(inputs or {}),
                           mapping=mapping_block(jsonable(result.to_dict())))


def _frame(rows: tuple) -> pd.DataFrame:
    return pd.DataFrame([{**r.keys, "n": r.n, "share": r.share, "share_within": r.share_within} for r in rows])


def write_mapping_outputs(cfg: StudyConfig, doc: MappingDocument, out: str | Path, *, force: bool = False) -> Path:
    """Disclosure control, then the mapping output folder (atomic; see the module docstring)."""
    import yaml

    from evaltool.report import DisclosureRules
    from evaltool.report.mapping_report import control_mapping_document, render_mapping_report
    from evaltool.study.outputs import atomic_folder, input_files, write_csv

    min_cell = max(cfg.report.disclosure.min_cell, doc.mapping.min_cell)
    controlled, log = control_mapping_document(doc, DisclosureRules(min_cell=min_cell))
    languages = [cfg.study.language] + [lg for lg in ("da", "en") if lg != cfg.study.language]
    html = {lg: render_mapping_report(controlled, lg, log) for lg in languages}

    def fill(tmp: Path) -> None:
        (tmp / "results.json").write_text(dumps_json(controlled.to_dict()), encoding="utf-8")
        tables = tmp / "tables"
        tables.mkdir()
        m = controlled.mapping
        for name in ("crosstab", "margins", "entitlement", "timeline", "starts"):
            rows = getattr(m, name)
            if rows:
                write_csv(_frame(rows), tables / f"mapping_{name}.csv")
        (tmp / "report.html").write_text(html[languages[0]], encoding="utf-8")
        for lg in languages:
            (tmp / f"report_{lg}.html").write_text(html[lg], encoding="utf-8")
        write_csv(log.to_frame(), tmp / "disclosure_log.csv")
        (tmp / "config.resolved.yaml").write_text(
            yaml.safe_dump(dump_config(cfg), sort_keys=False, allow_unicode=True), encoding="utf-8")

    return atomic_folder(out, fill, force=force, inputs=input_files(cfg))
