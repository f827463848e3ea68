"""Command line: ``evaltool run / validate / map / simulate / demo / report / init``.

The CLI only parses arguments, calls the pipeline and maps errors to exit
codes: 0 success, 2 bad input (config, data, arguments: one line on stderr,
no traceback unless ``--debug``), 1 an unexpected internal error.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import click

from evaltool.exceptions import EvaltoolError, EvaltoolWarning

__all__ = ["main", "cli"]


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    if issubclass(category, EvaltoolWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        click.echo(warnings.formatwarning(message, category, filename, lineno, line).rstrip(), err=True)


def _guard(fn):
    """Turn EvaltoolError into one line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        warnings.showwarning = _show_warning
        try:
            return fn(*args, **kwargs)
        except EvaltoolError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # an internal error: still one line unless --debug
            if debug:
                raise
            click.echo(f"internal error: {exc.__class__.__name__}: {exc} (rerun with --debug for details)", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="evaltool")
def cli(debug: bool) -> None:
    """evaltool: matched evaluations of outreach employment efforts."""


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=str, default=None,
              help="Output folder (default: report.out from the config).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key, e.g. --set design.caliper=0.1 (repeatable).")
@click.option("--force", is_flag=True,
              help="Replace an earlier evaltool output folder even if files were added to it.")
@click.option("--workers", type=str, default=None, metavar="N",
              help="Worker processes for the parallel work (-1: one per core); same as --set execution.workers=N.")
@click.option("--scheduler", type=str, default=None, metavar="ADDRESS",
              help="A Dask cluster: 'local' or tcp://host:8786; same as --set execution.scheduler=ADDRESS.")
@_guard
def run(config: str, out: str | None, overrides: tuple[str, ...], force: bool, workers: str | None,
        scheduler: str | None) -> None:
    """Run the study described by CONFIG and write the output folder.

    The folder must be new, empty, or one evaltool wrote before; nothing else is overwritten.
    Where the work runs (--workers, --scheduler) never changes results.json.
    """
    from evaltool.config import load_config
    from evaltool.execution import executor_scope
    from evaltool.study.run import output_dir_for, run_study, write_outputs

    extra = tuple(f"execution.{k}={v}" for k, v in (("workers", workers), ("scheduler", scheduler)) if v is not None)
    cfg = load_config(config, overrides + extra)
    target = output_dir_for(cfg, out, force=force)
    progress = _Progress()
    with executor_scope(cfg.execution.spec()) as executor:
        result = run_study(cfg, progress=progress, executor=executor)
        progress("writing reports and tables")
        folder = write_outputs(result, target, force=force, executor=executor)
    progress.done()
    click.echo(result.headline())
    click.echo(f"wrote {folder}")


@cli.command("map")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=str, required=True, help="Output folder of the mapping.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key.")
@click.option("--force", is_flag=True, help="Replace an earlier evaltool output folder even if files were added.")
@_guard
def map_(config: str, out: str, overrides: tuple[str, ...], force: bool) -> None:
    """Map the target group (the config's `mapping:` section) and write the mapping folder."""
    from evaltool.config import load_config
    from evaltool.study.mapping_run import mapping_document, run_mapping_study, write_mapping_outputs
    from evaltool.study.outdir import check_target
    from evaltool.study.outputs import input_files

    cfg = load_config(config, overrides)
    check_target(out, force=force, inputs=input_files(cfg))
    result = run_mapping_study(cfg)
    folder = write_mapping_outputs(cfg, mapping_document(cfg, result), out, force=force)
    click.echo(f"mapped week {result.reference_week}: {len(result.crosstab)} cells; wrote {folder}")


class _Progress:
    """Stage names with elapsed seconds on stderr, only on an interactive terminal
    (so that errors stay one line when stderr is a file or a pipe)."""

    def __init__(self) -> None:
        import time

        self._clock = time.perf_counter
        self._t0 = self._clock()
        self.enabled = sys.stderr.isatty()

    def __call__(self, stage: str) -> None:
        if self.enabled:
            click.echo(f"  [{self._clock() - self._t0:6.1f} s] {stage} ...", err=True)

    def done(self) -> None:
        if self.enabled:
            click.echo(f"  [{self._clock() - self._t0:6.1f} s] done", err=True)


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key.")
@click.option("--quick", is_flag=True,
              help="Only files, columns and types; skip the dry run of every data stage.")
@_guard
def validate(config: str, overrides: tuple[str, ...], quick: bool) -> None:
    """Check CONFIG, its data files and columns without writing anything.

    Unless --quick, the study is also run in memory (nothing is written), so a config
    that validates does not fail on its data later in ``evaltool run``.
    """
    from evaltool.config import load_config
    from evaltool.study.run import run_study, validate_study

    cfg = load_config(config, overrides)
    lines = validate_study(cfg)
    for line in lines:
        click.echo(line)
    if not quick:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EvaltoolWarning)
            result = run_study(cfg)
        n_used = result.data_report.n_used if result.data_report is not None else None
        stage = getattr(result, "process_stage", None)  # the area-only result has no process stage
        ran = f"; process stage: {', '.join(stage.to_dict())}" if stage is not None else ""
        click.echo(f"dry run ok: {n_used} persons used{ran}" if n_used is not None
                   else "dry run ok: area analysis only")
    click.echo(f"{config}: valid")


