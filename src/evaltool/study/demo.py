"""The bundled demo study and the starter config (``evaltool demo``, ``evaltool init``).

The demo runs on simulated Copenhagen-style data with known true effects, as a
midterm (52 weeks of follow-up) and a final evaluation.
"""

from __future__ import annotations

from pathlib import Path

from evaltool.config import load_config
from evaltool.config.schema import SampleRule, StudyConfig
from evaltool.study.inputs import bundled_resource
from evaltool.study.outputs import atomic_folder, fill_output_folder, gate_document, render_reports
from evaltool.study.result import StudyResult
from evaltool.study.run import run_study

__all__ = ["demo_config", "write_demo", "starter_config_text", "DEMO_MIDTERM_WEEKS", "DEMO_MIDTERM_LAST_START"]


def write_demo(out: str | Path, n: int | None = None) -> tuple[Path, list[StudyResult]]:
    """Run the bundled demo as a midterm (52 weeks of follow-up) and a final evaluation.

    Writes ``out/midterm/`` and ``out/final/`` (each a full output folder; the final
    report compares with the midterm's headline estimates), atomically as one folder.
    """
    mid = run_study(demo_config(n=n, stage="midterm"))
    fin = run_study(demo_config(n=n, stage="final"))
    mid_results, mid_log = gate_document(mid.config, mid.document())
    fin_results, fin_log = gate_document(fin.config, fin.document(), mid_results)  # controlled against the midterm
    mid_reports = render_reports(mid.config, mid_results)
    fin_reports = render_reports(fin.config, fin_results, mid_results)

    def fill(tmp: Path) -> None:
        for name, res, results, reports, log in (("midterm", mid, mid_results, mid_reports, mid_log),
                                                 ("final", fin, fin_results, fin_reports, fin_log)):
            (tmp / name).mkdir()
            fill_output_folder(tmp / name, res, results, reports, log)

    return atomic_folder(out, fill), [mid, fin]


DEMO_MIDTERM_WEEKS = 52


DEMO_MIDTERM_LAST_START = 202426  # midterm data cut 2025W26: persons who started by 2024W26 have 52 weeks


def demo_config(n: int | None = None, stage: str = "final") -> StudyConfig:
    """The bundled demo study (simulated Copenhagen-style data), as the final or midterm evaluation.

    The midterm is the evaluation at a data cut in week 26 of 2025: it covers the persons who
    started by week 26 of 2024 and their first ``DEMO_MIDTERM_WEEKS`` weeks after start. Both
    stages report in Danish and English.
    """
    if stage not in ("midterm", "final"):
        raise ValueError(f"stage must be 'midterm' or 'final', got {stage!r}")
    overrides = [f"data.simulate.n={n}"] if n is not None else []
    overrides += [f"study.stage={stage}", f"report.templates=[{stage}]"]
    if stage == "midterm":
        overrides += [f"study.followup_weeks={DEMO_MIDTERM_WEEKS}", "study.period=2022-2025"]
    cfg = load_config(bundled_resource("demo.yaml"), overrides)
    if stage == "midterm":
        rule = SampleRule(column=cfg.data.start, max=DEMO_MIDTERM_LAST_START)
        data = cfg.data.model_copy(update={"sample": [*cfg.data.sample, rule]})
        cfg = cfg.model_copy(update={"data": data})
    return cfg


def starter_config_text() -> str:
    """A commented starter config (the bundled demo config)."""
    return bundled_resource("demo.yaml").read_text(encoding="utf-8")