@cli.command()
@click.option("--n", "n", type=int, default=20_000, show_default=True, help="Number of persons.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("--treated-share", type=float, default=0.25, show_default=True)
@click.option("--out", "out", type=str, required=True, help="Folder to write (new, empty or evaltool's).")
@click.option("--no-panel", is_flag=True, help="Skip the weekly status panel (person-level data only).")
@click.option("--force", is_flag=True, help="Replace an earlier evaltool folder even if files were added to it.")
@_guard
def simulate(n: int, seed: int, treated_share: float, out: str, no_panel: bool, force: bool) -> None:
    """Write synthetic outreach-evaluation data with known true effects.

    OUT must be new, empty, or a folder evaltool wrote before.
    """
    from evaltool._checks import check_int, check_number
    from evaltool.simulate import write_simulation
    from evaltool.study.outdir import write_folder

    check_int("--n", n, low=1)
    check_int("--seed", seed, low=0)
    check_number("--treated-share", treated_share, low=0, high=0.9, low_open=True)
    names: list[str] = []

    def fill(tmp: Path) -> None:
        paths = write_simulation(tmp, n=n, seed=seed, treated_share=treated_share, panel=not no_panel)
        names.extend(p.name for p in paths)

    folder = write_folder(out, fill, force=force)
    for name in names:
        click.echo(f"wrote {folder / name}")


@cli.command()
@click.option("--out", "out", type=str, default="demo", show_default=True)
@click.option("--n", "n", type=int, default=None, help="Persons to simulate (default: the bundled config's).")
@_guard
def demo(out: str, n: int | None) -> None:
    """Run the bundled Copenhagen-style study on simulated data, end to end.

    OUT must be new, empty, or a folder evaltool wrote before.
    """
    from evaltool.study.outdir import check_target
    from evaltool.study.demo import write_demo

    check_target(out)
    folder, (mid, fin) = write_demo(out, n=n)
    click.echo("midterm (52 weeks of follow-up):\n" + mid.headline())
    click.echo("final:\n" + fin.headline())
    for report in sorted(folder.glob("*/report_*.html")):
        click.echo(f"wrote {report}")


@cli.command()
@click.argument("results_json", type=click.Path(dir_okay=False))
@click.option("--template", type=click.Choice(["midterm", "final"]), default="final", show_default=True)
@click.option("--lang", "language", type=click.Choice(["da", "en"]), default="da", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@click.option("--compare-with", type=click.Path(dir_okay=False), default=None,
              help="A midterm results.json to compare with (final template).")
@click.option("--min-cell", type=int, default=None,
              help="Disclosure threshold: may be raised above the one in the results, never below it or 5.")
@click.option("--pdf", "pdf", is_flag=True, default=False,
              help="Also print the report to a PDF beside the HTML (same name, .pdf; needs Chromium).")
@_guard
def report(results_json: str, template: str, language: str, out: str, compare_with: str | None,
           min_cell: int | None, pdf: bool) -> None:
    """Re-render a report from RESULTS_JSON without recomputing."""
    from evaltool.exceptions import ConfigError
    from evaltool.study.run import rerender_report

    if min_cell is not None and min_cell < 5:
        raise ConfigError(f"--min-cell: must be >= 5 (disclosure control cannot be lowered); got {min_cell}")
    path = rerender_report(results_json, template=template, language=language, out=out,
                           compare_with=compare_with, min_cell=min_cell, pdf=pdf)
    click.echo(f"wrote {path}")
    if pdf:
        click.echo(f"wrote {path.with_suffix('.pdf')}")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False), default="study.yaml")
@_guard
def init(path: str) -> None:
    """Write a commented starter config to PATH."""
    from evaltool.study.demo import starter_config_text

    p = Path(path)
    if p.exists():
        raise EvaltoolError(f"{p}: already exists; choose another path")
    p.write_text(starter_config_text(), encoding="utf-8")
    click.echo(f"wrote {p}; edit it, then run: evaltool validate {p}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    Usage errors (unknown option, bad choice, missing argument) print one line,
    ``error: ...``, and exit 2, like every other bad input; ``--help`` is unchanged.
    """
    try:
        cli.main(args=argv, prog_name="evaltool", standalone_mode=False)
    except click.UsageError as exc:
        where = f"evaltool {exc.ctx.info_name}" if exc.ctx is not None and exc.ctx.parent else "evaltool"
        click.echo(f"error: {where}: {exc.format_message()} (see {where} --help)", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
